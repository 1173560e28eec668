import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardDataset } from '../../src/shards/build.ts';
import type { StagedSample } from '../../src/core/types.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import { encodeStaging } from '../../src/preprocess/staging.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

/**
 * The shard bytes are a contract: the same staging and seed give the same files, whatever the
 * memory budget, the hashing thread or the internals of the shard path. These digests were taken
 * from the shard path before its rewrite for speed (issue #12); any change to them is a format
 * change and needs a new shard format version.
 */
const SPECS = [
  { dataset: 'A', label: 'CT', images: 23 }, { dataset: 'A', label: 'CT', images: 17 },
  { dataset: 'B', label: 'MR', images: 19 }, { dataset: 'C', label: 'PT', images: 11 },
  { dataset: 'D', label: 'XR', images: 9 }, { dataset: 'E', label: 'CT', images: 6 },
];
const SPLIT = { A: 'train', B: 'train', C: 'validate', D: 'test', E: 'test' } as const;

const PINNED: Record<string, string> = {
  'train-00000-of-00008.arrow': '38f308c191f17282f25ba25b33ea707fb56544fe2116fa5e6421ec67ade8d12b',
  'train-00001-of-00008.arrow': '282811c56c3a17c8811116f81c357581cc1e9dcd9822797e199f99bb12495e6c',
  'train-00002-of-00008.arrow': '389db8fe0407c2740040ec3b958c2814003336a4f000167652af58012159264a',
  'train-00003-of-00008.arrow': '6131e52c69d9d46dcd18632f83cef104f7499b05656f1287ac0dac425bed3e23',
  'train-00004-of-00008.arrow': 'f89cf971292f479bebd9e9d45fcf8e40ad45caef41eddb2a7e7e67a08fd2b1a2',
  'train-00005-of-00008.arrow': '0dba199c14d1be9ab7af3fcf53f72c9782bf84b4d38bd5c800ddef4b954d09da',
  'train-00006-of-00008.arrow': '2744ea63a11f21d3cb440c26478b1df9cf364f589e0b3254b33fb155238742aa',
  'train-00007-of-00008.arrow': 'e5e86746aa81bbd3340ba9fb90bfaec8cce468cb57dc6fa10fade62577dd7857',
  'validate-00000-of-00002.arrow': 'dd01b21b3feef2271d7eccb0c39ba1f2c7886e9de4f9b746628273be37f861b8',
  'validate-00001-of-00002.arrow': '797a92e5b72a51e22aae05c36a74a95054cb553b665469b360540262a131e655',
  'test-00000-of-00002.arrow': 'a12dc47e0aae7a320cb1b5bb75092c869a1c6c241134babb3e04fc064add58b6',
  'test-00001-of-00002.arrow': '450571ded2cd54f956cb1c4e327998ed7b902f5179044961c854c89d8f832da3',
};

let dir: string;
let manifestFile: string;
beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, SPECS, 32);
  manifestFile = writeManifest(path.join(dir, 'm.json'), 'm', Object.entries(SPLIT).map(([name, split]) => ({ name, split })));
});

async function digests(name: string, options: { memoryMb?: number; hashInBackground?: boolean }): Promise<Record<string, string>> {
  const r = await shardDataset({ name, batch: 8, manifest: manifestFile, seed: 11, shardSizeMb: 0.02, ...options }, quietContext(dir));
  const out: Record<string, string> = {};
  for (const s of r.manifest.shards) {
    const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(r.dir, s.file))).digest('hex');
    expect(s.sha256).toBe(sha);
    out[s.file] = sha;
  }
  return out;
}

describe('shard bytes are pinned', () => {
  it('in memory, spilled to buckets, hashed on a worker thread: the same files as before', async () => {
    const inMemory = await digests('mem', {});
    expect(inMemory).toEqual(PINNED);
    expect(await digests('spill', { memoryMb: 0.01 })).toEqual(PINNED);
    expect(await digests('bg', { memoryMb: 0.05, hashInBackground: true })).toEqual(PINNED);
  });
});

/**
 * Wider inputs, pinned the same way (the dataset version is a hash of the manifest, which holds every
 * shard's SHA-256, the counts, the leakage report and the batch index): multi-frame series of
 * uneven length, a class outside the class list (rejected rows), a dataset without a split (left
 * out), odd batch sizes, `--partial drop`, one batch larger than a split.
 */
