import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { canMap } from '../../src/core/mmap.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { openDataset, type ReadOptions } from '../../src/shards/reader.ts';
import type { Split } from '../../src/core/types.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

/**
 * The reader's two byte paths (shardHandles.ts): pread into reused buffers (the default) and views
 * of a memory map (`mmap: true`, where koffi loads) hand out the same batches, byte for byte.
 */
const mapping = canMap();
if (!mapping) console.warn('readerMmap: mapped-path tests skipped: koffi (optional dependency) did not load or this platform has no mmap');

let dir: string;
let version: string;

beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, [{ dataset: 'A', label: 'CT', images: 29 }, { dataset: 'B', label: 'MR', images: 17 }], 16);
  const mf = writeManifest(path.join(dir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }]);
  version = (await shardDataset({ name: 'mm', batch: 5, manifest: mf, seed: 2, shardSizeMb: 0.004 }, quietContext(dir))).version;
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Every batch of an epoch, copied (sops, labels, images). */
async function epoch(opts: { mmap: boolean; checksums?: boolean }, split: Split, ro: ReadOptions, name = 'mm') {
  const ds = await openDataset(dir, name, { version, ...opts });
  const out: Array<{ sops: string[]; labels: number[]; images: Uint8Array }> = [];
  try {
    for await (const b of ds.batches(split, ro)) out.push({ sops: b.sops, labels: [...b.labels], images: b.images.slice() });
  } finally {
    await ds.close();
  }
  return out;
}

describe('batch decoding', () => {
  it('decodes an ID column that is not ASCII as UTF-8 beside ASCII ones, on both paths', async () => {
    const d2 = tempDataDir();
    await stageSeries(d2, [{ dataset: 'Zürich-Ärzte', label: 'CT', images: 7 }, { dataset: 'B', label: 'MR', images: 6 }], 16);
    const mf = writeManifest(path.join(d2, 'm.json'), 'm', [{ name: 'Zürich-Ärzte', split: 'train' }, { name: 'B', split: 'train' }]);
    await shardDataset({ name: 'u', batch: 13, manifest: mf, seed: 2 }, quietContext(d2));
    for (const mmap of [false, ...(mapping ? [true] : [])]) {
      const ds = await openDataset(d2, 'u', { mmap });
      for await (const b of ds.batches('train', { shuffle: false })) {
        expect([...b.datasets].sort()).toEqual([...Array(7).fill('Zürich-Ärzte'), ...Array(6).fill('B')].sort());
        expect(new Set(b.sops).size).toBe(13);
      }
      await ds.close();
    }
    fs.rmSync(d2, { recursive: true, force: true });
  });
});

describe('batch decoding, damaged', () => {
  it('refuses a batch whose SOP offsets run past their buffer as it reads it (SHARDS_CORRUPT naming the batch), on both paths, checksums off', async () => {
    const d2 = tempDataDir();
    await stageSeries(d2, [{ dataset: 'A', label: 'CT', images: 9 }], 16);
    const mf = writeManifest(path.join(d2, 'm.json'), 'm', [{ name: 'A', split: 'train' }]);
    const r = await shardDataset({ name: 'bad', batch: 9, manifest: mf, seed: 2 }, quietContext(d2));
    const file = path.join(r.dir, r.manifest.shards[0]!.file);
    const bytes = fs.readFileSync(file);
    // The sop column's offsets, found by value: 0, then the running sum of the batch's SOP UIDs' lengths.
    const sops = tableFromIPC(bytes).batches[0]!.getChild('sop')!.toArray() as string[];
    const offsets = Int32Array.from([0, ...sops.map((_, i) => Buffer.byteLength(sops.slice(0, i + 1).join('')))]);
    const at = bytes.indexOf(Buffer.from(offsets.buffer));
    expect(at).toBeGreaterThan(0);
    bytes.writeInt32LE(1 << 30, at + 4 * sops.length);
    fs.writeFileSync(file, bytes);
    for (const mmap of [false, ...(mapping ? [true] : [])]) {
      const ds = await openDataset(d2, 'bad', { mmap, checksums: false });
      const read = async () => {
        for await (const b of ds.batches('train', { shuffle: false })) void b.images; // the IDs untouched
      };
      await expect(read()).rejects.toMatchObject({ code: 'SHARDS_CORRUPT', message: expect.stringMatching(/batch 0: sops offset 9 lies outside its buffer/) });
      await ds.close();
    }
    fs.rmSync(d2, { recursive: true, force: true });
  });
});

