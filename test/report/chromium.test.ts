import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderHtml } from '../../src/report/html.ts';
import { fixtureReport } from './fixture.ts';

/**
 * Opens a report in headless Chromium (Debian's `chromium`, driven by playwright-core, which downloads
 * no browser): the page renders its charts without console errors, and a screenshot is kept in
 * test-output/report.png. Installs chromium when missing and we are root with a working apt; skips
 * cleanly otherwise.
 */

const CHROMIUM = '/usr/bin/chromium';
const OUT = path.join(import.meta.dirname, '../../test-output');

function ensureChromium(): string | undefined {
  if (fs.existsSync(CHROMIUM)) return CHROMIUM;
  if (process.getuid?.() !== 0) return undefined;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'ignore', timeout: 600_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return r.status === 0 && fs.existsSync(CHROMIUM) ? CHROMIUM : undefined;
}

const chromium = ensureChromium();

describe.skipIf(!chromium)('report in Chromium', () => {
  it('renders charts with no console errors', async (t) => {
    const { chromium: pw } = await import('playwright-core');
    let browser;
    try {
      browser = await pw.launch({
        executablePath: chromium!,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run', '--disable-component-update', '--disable-sync'],
      });
    } catch (err) {
      t.skip(`chromium cannot be launched here: ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    try {
      fs.mkdirSync(OUT, { recursive: true });
      const file = path.join(OUT, 'report.html');
      fs.writeFileSync(file, renderHtml(fixtureReport()));
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${file}`);
      expect(await page.locator('svg.chart').count()).toBe(8);
      expect(await page.locator('section').count()).toBe(6);
      // Charts have a real size and bars were drawn.
      const box = await page.locator('svg.chart').first().boundingBox();
      expect(box!.width).toBeGreaterThan(200);
      expect(await page.locator('rect.bar').count()).toBeGreaterThan(10);
      expect(await page.locator('rect.cell').count()).toBe(16);
      expect(errors).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]); // self-contained
      await page.screenshot({ path: path.join(OUT, 'report.png'), fullPage: true });
      expect(fs.statSync(path.join(OUT, 'report.png')).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
