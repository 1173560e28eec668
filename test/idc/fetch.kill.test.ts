import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTempName } from '../../src/core/fsAtomic.ts';
import type { Plan, RawSeriesRecord } from '../../src/core/types.ts';
import { startS3StandIn, type S3StandIn } from '../../src/standins/s3/index.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { removeTempDirs, tempDir, tinyCollections } from '../tcia/fetchFixture.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
let s3: S3StandIn;

beforeAll(async () => {
  // Slow link so the child is caught with some objects verified and others in flight: ~2.6 MB at 4 Mbit/s ≈ 5 s.
  s3 = await startS3StandIn({ dataDir: await tinyCollections(), latencyMs: 100, bandwidthMbps: 4, seed: 5 });
});
afterAll(async () => {
  await s3?.close();
  removeTempDirs();
});

function etl(dataDir: string, ...extra: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['bin/etl.js', 'fetch', 'idc', '--index', s3.indexUrl, '--endpoint', s3.url, '--data-dir', dataDir, '--concurrency', '3',
      '--collection', 'SYN-LungCT-Chest', 'SYN-BrainMR', 'SYN-PET-Chest', 'SYN-ChestCR', 'SYN-Mammo-MG', 'SYN-Extremity-DX', ...extra],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
}

/** Files under raw/ (recursively), relative. */
function rawFiles(dataDir: string): string[] {
  const raw = path.join(dataDir, 'raw');
  if (!fs.existsSync(raw)) return [];
  return fs.readdirSync(raw, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(raw, path.join(e.parentPath, e.name)));
}

/** Verified objects kept in the series stores of parts folders: the names their journals list. */
function verifiedParts(dataDir: string): string[] {
  const names: string[] = [];
  for (const f of rawFiles(dataDir).filter((x) => x.includes('.parts/') && path.basename(x) === 'journal')) {
    for (const line of fs.readFileSync(path.join(dataDir, 'raw', f), 'utf8').split('\n')) {
      try {
        names.push((JSON.parse(line) as { name: string }).name);
      } catch {
        // a torn last line
      }
    }
  }
  return names;
}

/** Series still being fetched: a parts folder without the series' final ZIP. */
function seriesInFlight(dataDir: string): number {
  return rawFiles(dataDir).filter((f) => path.basename(f) === 'store.zip' && f.includes('.parts/')).length;
}

describe('etl fetch idc killed with SIGKILL mid-download', () => {
  it('keeps verified objects, leaves nothing incomplete under a final name, and the rerun refetches nothing verified', async () => {
    const dataDir = tempDir('idc-kill');
    const child = etl(dataDir);
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    let caught = false;
    while (Date.now() < deadline) {
      if (verifiedParts(dataDir).length > 0 && seriesInFlight(dataDir) > 0) {
        child.kill('SIGKILL');
        caught = true;
        break;
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await exited;
    expect(caught, `child finished before it could be killed:\n${stderr}`).toBe(true);
    const plan = JSON.parse(fs.readFileSync(path.join(dataDir, 'plans', 'fetch.json'), 'utf8')) as Plan;
    // Under a final name: only complete series ZIPs (verified) and their sidecars.
    for (const f of rawFiles(dataDir).filter((x) => !x.includes('.parts/') && !isTempName(path.basename(x)))) {
      const s = plan.series.find((p) => f.endsWith(`${p.seriesUid}.zip`) || f.endsWith(`${p.seriesUid}.json`));
      expect(s, f).toBeDefined();
      if (f.endsWith('.zip')) await verifySeriesZip(path.join(dataDir, 'raw', f), s!.keep);
    }
    const kept = new Set(verifiedParts(dataDir));
    const done = rawFiles(dataDir).filter((f) => f.endsWith('.json') && !f.includes('.parts/')).length;
    expect(kept.size).toBeGreaterThan(0);
    expect(done).toBeLessThan(plan.series.length);

    // Rerun on a fast link: resumes, and no verified object is requested again.
    s3.setFaults({ latencyMs: 0, bandwidthMbps: 100_000 });
    const before = s3.stats().objectGets;
    const rerun = etl(dataDir);
    let err2 = '';
    rerun.stderr!.on('data', (d) => (err2 += String(d)));
    const code = await new Promise<number | null>((resolve) => rerun.on('exit', (c) => resolve(c)));
    expect(code, err2).toBe(0);
    const after = s3.stats().objectGets;
    const refetched = [...after].filter(([k, n]) => n > (before.get(k) ?? 0) && kept.has(path.posix.basename(k))).map(([k]) => k);
    expect(refetched).toEqual([]);
    const files = rawFiles(dataDir);
    expect(files.filter((f) => isTempName(path.basename(f)) || f.includes('.parts/'))).toEqual([]);
    const sidecars = files.filter((f) => f.endsWith('.json')).map((f) => path.basename(f, '.json')).sort();
    expect(sidecars).toEqual(plan.series.map((s) => s.seriesUid).sort());
    for (const s of plan.series) {
      const rec = JSON.parse(fs.readFileSync(path.join(dataDir, 'raw', s.collection, `${s.seriesUid}.json`), 'utf8')) as RawSeriesRecord;
      expect((await verifySeriesZip(path.join(dataDir, 'raw', s.collection, `${s.seriesUid}.zip`), s.keep)).imageCount).toBe(rec.imageCount);
    }
  });

  it('exits 2 with a hint on a bad option, before any request', async () => {
    const before = s3.stats().requests;
    const child = etl(tempDir('idc-cli2'), '--cap', 'CR=5');
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += String(d)));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown class "CR"/);
    expect(stderr).toMatch(/hint:/);
    expect(s3.stats().requests).toBe(before);
  });
});
