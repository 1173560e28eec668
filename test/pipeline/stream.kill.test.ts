import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTempName } from '../../src/core/fsAtomic.ts';
import type { RawSeriesRecord, StagingRecord } from '../../src/core/types.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { stagingFiles, tinyWorld, type TinyWorld } from './helpers.ts';

/**
 * `etl run --discard-raw` killed with SIGKILL at several points of the overlapped fetch → preprocess:
 * after every kill each verified series still has its ZIP or its staging (a ZIP is deleted only once
 * its staging is durable), and the run that finishes the work refetches none of the series already
 * staged, loses none, and leaves the same staging bytes as a run that fetched everything first.
 */

const CHILD = path.join(import.meta.dirname, 'crashChild.ts');
let w: TinyWorld;
beforeAll(async () => {
  w = await tinyWorld();
});
afterAll(async () => {
  await w?.close();
});

function start(file: string, dataDir: string): { child: ChildProcess; exited: Promise<{ code: number | null; signal: string | null; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, exited: new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr }))) };
}

interface SeriesOnDisk {
  raw?: string;
  zip: boolean;
  staged: boolean;
}

/** What is on disk per series: raw sidecar text, ZIP present, staged from that very ZIP. */
function onDisk(dataDir: string): Map<string, SeriesOnDisk> {
  const out = new Map<string, SeriesOnDisk>();
  const raw = path.join(dataDir, 'raw');
  if (!fs.existsSync(raw)) return out;
  for (const c of fs.readdirSync(raw)) {
    for (const n of fs.readdirSync(path.join(raw, c))) {
      if (!n.endsWith('.json') || isTempName(n)) continue;
      const text = fs.readFileSync(path.join(raw, c, n), 'utf8');
      const rec = JSON.parse(text) as RawSeriesRecord;
      const sidecar = path.join(dataDir, 'staging', c, n);
      const staged = fs.existsSync(sidecar) && (JSON.parse(fs.readFileSync(sidecar, 'utf8')) as StagingRecord).inputSha256 === rec.zipSha256;
      out.set(`${c}/${n}`, { raw: text, zip: fs.existsSync(path.join(raw, c, n.replace(/\.json$/, '.zip'))), staged });
    }
  }
  return out;
}

describe('etl run --discard-raw killed with SIGKILL while streaming', () => {
  it('loses no series, refetches no staged one, and ends with the staging of a plain run', async () => {
    const refDir = path.join(w.root, 'data-reference');
    await runPipeline(w.pipeline({ stream: { overlap: false } }, 'reference'), {}, w.ctx(refDir));
    const reference = stagingFiles(refDir);
    const series = reference.size / 2;

    const dataDir = path.join(w.root, 'data-killed');
    const file = w.pipeline({ stream: { discardRaw: true, rawWindow: 2 }, preprocess: { size: 16, fit: 'stretch', normalize: 'minmax', workers: 1, maxRejectRate: 0.25 } }, 'killed');
    // A slow link: the child is caught with series staged, discarded, in flight and not started.
    w.server.setFaults({ latencyMs: 30, bandwidthMbps: 3 });
    const stagedBefore = new Map<string, string>();
    let kills = 0;
    for (let target = 1; kills < 3; target += 2) {
      const { child, exited } = start(file, dataDir);
      let caught = false;
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline && child.exitCode === null) {
        const disk = onDisk(dataDir);
        const staged = [...disk.values()].filter((s) => s.staged).length;
        if (staged >= target && staged < series) {
          child.kill('SIGKILL');
          caught = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      const r = await exited;
      if (!caught) break; // the child finished: the remaining rounds have nothing left to interrupt
      expect(r.signal, r.stderr).toBe('SIGKILL');
      kills++;
      for (const [k, s] of onDisk(dataDir)) {
        // Lost would be: a verified series with neither its ZIP nor its staging.
        expect(s.zip || s.staged, `${k} after kill ${kills}`).toBe(true);
        if (s.staged && !stagedBefore.has(k)) stagedBefore.set(k, s.raw!);
      }
    }
    expect(kills, 'the child finished before it could be killed').toBeGreaterThan(0);
    expect(stagedBefore.size).toBeGreaterThan(0);

    w.server.setFaults({ latencyMs: 0, bandwidthMbps: 100_000 });
    const done = await start(file, dataDir).exited;
    expect(done.code, done.stderr).toBe(0);
    const disk = onDisk(dataDir);
    expect(disk.size).toBe(series);
    for (const [k, raw] of stagedBefore) expect(disk.get(k)!.raw, `${k} was downloaded again`).toBe(raw);
    for (const [k, s] of disk) expect(s, k).toMatchObject({ zip: false, staged: true });
    const got = stagingFiles(dataDir);
    expect([...got.keys()]).toEqual([...reference.keys()]);
    for (const [k, v] of reference) expect(got.get(k)!.equals(v), k).toBe(true);
  }, 300_000);
});
