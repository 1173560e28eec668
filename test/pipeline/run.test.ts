import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockedError } from '../../src/core/errors.ts';
import { acquireLock } from '../../src/pipeline/lock.ts';
import { createLogger } from '../../src/core/log.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { listRunLogs, readRunLog } from '../../src/core/runLog.ts';
import { readState } from '../../src/pipeline/state.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { readCurrent } from '../../src/shards/publish.ts';
import { synthesizeUpdate } from '../../src/standins/synth/index.ts';
import { tinyWorld, type TinyWorld } from './helpers.ts';

let w: TinyWorld;
beforeAll(async () => {
  w = await tinyWorld();
});
afterAll(async () => {
  await w?.close();
});

const statuses = (r: { steps: Array<{ step: string; status: string }> }) => Object.fromEntries(r.steps.map((s) => [s.step, s.status]));

describe('etl run', () => {
  it('builds, publishes, then does no work on a rerun; a new TCIA release is picked up incrementally', async () => {
    const dataDir = path.join(w.root, 'data-run');
    const file = w.pipeline({ report: { enabled: true } });
    const ctx = w.ctx(dataDir);

    const r1 = await runPipeline(file, {}, ctx);
    expect(r1.skipped).toBe(0);
    expect(Object.keys(statuses(r1))).toEqual(['catalog', 'plan', 'fetch', 'preprocess', 'split', 'shard', 'verify', 'publish', 'report']);
    const v1 = readCurrent(ctx.paths.datasetRoot('tiny'))!;
    expect(r1.dataset?.version).toBe(v1);
    expect(fs.existsSync(r1.report!.html)).toBe(true);
    const state = readState(ctx.paths.pipelineState('tiny'), 'tiny');
    expect(state.successfulRuns).toBe(1);
    expect(state.lastFullListingRun).toBe(1);
    expect(Object.keys(state.steps)).toHaveLength(9);

    const r2 = await runPipeline(file, {}, ctx);
    expect(r2.ran).toBe(0);
    expect(new Set(Object.values(statuses(r2)))).toEqual(new Set(['skipped']));
    expect(r2.steps[0]!.counts.mode).toBe('incremental');
    // One JSON line per step, framed by start and end.
    const lines = readRunLog(r2.logFile);
    expect(lines[0]!.type).toBe('start');
    expect(lines.at(-1)).toMatchObject({ type: 'end', status: 'ok', exitCode: 0 });
    expect(lines.filter((l) => l.type === 'step')).toHaveLength(9);
    expect(listRunLogs(dataDir, 'tiny')).toHaveLength(2);

    // New series released today: getUpdatedSeries (since the last success − 1 day) returns them.
    const today = new Date().toISOString().slice(0, 10);
    const rel = await synthesizeUpdate(w.synthDir, { collection: 'SYN-BrainMR', series: 2, dateReleased: today });
    await w.server.reload();
    const r3 = await runPipeline(file, {}, ctx);
    const s3 = statuses(r3);
    expect(s3).toMatchObject({ catalog: 'ran', plan: 'ran', fetch: 'ran', preprocess: 'ran', shard: 'ran', publish: 'ran' });
    expect(r3.steps[0]!.counts).toMatchObject({ mode: 'incremental', added: 2 });
    expect(r3.steps.find((s) => s.step === 'fetch')!.counts.downloaded).toBe(2);
    expect(r3.steps.find((s) => s.step === 'preprocess')!.counts.staged).toBe(2);
    const v3 = readCurrent(ctx.paths.datasetRoot('tiny'))!;
    expect(v3).not.toBe(v1);
    const m3 = readShardManifest(ctx.paths.datasetVersion('tiny', v3));
    const m1 = readShardManifest(ctx.paths.datasetVersion('tiny', v1));
    expect(m3.splits.train.datasetCounts['SYN-BrainMR']).toBe(m1.splits.train.datasetCounts['SYN-BrainMR']! + rel.images);

    // Run 4 = full listing (fullListingEvery 3): a series gone from TCIA leaves the plan and the dataset.
    const gone = rel.series[0]!;
    const seriesDir = findDir(w.synthDir, gone);
    fs.rmSync(seriesDir, { recursive: true });
    await w.server.reload();
    const r4 = await runPipeline(file, {}, ctx);
    expect(r4.steps[0]!.counts).toMatchObject({ mode: 'full', dropped: 1 });
    expect(fs.existsSync(ctx.paths.stagingSidecar('SYN-BrainMR', gone))).toBe(false);
    expect(fs.existsSync(ctx.paths.rawZip('SYN-BrainMR', gone))).toBe(false);
    const m4 = readShardManifest(ctx.paths.datasetVersion('tiny', readCurrent(ctx.paths.datasetRoot('tiny'))!));
    expect(m4.splits.train.rows).toBeLessThan(m3.splits.train.rows);
  });

  it('stages external folders (import step) into the same dataset', async () => {
    const dataDir = path.join(w.root, 'data-external');
    const manifest = JSON.parse(fs.readFileSync(w.manifestFile, 'utf8'));
    manifest.datasets.push({ name: 'EXT-MG', source: 'external', location: 'breast', split: 'validate' });
    const manifestFile = path.join(w.root, 'with-external.json');
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const file = w.pipeline(
      {
        source: { tcia: { apiUrl: w.server.url, manifest: manifestFile }, external: [{ folder: path.join(w.synthDir, 'SYN-Mammo-MG'), dataset: 'EXT-MG', location: 'breast' }] },
        split: { manifest: manifestFile },
      },
      'external',
    );
    const ctx = w.ctx(dataDir);
    const r1 = await runPipeline(file, {}, ctx);
    const imp = r1.steps.find((s) => s.step === 'import')!;
    expect(imp.status).toBe('ran');
    expect(imp.counts.staged).toBeGreaterThan(0);
    const m = readShardManifest(ctx.paths.datasetVersion('tiny', readCurrent(ctx.paths.datasetRoot('tiny'))!));
    expect(m.splits.validate.datasetCounts['EXT-MG']).toBe(imp.counts.images);
    const r2 = await runPipeline(file, {}, ctx);
    expect(r2.ran).toBe(0);
  });

  it('refuses at once while a live process holds the lock (exit 75), and takes over a stale one', async () => {
    const dataDir = path.join(w.root, 'data-lock');
    const file = w.pipeline({}, 'locky');
    const ctx = w.ctx(dataDir);
    const lockFile = path.join(ctx.paths.state, 'locky.lock');
    const held = acquireLock(lockFile, 'locky');
    const t0 = performance.now();
    const err = await runPipeline(file, {}, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockedError);
    expect((err as LockedError).exitCode).toBe(75);
    expect((err as Error).message).toMatch(new RegExp(`already running \\(pid ${process.pid} on `));
    expect(performance.now() - t0).toBeLessThan(5000);
    held.release();
    expect(fs.existsSync(lockFile)).toBe(false);

    // A lock left by a process that no longer exists on this host is taken over (the crash test
    // shows a whole run doing so through the CLI).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', pipeline: 'locky' }));
    const lines: string[] = [];
    const taken = acquireLock(lockFile, 'locky', memoryLoggerInto(lines));
    expect(taken.tookOver?.pid).toBe(deadPid);
    expect(lines.some((l) => l.includes('taking over a stale lock'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(lockFile, 'utf8')).pid).toBe(process.pid);
    taken.release();
    expect(fs.existsSync(lockFile)).toBe(false);

    // A lock of another host cannot be checked: it is respected.
    fs.writeFileSync(lockFile, JSON.stringify({ pid: deadPid, host: 'elsewhere.example', startedAt: '2026-01-01T00:00:00.000Z', pipeline: 'locky' }));
    expect(() => acquireLock(lockFile, 'locky')).toThrow(LockedError);
    fs.rmSync(lockFile);
  });
});

function memoryLoggerInto(lines: string[]) {
  return createLogger({ level: 'debug', write: (l) => lines.push(l) });
}

function findDir(root: string, name: string): string {
  for (const e of fs.readdirSync(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(root, e.name);
    if (e.name === name) return p;
    try {
      return findDir(p, name);
    } catch {
      /* keep looking */
    }
  }
  throw new Error(`${name} not found under ${root}`);
}
