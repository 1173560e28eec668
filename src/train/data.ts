import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../core/paths.ts';
import { deriveSeed, seededRandom, shuffleInPlace } from '../core/hash.ts';
import { loadManifest, loadSplitFile } from '../curate/index.ts';
import { configFromCanonical, type PreprocessConfig, loadStaging } from '../preprocess/index.ts';
import { type ShardManifest, openDataset, type Batch, type BatchSource } from '../shards/index.ts';
import type { Split } from '../core/types.ts';

/**
 * What training and evaluation consume is the shards' `BatchSource` (one definition,
 * src/shards/batchSource.ts): the shard reader's `DatasetHandle` is one, `memoryBatchSource` is the
 * same contract over arrays in memory (benchmarks, unit tests of the loop).
 */
export type { Batch, BatchSource };

export interface MemorySample {
  image: Uint8Array;
  label: number;
  dataset?: string;
  series?: string;
  sop?: string;
  frame?: number;
}

/**
 * A BatchSource over samples held in memory, pre-batched like shards (the last batch may be short).
 * With `shuffle` the batch order is a seeded permutation of (seed, epoch), as the shard reader does.
 */
export function memoryBatchSource(opts: {
  classNames: string[];
  size: number;
  batchSize: number;
  splits: Partial<Record<Split, MemorySample[]>>;
  name?: string;
}): BatchSource {
  const { size, batchSize } = opts;
  const pixels = size * size;
  const rows = (split: Split) => opts.splits[split]?.length ?? 0;
  const nBatches = (split: Split) => Math.ceil(rows(split) / batchSize);
  return {
    name: opts.name ?? 'memory',
    version: 'memory',
    classNames: opts.classNames,
    height: size,
    width: size,
    batchSize,
    splitRows: rows,
    splitBatches: nBatches,
    async *batches(split, ro = {}) {
      const samples = opts.splits[split] ?? [];
      const order = Array.from({ length: nBatches(split) }, (_, i) => i);
      if (ro.shuffle) shuffleInPlace(order, seededRandom(deriveSeed(ro.seed ?? 0, ro.epoch ?? 0, split)));
      // One reused buffer, like the real reader: consumers must copy before asking for the next batch.
      const images = new Uint8Array(batchSize * pixels);
      for (let pos = ro.startCursor ?? 0; pos < order.length; pos++) {
        const b = order[pos]!;
        const part = samples.slice(b * batchSize, (b + 1) * batchSize);
        part.forEach((s, i) => images.set(s.image, i * pixels));
        yield {
          images: images.subarray(0, part.length * pixels),
          size: part.length,
          height: size,
          width: size,
          labels: Int32Array.from(part, (s) => s.label),
          datasets: part.map((s) => s.dataset ?? 'memory'),
          series: part.map((s) => s.series ?? ''),
          sops: part.map((s) => s.sop ?? ''),
          frames: Int32Array.from(part, (s) => s.frame ?? 0),
          shard: 0,
          batchIndex: b,
          cursor: pos + 1,
        };
        await Promise.resolve();
      }
    },
  };
}

/**
 * Simple synthetic images for smoke runs and benchmarks: each class has its own texture (CT: disc,
 * MR: ring, PT: blobs, XR: vertical bands) plus seeded noise, so a small convnet can learn them.
 */
export function syntheticSamples(n: number, size: number, numClasses: number, seed: number, dataset = 'synthetic'): MemorySample[] {
  const rnd = seededRandom(seed);
  const out: MemorySample[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % numClasses;
    const img = new Uint8Array(size * size);
    const cx = size * (0.4 + 0.2 * rnd());
    const cy = size * (0.4 + 0.2 * rnd());
    const r = size * (0.2 + 0.15 * rnd());
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const d = Math.hypot(x - cx, y - cy);
        let v: number;
        switch (label % 4) {
          case 0:
            v = d < r ? 200 : 30;
            break;
          case 1:
            v = Math.abs(d - r) < size * 0.06 ? 220 : 40;
            break;
          case 2:
            v = 20 + 200 * Math.exp(-(((x % (size / 4)) - size / 8) ** 2 + ((y % (size / 4)) - size / 8) ** 2) / (size * 0.8));
            break;
          default:
            v = (Math.floor((x * 8) / size) % 2) * 160 + 50;
        }
        img[y * size + x] = Math.max(0, Math.min(255, Math.round(v + 40 * (rnd() - 0.5))));
      }
    }
    out.push({ image: img, label, dataset, series: `${dataset}-s${Math.floor(i / 8)}`, sop: `${dataset}-${i}`, frame: 0 });
  }
  return out;
}

