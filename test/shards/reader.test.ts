import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { sha256Hex } from '../../src/core/hash.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { openDataset, type Batch, type DatasetHandle, type ReadOptions } from '../../src/shards/reader.ts';
import type { BatchIndexFile } from '../../src/shards/batchIndex.ts';
import { IntegrityError, verifyDataset } from '../../src/shards/verify.ts';
import type { Split } from '../../src/core/types.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

let dir: string;
let ds: DatasetHandle;
/** sop → pixel hash, from the shards themselves. */
const hashOf = new Map<string, string>();
const allSops: Record<string, string[]> = {};

beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, [
    { dataset: 'A', label: 'CT', images: 37 }, { dataset: 'B', label: 'MR', images: 30 },
    { dataset: 'C', label: 'PT', images: 12 },
  ], 16);
  const mf = writeManifest(path.join(dir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }, { name: 'C', split: 'test' }]);
  const r = await shardDataset({ name: 'rd', batch: 6, manifest: mf, seed: 4, shardSizeMb: 0.006 }, quietContext(dir));
  for (const s of r.manifest.shards) {
    const t = tableFromIPC(fs.readFileSync(path.join(r.dir, s.file)));
    const sops = t.getChild('sop')!.toArray() as string[];
    const hashes = t.getChild('pixel_hash')!.toArray() as string[];
    sops.forEach((sop, i) => hashOf.set(sop, hashes[i]!));
    (allSops[s.split] ??= []).push(...sops);
  }
  ds = await openDataset(dir, 'rd');
});
afterAll(async () => {
  await ds?.close();
});

/** Reads an epoch, checking each batch's images against its sops BEFORE asking for the next. */
async function epoch(split: Split, o: ReadOptions, stopAfter = Infinity): Promise<{ sops: string[]; sizes: number[]; cursor: number; batches: Batch[] }> {
  const sops: string[] = [];
  const sizes: number[] = [];
  const batches: Batch[] = [];
  let cursor = o.startCursor ?? 0;
  for await (const b of ds.batches(split, o)) {
    const px = b.height * b.width;
    expect(b.images.length).toBe(b.size * px);
    for (let r = 0; r < b.size; r++) {
      expect(sha256Hex(b.images.subarray(r * px, (r + 1) * px)).slice(0, 16)).toBe(hashOf.get(b.sops[r]!));
    }
    sops.push(...b.sops);
    sizes.push(b.size);
    batches.push({ ...b, images: b.images.slice() });
    cursor = b.cursor;
    if (batches.length >= stopAfter) break;
  }
  return { sops, sizes, cursor, batches };
}

