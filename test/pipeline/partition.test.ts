import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/core/errors.ts';
import { mergePartitions } from '../../src/pipeline/merge.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { readCurrent } from '../../src/shards/publish.ts';
import { tinyWorld, type TinyWorld } from './helpers.ts';

let w: TinyWorld;
beforeAll(async () => {
  w = await tinyWorld();
});
afterAll(async () => {
  await w?.close();
});

function published(dataDir: string) {
  const root = path.join(dataDir, 'datasets', 'tiny');
  return readShardManifest(path.join(root, readCurrent(root)!));
}

describe('partitioned runs', () => {
  it('4 partitions on a shared data dir + merge = one unpartitioned run', async () => {
    const file = w.pipeline();
    const single = path.join(w.root, 'single');
    await runPipeline(file, {}, w.ctx(single));

    const shared = path.join(w.root, 'shared');
    const ctx = w.ctx(shared);
    // Partition 2 missing: merge refuses.
    for (const i of [0, 1, 3]) {
      const r = await runPipeline(file, { partition: { index: i, count: 4 } }, ctx);
      expect(r.steps.map((s) => s.step)).toEqual(['catalog', 'plan', 'fetch', 'preprocess']);
      expect(fs.existsSync(path.join(shared, 'plans', `tiny.part-${i}-of-4.json`))).toBe(true);
    }
    const err = await mergePartitions(file, {}, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/partition\(s\) 2\/4 of tiny have not finished/);
    await runPipeline(file, { partition: { index: 2, count: 4 } }, ctx);

    const m = await mergePartitions(file, {}, ctx);
    expect(m.partitions).toEqual({ count: 4, complete: 4 });
    expect(m.steps.map((s) => s.step)).toEqual(['split', 'shard', 'verify', 'publish']);

    const a = published(single);
    const b = published(shared);
    expect(b.splits).toEqual(a.splits);
    expect(b.inputs.staging).toEqual(a.inputs.staging);
    // Same rows in the same batches: the shard files are byte-identical.
    expect(b.shards.map((s) => [s.file, s.rows, s.sha256])).toEqual(a.shards.map((s) => [s.file, s.rows, s.sha256]));

    // Partitions in separate data dirs (e.g. synced down from S3): --parts links their staging in.
    const parts = [0, 1, 2, 3].map((i) => path.join(w.root, `part${i}`));
    for (const [i, dir] of parts.entries()) await runPipeline(file, { partition: { index: i, count: 4 } }, w.ctx(dir));
    const merged = path.join(w.root, 'merged');
    const r = await mergePartitions(file, { parts }, w.ctx(merged));
    expect(r.imported.series).toBeGreaterThan(0);
    expect(published(merged).shards.map((s) => s.sha256)).toEqual(a.shards.map((s) => s.sha256));
  });
});
