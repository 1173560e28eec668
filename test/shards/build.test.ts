import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RecordBatchReader, tableFromIPC } from 'apache-arrow';
import { shardDataset } from '../../src/shards/build.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { readCurrent } from '../../src/shards/publish.ts';
import { readShardSchemaInfo } from '../../src/shards/schema.ts';
import { InputError } from '../../src/core/errors.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

const SPECS = [
  { dataset: 'A', label: 'CT', images: 23 }, { dataset: 'A', label: 'CT', images: 17 },
  { dataset: 'B', label: 'MR', images: 19 }, { dataset: 'C', label: 'PT', images: 11 },
  { dataset: 'D', label: 'XR', images: 9 }, { dataset: 'E', label: 'CT', images: 6 },
];
const SPLIT = { A: 'train', B: 'train', C: 'validate', D: 'test', E: 'test' } as const;

let dir: string;
let manifestFile: string;
beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, SPECS, 16);
  manifestFile = writeManifest(path.join(dir, 'm.json'), 'm', Object.entries(SPLIT).map(([name, split]) => ({ name, split })));
});

function readAll(file: string) {
  return tableFromIPC(fs.readFileSync(file));
}

describe('etl shard', () => {
  it('writes every staged sample exactly once, in its split, in batches of exactly --batch rows', async () => {
    const ctx = quietContext(dir);
    // Tiny memory budget → several shuffle buckets spilled to disk; tiny shards → several files.
    const r = await shardDataset({ name: 'rt', batch: 8, manifest: manifestFile, seed: 7, memoryMb: 0.002, shardSizeMb: 0.005 }, ctx);
    const m = r.manifest;
    expect(m.splits.train.rows).toBe(59);
    expect(m.splits.validate.rows).toBe(11);
    expect(m.splits.test.rows).toBe(15);
    expect(m.splits.train.classCounts).toEqual({ CT: 40, MR: 19 });
    expect(m.splits.test.datasetCounts).toEqual({ D: 9, E: 6 });
    expect(m.splits.train.batches).toBe(8);
    expect(m.splits.train.lastBatchRows).toBe(3);
    const seen = new Map<string, string>();
    for (const s of m.shards) {
      const t = readAll(path.join(r.dir, s.file));
      const info = readShardSchemaInfo(t.schema);
      expect(info.split).toBe(s.split);
      expect(t.batches.length).toBe(s.batches);
      t.batches.forEach((b, i) => {
        const last = s.index === s.count - 1 && i === t.batches.length - 1;
        if (!last) expect(b.numRows).toBe(8);
      });
      const sops = t.getChild('sop')!.toArray() as string[];
      const ds = t.getChild('dataset')!.toArray() as string[];
      const imgs = t.getChild('image')!;
      sops.forEach((sop, i) => {
        expect(seen.has(sop)).toBe(false);
        seen.set(sop, s.split);
        expect(SPLIT[ds[i] as keyof typeof SPLIT]).toBe(s.split);
        expect((imgs.get(i) as Uint8Array).length).toBe(256);
      });
    }
    expect(seen.size).toBe(85);
    // Globally shuffled: consecutive rows are not in staging order.
    const first = readAll(path.join(r.dir, m.shards[0]!.file)).getChild('sop')!.toArray() as string[];
    expect(first).not.toEqual([...first].sort());
    // No temporary files left behind.
    expect(fs.readdirSync(path.dirname(r.dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(fs.readdirSync(r.dir).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('drops the partial last batch with --partial drop', async () => {
    const r = await shardDataset({ name: 'drop', batch: 8, manifest: manifestFile, seed: 7, partial: 'drop' }, quietContext(dir));
    expect(r.manifest.splits.train).toMatchObject({ rows: 56, batches: 7, droppedRows: 3, lastBatchRows: 0 });
    expect(r.manifest.splits.validate).toMatchObject({ rows: 8, batches: 1, droppedRows: 3 });
    const t = readAll(path.join(r.dir, r.manifest.shards.find((s) => s.split === 'train')!.file));
    expect(t.batches.every((b) => b.numRows === 8)).toBe(true);
  });

  it('is byte-identical for the same inputs and seed (whatever the memory budget or hashing thread), different for another seed', async () => {
    const ctx = quietContext(dir);
    const a = await shardDataset({ name: 'det1', batch: 8, manifest: manifestFile, seed: 11, memoryMb: 0.002 }, ctx);
    const b = await shardDataset({ name: 'det2', batch: 8, manifest: manifestFile, seed: 11, memoryMb: 512, hashInBackground: true }, ctx);
    // ~30 rows of budget: train spills to buckets while validate and test stay in memory.
    const mixed = await shardDataset({ name: 'det3', batch: 8, manifest: manifestFile, seed: 11, memoryMb: 0.015 }, ctx);
    const c = await shardDataset({ name: 'det1', batch: 8, manifest: manifestFile, seed: 12 }, ctx);
    const strip = (s: string) => s.replace(/"name": "det[123]"/, '').replace(/"version": "v[0-9a-f]+"/, '');
    for (const other of [b, mixed]) {
      expect(strip(fs.readFileSync(path.join(a.dir, 'manifest.json'), 'utf8'))).toBe(strip(fs.readFileSync(path.join(other.dir, 'manifest.json'), 'utf8')));
      for (const s of a.manifest.shards) {
        expect(fs.readFileSync(path.join(a.dir, s.file)).equals(fs.readFileSync(path.join(other.dir, s.file)))).toBe(true);
      }
    }
    expect(c.version).not.toBe(a.version);
    expect(c.manifest.shards[0]!.sha256).not.toBe(a.manifest.shards[0]!.sha256);
    // Rebuilding the same version reuses it and just points current at it.
    const again = await shardDataset({ name: 'det1', batch: 8, manifest: manifestFile, seed: 11 }, ctx);
    expect(again.version).toBe(a.version);
    expect(again.reused).toBe(true);
    expect(readCurrent(ctx.paths.datasetRoot('det1'))).toBe(a.version);
  });

  it('writes the Schema message right after the magic, so the embedded stream is spec-compliant', async () => {
    const r = await shardDataset({ name: 'layout', batch: 8, manifest: manifestFile, seed: 1 }, quietContext(dir));
    const bytes = fs.readFileSync(path.join(r.dir, r.manifest.shards[0]!.file));
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('ARROW1');
    expect(bytes.readInt32LE(8)).toBe(-1); // continuation marker of the first message
    const stream = RecordBatchReader.from(bytes.subarray(8)).open();
    const schema = stream.schema;
    expect(schema.metadata.get('medimg.format')).toBe('medimg-shard/1');
    expect([...stream].length).toBe(r.manifest.shards[0]!.batches);
    const info = readShardSchemaInfo(schema);
    expect(info).toMatchObject({ height: 16, width: 16, batchSize: 8, seed: 1, configHash: 'cfg1', classNames: ['CT', 'MR', 'PT', 'XR'] });
    expect(schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'image:FixedSizeBinary[256]', 'label:Int32', 'dataset:Utf8', 'patient:Utf8', 'series:Utf8', 'sop:Utf8', 'frame:Int32', 'pixel_hash:Utf8',
    ]);
  });

  it('leaves current unchanged and no debris when a build fails', async () => {
    const d2 = tempDataDir();
    await stageSeries(d2, SPECS.slice(0, 3), 16);
    const mf = writeManifest(path.join(d2, 'm.json'), 'm', Object.entries(SPLIT).map(([name, split]) => ({ name, split })));
    const ctx = quietContext(d2);
    const ok = await shardDataset({ name: 'x', batch: 8, manifest: mf }, ctx);
    // A series staged at another size makes the next build fail part-way.
    await stageSeries(d2, [{ dataset: 'Z', label: 'CT', images: 2 }], 8);
    await expect(shardDataset({ name: 'x', batch: 8, manifest: mf, seed: 5 }, ctx)).rejects.toBeInstanceOf(InputError);
    const root = ctx.paths.datasetRoot('x');
    expect(readCurrent(root)).toBe(ok.version);
    expect(fs.readdirSync(root).sort()).toEqual(['current', ok.version]);
    expect(readShardManifest(path.join(root, ok.version)).version).toBe(ok.version);
  });
});