describe.skipIf(!mapping)('shard reader, memory-mapped', () => {
  it('hands out the same batches as pread, with and without prefetch and the shuffle buffer', async () => {
    const modes: ReadOptions[] = [
      { seed: 3, epoch: 1 }, { seed: 3, epoch: 1, prefetch: 0 }, { seed: 4, epoch: 0, shuffleBuffer: 3 },
      { seed: 4, epoch: 2, startCursor: 4 }, { seed: 4, epoch: 2, shuffleBuffer: 3, startCursor: 4, prefetch: 0 },
      { seed: 5, epoch: 0, partition: { index: 1, count: 3 } },
    ];
    for (const ro of modes) {
      const mapped = await epoch({ mmap: true }, 'train', ro);
      const read = await epoch({ mmap: false }, 'train', ro);
      expect(mapped.length).toBeGreaterThan(0);
      expect(mapped, JSON.stringify(ro)).toEqual(read);
    }
    expect((await epoch({ mmap: true }, 'train', {})).length).toBe(10);
  });

  it('a consumer that breaks out keeps its batch, writes included; one that asks for the next gets the file\'s bytes back where it wrote', async () => {
    const ds = await openDataset(dir, 'mm', { version, mmap: true });
    let kept: Uint8Array | undefined;
    for await (const b of ds.batches('train', { seed: 1 })) {
      b.images.fill(9);
      kept = b.images;
      break;
    }
    expect(kept!.every((v) => v === 9)).toBe(true);
    await ds.close();
  });

  it.skipIf(process.platform !== 'linux')('drops each batch\'s pages when the next is asked for, and gives its maps back at the end (Linux: /proc, MADV_DONTNEED)', async () => {
    // Batches of 5 images 64² (20 KB, several pages) and several batches a shard.
    const d2 = tempDataDir();
    await stageSeries(d2, [{ dataset: 'A', label: 'CT', images: 40 }], 64);
    const mf = writeManifest(path.join(d2, 'm.json'), 'm', [{ name: 'A', split: 'train' }]);
    const built = await shardDataset({ name: 'big', batch: 5, manifest: mf, seed: 2, shardSizeMb: 0.06 }, quietContext(d2));
    expect(built.manifest.shards.length).toBeLessThan(8);
    const ds = await openDataset(d2, 'big', { mmap: true });
    let prev: Uint8Array | undefined;
    let prevCopy: Uint8Array | undefined;
    let checked = 0;
    for await (const b of ds.batches('train', { seed: 1, prefetch: 0 })) {
      // Past the validity rule, to see the drop: what was written into the previous batch is gone.
      if (prev) expect(prev).toEqual(prevCopy), checked++;
      prevCopy = b.images.slice();
      prev = b.images;
      prev.fill(9);
    }
    expect(checked).toBe(7);
    for (let e = 0; e < 20; e++) for await (const b of ds.batches('train', { epoch: e })) expect(b.size).toBe(5);
    const mapsOfShards = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(path.join(d2, 'datasets', 'big'))).length;
    expect(mapsOfShards).toBeGreaterThan(0);
    expect(mapsOfShards).toBeLessThanOrEqual(built.manifest.shards.length); // 21 epochs, one map a shard
    await ds.close();
    fs.rmSync(d2, { recursive: true, force: true });
  });

  it('views the map (no copy): a batch\'s images lie in one buffer the size of its shard file', async () => {
    const ds = await openDataset(dir, 'mm', { version, mmap: true });
    const sizes = new Set(ds.manifest.shards.map((s) => s.bytes));
    for await (const b of ds.batches('train', { shuffle: false, prefetch: 0 })) expect(sizes.has(b.images.buffer.byteLength)).toBe(true);
    await ds.close();
    const pread = await openDataset(dir, 'mm', { version });
    for await (const b of pread.batches('train', { shuffle: false, prefetch: 0 })) expect(sizes.has(b.images.buffer.byteLength)).toBe(false);
    await pread.close();
  });

  it('writing into a batch changes neither the file nor the next read (copy-on-write)', async () => {
    const shard = path.join(dir, 'datasets', 'mm', version, (await openDataset(dir, 'mm', { version })).manifest.shards[0]!.file);
    const before = fs.readFileSync(shard);
    const ds = await openDataset(dir, 'mm', { version, mmap: true });
    for await (const b of ds.batches('train', { shuffle: false })) b.images.fill(7);
    const again: Uint8Array[] = [];
    for await (const b of ds.batches('train', { shuffle: false })) again.push(b.images.slice());
    await ds.close();
    expect(fs.readFileSync(shard).equals(before)).toBe(true);
    expect(again.some((img) => img.some((v) => v !== 7))).toBe(true);
    expect(again).toEqual((await epoch({ mmap: false }, 'train', { shuffle: false })).map((b) => b.images));
  });

  it('a shard cut short is SHARDS_TRUNCATED, not a fault, even with checksums off (the map ends where the file does)', async () => {
    const to = path.join(dir, 'datasets', 'cut', version);
    fs.mkdirSync(to, { recursive: true });
    const src = path.join(dir, 'datasets', 'mm', version);
    for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(to, f));
    const ds0 = await openDataset(dir, 'cut', { version });
    const file = ds0.manifest.shards.find((s) => s.split === 'train')!.file;
    await ds0.close();
    fs.truncateSync(path.join(to, file), Math.floor(fs.statSync(path.join(to, file)).size / 2));
    const err = await epoch({ mmap: true, checksums: false }, 'train', { shuffle: false }, 'cut').then(() => undefined, (e: unknown) => e);
    expect((err as { code?: string }).code).toBe('SHARDS_TRUNCATED');
  });
});
