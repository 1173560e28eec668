import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPipeline } from '../../src/pipeline/run.ts';
import { readState } from '../../src/pipeline/state.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { readCurrent } from '../../src/shards/publish.ts';
import { synthesizeUpdate } from '../../src/standins/synth/index.ts';
import { tinyWorld, type TinyWorld } from './helpers.ts';

/**
 * Kill -9 at every step (test hook ETL_CRASH_AT=<step>[:after]): `current` always names a complete
 * version (the old one until the new one is fully built), and the next run finishes the work.
 */

const ETL = path.join(import.meta.dirname, '../../bin/etl.js');
const CHILD = path.join(import.meta.dirname, 'crashChild.ts');
let w: TinyWorld;
beforeAll(async () => {
  w = await tinyWorld();
});
afterAll(async () => {
  await w?.close();
});

/** Async spawn: the stand-in answers from this process, so it must not be blocked. */
function node(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

describe('crash at any step', () => {
  it('leaves current on a complete version and the next run finishes', async () => {
    const dataDir = path.join(w.root, 'data-crash');
    const file = w.pipeline({ report: { enabled: true } }, 'crashy');
    const ctx = w.ctx(dataDir);
    await runPipeline(file, {}, ctx);
    const root = ctx.paths.datasetRoot('tiny');
    const v1 = readCurrent(root)!;

    // New data: every step has work to do, so each crash interrupts real work.
    await synthesizeUpdate(w.synthDir, { collection: 'SYN-LungCT-Chest', series: 1, dateReleased: new Date().toISOString().slice(0, 10) });
    await w.server.reload();

    const points = ['catalog', 'plan:after', 'fetch', 'preprocess:after', 'split', 'shard:after', 'verify', 'publish:after', 'report'];
    let shardDone = false;
    for (const at of points) {
      const r = await node(['--import', 'tsx', CHILD, file, dataDir], { ETL_CRASH_AT: at });
      expect(r.signal, `${at}: ${r.stderr}`).toBe('SIGKILL');
      if (at === 'shard:after') shardDone = true;
      const v = readCurrent(root)!;
      if (!shardDone) expect(v, at).toBe(v1);
      expect(() => readShardManifest(path.join(root, v)), at).not.toThrow();
      expect(fs.existsSync(path.join(ctx.paths.state, 'crashy.lock')), at).toBe(true);
    }
    const v2 = readCurrent(root)!;
    expect(v2).not.toBe(v1);

    // The real CLI finishes the work: exit 0, with the dead run's lock taken over.
    const done = await node([ETL, 'run', file, '--data-dir', dataDir]);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('taking over a stale lock');
    expect(readCurrent(root)).toBe(v2);
    const state = readState(ctx.paths.pipelineState('crashy'), 'crashy');
    expect(state.successfulRuns).toBe(2);
    expect(fs.existsSync(path.join(ctx.paths.state, 'crashy.lock'))).toBe(false);

    const again = await node(['--import', 'tsx', CHILD, file, dataDir]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 ran, 9 skipped/);
  }, 300_000);
});
