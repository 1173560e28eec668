import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExternalShuffle, ShuffleMemory } from '../../src/shards/shuffle.ts';
import type { ShardRow } from '../../src/shards/writer.ts';

const PX = 64;
function rows(split: string, n: number): ShardRow[] {
  return Array.from({ length: n }, (_, i) => ({
    image: new Uint8Array(PX).fill(i % 251), label: i % 3, dataset: split, patient: `P${i % 7}`,
    series: `1.2.${i >> 4}`, sop: `1.2.${i >> 4}.${i}`, frame: 0, pixelHash: `h${i}`,
  }));
}

/** Shuffle three splits sharing one budget; returns each split's drained order and where it ran. */
function run(budget: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shuffle-test-'));
  const memory = new ShuffleMemory(budget);
  const sizes = { train: 60, validate: 20, test: 10 } as const;
  const out: Record<string, { sops: string[]; images: number[]; inMemory: boolean; files: number }> = {};
  const shuffles = Object.entries(sizes).map(([split, n]) => [split, new ExternalShuffle(dir, PX, 4, 5, split, memory, 1024), rows(split, n)] as const);
  // Interleave the splits, as a scan of mixed staging files would.
  for (let i = 0; i < 60; i++) for (const [, sh, rs] of shuffles) if (rs[i]) sh.add(rs[i]!);
  for (const [split, sh] of shuffles) {
    sh.seal();
    const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${split}-`)).length;
    const drained = [...sh.drain()].map((r) => ({ sop: r.sop, first: r.image[0]! }));
    out[split] = { sops: drained.map((d) => d.sop), images: drained.map((d) => d.first), inMemory: sh.inMemory, files };
    sh.dispose();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return out;
}

describe('shuffle', () => {
  it('gives the same order in memory, mixed and fully spilled, and keeps images with their rows', () => {
    const all = run(Infinity);
    const none = run(0);
    const mixed = run(40 * (PX + 256)); // room for about 40 rows: train goes external, the rest stays
    expect(Object.values(all).every((s) => s.inMemory && s.files === 0)).toBe(true);
    expect(Object.values(none).every((s) => !s.inMemory && s.files > 0)).toBe(true);
    expect(mixed.train!.inMemory).toBe(false);
    expect(mixed.validate!.inMemory && mixed.test!.inMemory).toBe(true);
    for (const split of ['train', 'validate', 'test']) {
      expect(none[split]).toMatchObject({ sops: all[split]!.sops, images: all[split]!.images });
      expect(mixed[split]).toMatchObject({ sops: all[split]!.sops, images: all[split]!.images });
    }
    // Shuffled, and each image still belongs to its row (image byte = row index mod 251).
    expect(all.train!.sops).not.toEqual([...all.train!.sops].sort());
    all.train!.sops.forEach((sop, i) => expect(all.train!.images[i]).toBe(Number(sop.split('.').pop()) % 251));
  });
});
