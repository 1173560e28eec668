import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { exitCodeOf } from '../../src/core/errors.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { readCurrent } from '../../src/shards/publish.ts';
import { openDataset } from '../../src/shards/reader.ts';
import { evaluateRun } from '../../src/train/evaluate.ts';
import { trainModality, type TrainOptions } from '../../src/train/loop.ts';
import { buildSyntheticShards } from '../train/fixtures.ts';

/**
 * Training and evaluation read only shards whose bytes match the manifest: each shard's size is
 * checked as it is opened and each batch's CRC-32 (batch-index.json) as it is read; a mismatch ends
 * the command with exit 3 naming the shard.
 */
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-corrupt-shards-'));
const ctx = createRunContext({ dataDir: root, rejectsInMemory: true, tty: false, logger: memoryLogger() });
const base: TrainOptions = { dataset: 'synthetic', arch: 'resnet18', width: 0.125, imageSize: 16, lr: 0.02, batch: 16, backend: 'wasm', seed: 5, checkpointMinutes: 0 };
let dir: string;
let runDir: string;

beforeAll(async () => {
  await buildSyntheticShards(ctx, { size: 16, perClass: { train: 16, validate: 8, test: 8 }, batch: 16 });
  const dsRoot = path.join(root, 'datasets', 'synthetic');
  dir = path.join(dsRoot, readCurrent(dsRoot)!);
  runDir = (await trainModality({ ...base, epochs: 1, out: path.join(root, 'runs', 'ok') }, ctx)).runDir;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** Damage one shard of `split` in place; returns its name and a function that restores it. */
function damage(split: string, how: 'flip' | 'cut'): { shard: string; restore: () => void } {
  const m = readShardManifest(dir);
  const s = m.shards.find((x) => x.split === split)!;
  const file = path.join(dir, s.file);
  const original = fs.readFileSync(file);
  const bad = Buffer.from(original);
  const at = Math.floor(bad.length / 2);
  if (how === 'flip') bad[at] = bad[at]! ^ 0x01;
  fs.writeFileSync(file, how === 'flip' ? bad : bad.subarray(0, bad.length - 100));
  return { shard: s.file, restore: () => fs.writeFileSync(file, original) };
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('it succeeded'), (e: unknown) => e);
}

describe('corrupt shards are never trained on', () => {
  for (const how of ['flip', 'cut'] as const) {
    it(`reader: a ${how === 'flip' ? 'flipped byte' : 'cut shard'} is DATA_INTEGRITY (exit 3) naming the shard`, async () => {
      const d = damage('train', how);
      try {
        const ds = await openDataset(root, 'synthetic');
        const err = await failure((async () => {
          for await (const _ of ds.batches('train')) { /* read all */ }
        })());
        await ds.close();
        expect(exitCodeOf(err)).toBe(3);
        expect((err as Error).message).toContain(d.shard);
      } finally {
        d.restore();
      }
    });
  }

  it('train modality: one flipped byte in a train shard ends training with exit 3 naming the shard', async () => {
    const d = damage('train', 'flip');
    try {
      const err = await failure(trainModality({ ...base, epochs: 1, out: path.join(root, 'runs', 'flip') }, ctx));
      expect(exitCodeOf(err)).toBe(3);
      expect((err as Error).message).toContain(d.shard);
    } finally {
      d.restore();
    }
  });

  it('train evaluate: a cut test shard ends evaluation with exit 3 naming the shard', async () => {
    const d = damage('test', 'cut');
    try {
      const err = await failure(evaluateRun({ runDir, split: 'test', backend: 'wasm' }, ctx));
      expect(exitCodeOf(err)).toBe(3);
      expect((err as Error).message).toContain(d.shard);
    } finally {
      d.restore();
    }
  });

  it('an intact dataset reads as before', async () => {
    const ds = await openDataset(root, 'synthetic');
    let rows = 0;
    for await (const b of ds.batches('test')) rows += b.size;
    await ds.close();
    expect(rows).toBe(ds.splitRows('test'));
  });
});