describe('shard reader', () => {
  it('describes the dataset', () => {
    expect(ds.classNames).toEqual(['CT', 'MR', 'PT', 'XR']);
    expect([ds.height, ds.width, ds.batchSize]).toEqual([16, 16, 6]);
    expect(ds.splitRows('train')).toBe(67);
    expect(ds.splitBatches('train')).toBe(12);
    expect(ds.splitBatches('validate')).toBe(0);
  });

  it('reads each epoch as a permutation: different per epoch, identical per seed, images intact with prefetch', async () => {
    const e0 = await epoch('train', { seed: 1, epoch: 0, prefetch: 3 });
    const e0b = await epoch('train', { seed: 1, epoch: 0, prefetch: 0 });
    const e1 = await epoch('train', { seed: 1, epoch: 1 });
    const s2 = await epoch('train', { seed: 2, epoch: 0 });
    expect([...e0.sops].sort()).toEqual([...allSops.train!].sort());
    expect(new Set(e0.sops).size).toBe(67);
    expect(e0b.sops).toEqual(e0.sops);
    expect(e1.sops).not.toEqual(e0.sops);
    expect(s2.sops).not.toEqual(e0.sops);
    expect([...e1.sops].sort()).toEqual([...e0.sops].sort());
    expect(e0.cursor).toBe(12);
    const labels = e0.batches.flatMap((b) => Array.from(b.labels));
    expect(labels.filter((l) => l === 0).length).toBe(37);
    const noShuffle = await epoch('train', { shuffle: false });
    expect(noShuffle.sops).toEqual(allSops.train);
  });

  it('decodes a batch’s ID columns when first read, and they stay the batch’s own after the reader has reused its buffer or dropped its pages', async () => {
    const eager = await epoch('train', { seed: 6, epoch: 2, prefetch: 1 });
    for (const mmap of [false, true]) {
      const handle = await openDataset(dir, 'rd', { mmap });
      const kept: Batch[] = [];
      for await (const b of handle.batches('train', { seed: 6, epoch: 2, prefetch: 1 })) kept.push(b); // IDs untouched while reading
      await handle.close();
      expect(kept.flatMap((b) => b.sops)).toEqual(eager.sops);
      expect(kept.flatMap((b) => b.datasets)).toEqual(eager.batches.flatMap((b) => b.datasets));
      expect(new Set(kept.flatMap((b) => b.series)).size).toBeGreaterThan(1);
      // A spread copies them; an assignment replaces them.
      const copy = { ...kept[0]! };
      expect(Object.getOwnPropertyDescriptor(copy, 'sops')?.value).toEqual(eager.batches[0]!.sops);
      kept[0]!.sops = ['replaced'];
      expect(kept[0]!.sops).toEqual(['replaced']);
    }
  });

  it('resumes mid-epoch exactly from the cursor (with and without a shuffle buffer)', async () => {
    for (const shuffleBuffer of [0, 4]) {
      const full = await epoch('train', { seed: 9, epoch: 3, shuffleBuffer });
      const head = await epoch('train', { seed: 9, epoch: 3, shuffleBuffer }, 5);
      expect(head.cursor).toBe(5);
      const tail = await epoch('train', { seed: 9, epoch: 3, shuffleBuffer, startCursor: head.cursor });
      expect([...head.sops, ...tail.sops]).toEqual(full.sops);
    }
  });

  it('mixes rows across k batches with the shuffle buffer, keeping batch sizes and coverage', async () => {
    const plain = await epoch('train', { seed: 5, epoch: 0 });
    const mixed = await epoch('train', { seed: 5, epoch: 0, shuffleBuffer: 4 });
    expect(mixed.sizes).toEqual(plain.sizes);
    expect([...mixed.sops].sort()).toEqual([...plain.sops].sort());
    expect(mixed.sops).not.toEqual(plain.sops);
    // A mixed batch draws rows from more than one stored batch.
    const storedBatchOf = new Map<string, number>();
    plain.batches.forEach((b, i) => b.sops.forEach((s) => storedBatchOf.set(s, i)));
    expect(mixed.batches.some((b) => new Set(b.sops.map((s) => storedBatchOf.get(s))).size > 1)).toBe(true);
  });

  it('gives disjoint partitions that cover the epoch', async () => {
    const parts = await Promise.all([0, 1, 2].map((index) => epoch('train', { seed: 3, epoch: 2, partition: { index, count: 3 } })));
    const union = parts.flatMap((p) => p.sops);
    expect(union.length).toBe(67);
    expect(new Set(union).size).toBe(67);
    expect(parts.map((p) => p.batches.length)).toEqual([4, 4, 4]);
  });

  it('checks checksums on open with verify: true', async () => {
    const d = await openDataset(dir, 'rd', { verify: true });
    await d.close();
    const shard = path.join(d.dir, d.manifest.shards[0]!.file);
    const bytes = fs.readFileSync(shard);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    const copyDir = path.join(dir, 'datasets', 'rd2', d.version);
    fs.mkdirSync(copyDir, { recursive: true });
    for (const f of fs.readdirSync(d.dir)) fs.copyFileSync(path.join(d.dir, f), path.join(copyDir, f));
    fs.writeFileSync(path.join(copyDir, d.manifest.shards[0]!.file), bytes);
    await expect(openDataset(dir, 'rd2', { version: d.version, verify: true })).rejects.toBeInstanceOf(IntegrityError);
  });

  it('reads a dataset without a batch index from the shard footers, and refuses a batch index that differs from the manifest', async () => {
    const copy = (name: string, edit: (d: string) => void) => {
      const to = path.join(dir, 'datasets', name, ds.version);
      fs.mkdirSync(to, { recursive: true });
      for (const f of fs.readdirSync(ds.dir)) fs.copyFileSync(path.join(ds.dir, f), path.join(to, f));
      edit(to);
    };
    copy('noindex', (d) => {
      const m = JSON.parse(fs.readFileSync(path.join(d, 'manifest.json'), 'utf8'));
      delete m.batchIndex;
      fs.writeFileSync(path.join(d, 'manifest.json'), JSON.stringify(m));
      fs.rmSync(path.join(d, 'batch-index.json'));
    });
    copy('badindex', (d) => fs.appendFileSync(path.join(d, 'batch-index.json'), ' '));
    const want = await epoch('train', { seed: 6, epoch: 1 });
    const other = await openDataset(dir, 'noindex', { version: ds.version });
    const got: string[] = [];
    for await (const b of other.batches('train', { seed: 6, epoch: 1 })) got.push(...b.sops);
    await other.close();
    expect(got).toEqual(want.sops);
    const bad = await openDataset(dir, 'badindex', { version: ds.version });
    await expect(bad.batches('train', {})[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(IntegrityError);
    await bad.close();
  });

  it('checks each batch’s CRC-32 as it reads it, and the bytes around the batches at open: damage anywhere is DATA_INTEGRITY naming the shard', async () => {
    const index = JSON.parse(fs.readFileSync(path.join(ds.dir, 'batch-index.json'), 'utf8')) as BatchIndexFile;
    const s = index.shards.find((x) => x.split === 'train')!;
    const last = s.batches[s.batches.length - 1]!;
    const spots = {
      batch: last.image.offset + 7, // image bytes of the shard's last batch
      message: s.batches[0]!.offset + 12, // the first batch's metadata message
      schema: 20, // the Schema message, before every batch
      footer: s.bytes - 20, // the footer, after every batch
    };
    for (const [where, at] of Object.entries(spots)) for (const mmap of [true, false]) {
      const name = `dmg-${where}-${mmap}`;
      const to = path.join(dir, 'datasets', name, ds.version);
      fs.mkdirSync(to, { recursive: true });
      for (const f of fs.readdirSync(ds.dir)) fs.copyFileSync(path.join(ds.dir, f), path.join(to, f));
      const bytes = fs.readFileSync(path.join(to, s.file));
      bytes[at] = bytes[at]! ^ 0x10;
      fs.writeFileSync(path.join(to, s.file), bytes);
      const bad = await openDataset(dir, name, { version: ds.version, mmap });
      const seen: string[] = [];
      const err = await (async () => {
        for await (const b of bad.batches('train', { shuffle: false })) seen.push(...b.sops);
      })().then(() => undefined, (e: unknown) => e);
      await bad.close();
      expect(err, where).toBeInstanceOf(IntegrityError);
      expect((err as Error).message).toContain(s.file);
      // Nothing of the damaged shard is handed out when the damage lies outside its batches; the batches before a damaged one are intact.
      if (where === 'batch') expect((err as Error).message).toContain(`batch ${s.batches.length - 1}`);
      else expect(seen.length).toBe(0);
    }
  });

  it('checks the whole shard’s SHA-256 at open when the batch index has no CRC-32s (datasets written before them)', async () => {
    const to = path.join(dir, 'datasets', 'nocrc', ds.version);
    fs.mkdirSync(to, { recursive: true });
    for (const f of fs.readdirSync(ds.dir)) fs.copyFileSync(path.join(ds.dir, f), path.join(to, f));
    const index = JSON.parse(fs.readFileSync(path.join(to, 'batch-index.json'), 'utf8')) as BatchIndexFile;
    for (const sh of index.shards) {
      delete sh.restCrc32;
      for (const b of sh.batches) delete b.crc32;
    }
    const text = JSON.stringify(index) + '\n';
    fs.writeFileSync(path.join(to, 'batch-index.json'), text);
    const m = JSON.parse(fs.readFileSync(path.join(to, 'manifest.json'), 'utf8'));
    m.batchIndex.sha256 = sha256Hex(text);
    fs.writeFileSync(path.join(to, 'manifest.json'), JSON.stringify(m));
    // `etl verify` accepts an index without CRC-32s (compared without them).
    expect((await verifyDataset({ name: 'nocrc', version: ds.version }, quietContext(dir))).problems).toEqual([]);
    const intact = await openDataset(dir, 'nocrc', { version: ds.version });
    const got: string[] = [];
    for await (const b of intact.batches('train', { seed: 6, epoch: 1 })) got.push(...b.sops);
    await intact.close();
    expect(got).toEqual((await epoch('train', { seed: 6, epoch: 1 })).sops);
    const s = index.shards.find((x) => x.split === 'train')!;
    const bytes = fs.readFileSync(path.join(to, s.file));
    bytes[s.bytes - 20] = bytes[s.bytes - 20]! ^ 0x10;
    fs.writeFileSync(path.join(to, s.file), bytes);
    const bad = await openDataset(dir, 'nocrc', { version: ds.version });
    const err = await bad.batches('train', {})[Symbol.asyncIterator]().next().then(() => undefined, (e: unknown) => e);
    await bad.close();
    expect(err).toBeInstanceOf(IntegrityError);
    expect((err as Error).message).toContain('SHA-256');
  });
});
