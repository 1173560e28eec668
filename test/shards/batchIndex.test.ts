import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { sha256Hex } from '../../src/core/hash.ts';
import { BATCH_INDEX_FILE, indexShardFile, type BatchIndexFile } from '../../src/shards/batchIndex.ts';
import { shardDataset, type ShardResult } from '../../src/shards/build.ts';
import { verifyDataset } from '../../src/shards/verify.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

let dir: string;
let built: ShardResult;

beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, [{ dataset: 'A', label: 'CT', images: 23 }, { dataset: 'B', label: 'MR', images: 9 }], 12);
  const mf = writeManifest(path.join(dir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]);
  built = await shardDataset({ name: 'bi', batch: 5, manifest: mf, seed: 3, shardSizeMb: 0.002 }, quietContext(dir));
});

describe('batch index (batch-index.json)', () => {
  it('gives byte ranges that slice each batch’s images and labels straight out of the file', () => {
    const text = fs.readFileSync(path.join(built.dir, BATCH_INDEX_FILE), 'utf8');
    expect(built.manifest.batchIndex).toEqual({ file: BATCH_INDEX_FILE, sha256: sha256Hex(text) });
    const idx = JSON.parse(text) as BatchIndexFile;
    expect(idx.image).toEqual({ height: 12, width: 12, dtype: 'uint8' });
    expect(idx.shards.map((s) => s.file).sort()).toEqual(built.manifest.shards.map((s) => s.file).sort());
    expect(built.manifest.shards.length).toBeGreaterThan(2);
    let rows = 0;
    for (const s of idx.shards) {
      const bytes = fs.readFileSync(path.join(built.dir, s.file));
      const table = tableFromIPC(bytes);
      expect(s.batches.length).toBe(table.batches.length);
      s.batches.forEach((b, k) => {
        const rb = table.batches[k]!;
        expect(b.rows).toBe(rb.numRows);
        const img = rb.getChildAt(0)!.data[0]!;
        const want = (img.values as Uint8Array).subarray(img.offset * 144, (img.offset + rb.numRows) * 144);
        expect(Buffer.compare(bytes.subarray(b.image.offset, b.image.offset + b.image.length), Buffer.from(want))).toBe(0);
        const labels = new Int32Array(bytes.buffer.slice(bytes.byteOffset + b.label.offset, bytes.byteOffset + b.label.offset + b.label.length));
        expect([...labels]).toEqual([...(rb.getChildAt(1)!.toArray() as Int32Array)]);
        // The block starts with the IPC continuation marker; the body follows the metadata.
        expect(bytes.readInt32LE(b.offset)).toBe(-1);
        expect(b.image.offset).toBeGreaterThanOrEqual(b.offset + b.metadataLength);
        expect(b.label.offset + b.label.length).toBeLessThanOrEqual(b.offset + b.metadataLength + b.bodyLength);
        // CRC-32 of the block, taken as it was written, equals that of the bytes on disk.
        expect(b.crc32).toBe(zlib.crc32(bytes.subarray(b.offset, b.offset + b.metadataLength + b.bodyLength)));
        rows += b.rows;
      });
      const ends = s.batches.map((b) => [b.offset, b.offset + b.metadataLength + b.bodyLength] as const);
      expect(ends.every(([from], k) => k === 0 || from === ends[k - 1]![1])).toBe(true); // the batches lie back to back
      const rest = Buffer.concat([bytes.subarray(0, ends[0]![0]), bytes.subarray(ends[ends.length - 1]![1])]);
      expect(s.restCrc32).toBe(zlib.crc32(rest));
    }
    expect(rows).toBe(32);
  });

  it('refuses a file that is not an Arrow IPC file with a clear error', async () => {
    const bad = path.join(dir, 'not-arrow.arrow');
    fs.writeFileSync(bad, 'hello, not arrow at all');
    await expect(indexShardFile(bad)).rejects.toThrow();
  });

  it('`etl verify` fails when the sidecar is edited', async () => {
    const ctx = quietContext(dir);
    expect((await verifyDataset({ name: 'bi', version: built.version }, ctx)).ok).toBe(true);
    const file = path.join(built.dir, BATCH_INDEX_FILE);
    const orig = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, orig.replace('"rows":5', '"rows":4'));
      const r = await verifyDataset({ name: 'bi', version: built.version }, ctx);
      expect(r.ok).toBe(false);
      expect(r.problems.map((p) => p.code)).toContain('BATCH_INDEX');
    } finally {
      fs.writeFileSync(file, orig);
    }
  });
});