const WIDE = [['DS-CT', 'CT', 'train'], ['DS-MR', 'MR', 'train'], ['DS-PT', 'PT', 'validate'], ['DS-XR', 'XR', 'test'], ['DS-US', 'US', 'test'], ['DS-NO', 'CT', null]] as const;

async function stageWide(dir: string, n: number, size: number, per: number): Promise<string> {
  const px = size * size;
  let base = Buffer.alloc(0);
  for (let i = 0; base.length < px + 4096; i++) base = Buffer.concat([base, crypto.createHash('sha256').update(String(i)).digest()]);
  for (let s = 0, made = 0; made < n; s++) {
    const [dataset, label] = WIDE[s % WIDE.length]!;
    const count = Math.min(dataset === 'DS-US' ? 1 : per - (s % 7), n - made);
    const uid = `1.2.3.${s}`;
    const samples: StagedSample[] = [];
    for (let i = 0; i < count; i++) {
      const image = Buffer.from(base.subarray((made + i) % 4096, ((made + i) % 4096) + px));
      image.writeUInt32LE(made + i, 0);
      samples.push({
        image, dataset, patientId: `${dataset}-${s % 5}`, studyUid: uid, seriesUid: uid, sopUid: `${uid}.${i >> 1}`, frame: i & 1,
        modality: label, label, bodyPart: 'CHEST', rows: 512, cols: 512, normLo: 0, normHi: 1, pixelHash: sha256Hex(image).slice(0, 16),
      });
    }
    const d = path.join(dir, 'staging', dataset);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, `${uid}.arrow`), encodeStaging(samples, size, { configHash: 'ref' }));
    fs.writeFileSync(path.join(d, `${uid}.json`), JSON.stringify({ version: 1, collection: dataset, seriesUid: uid, configHash: 'ref', inputSha256: uid, size, samples: count, rejects: 0, stagedAt: 'x' }));
    made += count;
  }
  return writeManifest(path.join(dir, 'manifest.json'), 'ref', WIDE.filter((d) => d[2]).map(([name, , split]) => ({ name, split: split! })));
}

/**
 * `shards`: SHA-256 of the list "file sha256" of every shard — the shard files themselves, pinned
 * before the batch index gained CRC-32s. `version` also covers the manifest and batch-index.json;
 * it was re-pinned then (v8146be0c3c802c06, veeff39fa4083d145, v6b057d5ed5df566e before), the
 * shard files unchanged.
 */
describe('shard bytes are pinned on wider inputs', () => {
  const cases = [
    { n: 3000, size: 48, per: 40, opts: { batch: 32, seed: 5, shardSizeMb: 0.4 }, shards: '009b8fccc8ed557c3d27e1000d35ac61024d454c1b52757ed408af7f65eb2af0', version: 'va53d0f876e345aeb' },
    { n: 1000, size: 64, per: 23, opts: { batch: 7, seed: 0, shardSizeMb: 0.2, partial: 'drop' as const }, shards: '9b6b0fafe4acfdb23e3bf344cea22768c11fd50695a3ab9bbf05d631a5fff7c7', version: 'v7cf59bb2c89f387e' },
    { n: 500, size: 32, per: 10, opts: { batch: 128, seed: 9 }, shards: '49e1bf41694b0d7bd7724e20d6af94458fab7d7efde03cc641173f7bd9c229af', version: 'v0fb509498c831bd3' },
  ];
  for (const c of cases) {
    it(`${c.n} images ${c.size}², batch ${c.opts.batch}: the same version (and so the same bytes) as before`, async () => {
      const d = tempDataDir();
      const manifest = await stageWide(d, c.n, c.size, c.per);
      const r = await shardDataset({ name: 'ref', manifest, maxRejectRate: 1, ...c.opts }, quietContext(d));
      expect(sha256Hex(r.manifest.shards.map((s) => `${s.file} ${s.sha256}\n`).join(''))).toBe(c.shards);
      expect(r.version).toBe(c.version);
      // Rows spilled to many key-range buckets (~100 rows of memory): the same bytes.
      const spilled = await shardDataset({ name: 'ref2', manifest, maxRejectRate: 1, memoryMb: 0.025, ...c.opts }, quietContext(d));
      expect(spilled.manifest.shards.map((s) => s.sha256)).toEqual(r.manifest.shards.map((s) => s.sha256));
    });
  }
});
