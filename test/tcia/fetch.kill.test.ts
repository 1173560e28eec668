import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTempName } from '../../src/core/fsAtomic.ts';
import type { RawSeriesRecord } from '../../src/core/types.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { removeTempDirs, tempDir, tinyCollections } from './fetchFixture.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let server: StandInServer;

beforeAll(async () => {
  // Slow link so the child is caught mid-download: ~2.6 MB at 4 Mbit/s ≈ 5 s.
  server = await startStandIn({ dataDir: await tinyCollections(), port: 0, latencyMs: 100, bandwidthMbps: 4, seed: 5 });
});
afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

function etl(dataDir: string): ChildProcess {
  return spawn(
    process.execPath,
    ['bin/etl.js', 'fetch', 'tcia', '--api-url', server.url, '--data-dir', dataDir, '--concurrency', '2',
      '--collection', 'SYN-LungCT-Chest', 'SYN-BrainMR', 'SYN-PET-Chest', 'SYN-ChestCR', 'SYN-Mammo-MG', 'SYN-HeadCT', 'SYN-Extremity-DX'],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

function listRaw(dataDir: string): Array<{ dir: string; name: string }> {
  const raw = path.join(dataDir, 'raw');
  if (!fs.existsSync(raw)) return [];
  return fs.readdirSync(raw).flatMap((c) => fs.readdirSync(path.join(raw, c)).map((name) => ({ dir: path.join(raw, c), name })));
}

/** Every non-temp file under raw/ is complete: sidecars parse and match a ZIP that verifies. */
async function assertNothingCorrupt(dataDir: string): Promise<number> {
  let sidecars = 0;
  for (const { dir, name } of listRaw(dataDir)) {
    if (isTempName(name)) continue;
    const file = path.join(dir, name);
    if (name.endsWith('.json')) {
      const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as RawSeriesRecord;
      const zip = file.replace(/\.json$/, '.zip');
      expect(fs.statSync(zip).size).toBe(rec.zipBytes);
      sidecars++;
    } else {
      expect(name).toMatch(/^[0-9.]+\.zip$/);
      // A ZIP under its final name was verified before the rename, sidecar or not.
      await verifySeriesZip(file, JSON.parse(fs.readFileSync(path.join(dataDir, 'plans', 'fetch.json'), 'utf8')).series.find((s: { seriesUid: string }) => `${s.seriesUid}.zip` === name).imageCount);
    }
  }
  return sidecars;
}

describe('etl fetch tcia killed with SIGKILL mid-download', () => {
  it('loses nothing verified, leaves nothing corrupt under a final name, and a rerun completes without duplicates', async () => {
    const dataDir = tempDir('kill');
    const child = etl(dataDir);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until at least one series is verified and another is half downloaded, then kill -9.
    const deadline = Date.now() + 60_000;
    let caught = false;
    while (Date.now() < deadline) {
      const files = listRaw(dataDir);
      if (files.some((f) => f.name.endsWith('.json')) && files.some((f) => isTempName(f.name))) {
        child.kill('SIGKILL');
        caught = true;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 15));
    }
    await exited;
    expect(caught, `child finished before it could be killed:\n${stderr}`).toBe(true);
    const before = await assertNothingCorrupt(dataDir);
    expect(before).toBeGreaterThan(0);
    const plan = JSON.parse(fs.readFileSync(path.join(dataDir, 'plans', 'fetch.json'), 'utf8')) as { series: Array<{ seriesUid: string }> };
    expect(before).toBeLessThan(plan.series.length);
    expect(listRaw(dataDir).some((f) => isTempName(f.name))).toBe(true);

    // Rerun on a fast link: resumes, cleans the stale temps, ends with every series verified once.
    server.setFaults({ latencyMs: 0, bandwidthMbps: 100_000 });
    const rerun = etl(dataDir);
    let err2 = '';
    rerun.stderr!.on('data', (d) => (err2 += String(d)));
    const code = await new Promise<number | null>((resolve) => rerun.on('exit', (c) => resolve(c)));
    expect(code, err2).toBe(0);
    expect(err2).toMatch(/removed \d+ partial download/);
    const files = listRaw(dataDir);
    expect(files.filter((f) => isTempName(f.name))).toEqual([]);
    const sidecars = files.filter((f) => f.name.endsWith('.json')).map((f) => f.name.replace(/\.json$/, ''));
    const zips = files.filter((f) => f.name.endsWith('.zip')).map((f) => f.name.replace(/\.zip$/, ''));
    expect(sidecars.sort()).toEqual(plan.series.map((s) => s.seriesUid).sort());
    expect(zips.sort()).toEqual(sidecars);
    expect(await assertNothingCorrupt(dataDir)).toBe(plan.series.length);
  });
});

describe('etl fetch tcia option checks', () => {
  it('exits 2 with a hint on a bad option, before any request', async () => {
    const before = server.stats().requests;
    const child = spawn(process.execPath, ['bin/etl.js', 'fetch', 'tcia', '--api-url', server.url, '--data-dir', tempDir('cli2'), '--collection', 'SYN-BrainMR', '--cap', 'CR=5'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown class "CR"/);
    expect(stderr).toMatch(/hint:/);
    expect(server.stats().requests).toBe(before);
  });
});