/** Extra facts training and evaluation take from a published shard set. */
export interface DatasetFacts {
  /** Preprocessing config the staged images were made with (recorded in the model for `etl classify`). */
  preprocess: PreprocessConfig | null;
  /** Body location per dataset (split file counts, else the dataset manifest); absent → unknown. */
  locations: Record<string, string>;
  /** Images per dataset per split (shard manifest). */
  datasetCounts: Partial<Record<Split, Record<string, number>>>;
  /** Images per class name per split (shard manifest). */
  classCounts?: Partial<Record<Split, Record<string, number>>>;
  /** Class × location pairs ("CT chest") that train holds (split file, else the manifest); absent → unknown. */
  trainPairs?: string[];
}

export type OpenedSource = BatchSource & { close(): Promise<void>; facts: DatasetFacts; manifest: ShardManifest };

/** Open a published shard set (`datasets/<name>/<version|current>`) through the shard reader. */
export async function openBatchSource(dataDir: string, name: string, version?: string): Promise<OpenedSource> {
  const handle = await openDataset(dataDir, name, version ? { version } : {});
  return Object.assign(handle, { facts: await datasetFacts(dataDir, handle.manifest) });
}

export async function datasetFacts(dataDir: string, manifest: ShardManifest): Promise<DatasetFacts> {
  const locations: Record<string, string> = {};
  let trainPairs: Set<string> | undefined;
  const inTrain = (dataset: string, split?: string | null) => (manifest.inputs.assignments?.[dataset] ?? split) === 'train';
  const splitPath = manifest.inputs.splitFile?.path;
  if (splitPath && fs.existsSync(splitPath)) {
    try {
      const counts = loadSplitFile(splitPath).counts;
      trainPairs = new Set(counts.filter((c) => c.images > 0 && inTrain(c.dataset, c.split)).map((c) => `${c.label} ${c.location}`));
      for (const c of counts) locations[c.dataset] ??= c.location;
    } catch {
      /* fall back to the manifest below */
    }
  }
  const manifestPath = manifest.inputs.manifest?.path;
  if (manifestPath && fs.existsSync(manifestPath)) {
    try {
      const datasets = loadManifest(manifestPath).datasets;
      trainPairs ??= new Set(datasets.filter((d) => inTrain(d.name, d.split)).flatMap((d) => (d.classes ?? []).map((c) => `${c} ${d.location}`)));
      for (const d of datasets) locations[d.name] ??= d.location;
    } catch {
      /* locations stay unknown */
    }
  }
  const datasetCounts: DatasetFacts['datasetCounts'] = {};
  const classCounts: DatasetFacts['classCounts'] = {};
  for (const [split, summary] of Object.entries(manifest.splits)) {
    datasetCounts[split as Split] = summary.datasetCounts;
    classCounts[split as Split] = summary.classCounts;
  }
  return {
    preprocess: await findPreprocessConfig(dataDir, manifest.inputs.configHash),
    locations,
    datasetCounts,
    classCounts,
    ...(trainPairs ? { trainPairs: [...trainPairs].sort() } : {}),
  };
}

/** The preprocessing config with hash `hash`, from the metadata of a staging file made with it. */
export async function findPreprocessConfig(dataDir: string, hash: string): Promise<PreprocessConfig | null> {
  const root = dataPaths(dataDir).stagingRoot;
  if (!fs.existsSync(root)) return null;
  for (const coll of fs.readdirSync(root).sort()) {
    const dir = path.join(root, coll);
    if (!fs.statSync(dir).isDirectory()) continue;
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      try {
        const rec = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { configHash?: string };
        if (rec.configHash !== hash) continue;
        const meta = (await loadStaging(path.join(dir, f.slice(0, -5) + '.arrow'))).metadata;
        if (meta.preprocessConfig) return configFromCanonical(meta.preprocessConfig);
      } catch {
        /* try the next series */
      }
    }
  }
  return null;
}
