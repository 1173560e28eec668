import type { Split } from '../core/types.ts';
import { augmentBatch, type Augment } from './augment.ts';
import type { Batch, BatchSource } from './data.ts';

/** A shard batch's rows as [start, end) micro-batches of at most `batch` rows. */
export function chunksOf(size: number, batch: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < size; s += batch) out.push([s, Math.min(size, s + batch)]);
  return out;
}

/** Copy of the parts of a batch the step needs (the reader reuses its buffers on the next request). */
export interface HostBatch {
  images: Uint8Array;
  labels: Int32Array;
  /** The rows' datasets where asked for (`datasets: true`; evaluation), else empty: decoding them costs the reader. */
  datasets: string[];
  size: number;
  cursor: number;
}

/** Augmentation applied to training batches as they are copied: the spec, the run seed and the epoch. */
export interface AugmentAt {
  spec: Augment;
  seed: number;
}

function copyBatch(b: Batch, rows: [number, number], pixels: number, datasets: boolean, augment?: AugmentAt & { epoch: number }): HostBatch {
  const [s, e] = rows;
  const images = b.images.slice(s * pixels, e * pixels);
  if (augment) augmentBatch(images, e - s, b.width, augment.spec, { seed: augment.seed, epoch: augment.epoch, shard: b.shard, batchIndex: b.batchIndex, firstRow: s });
  return {
    images,
    labels: b.labels.slice(s, e),
    datasets: datasets ? b.datasets.slice(s, e) : [],
    size: e - s,
    cursor: b.cursor,
  };
}

/**
 * Iterate a split's micro-batches, copied to host memory, with the next shard batch requested
 * before the consumer computes on the current one (the reader's I/O overlaps compute).
 */
export async function* hostBatches(
  source: BatchSource,
  split: Split,
  opts: { seed: number; epoch: number; shuffle: boolean; startCursor: number; skipChunks: number; batch: number; augment?: AugmentAt; datasets?: boolean },
): AsyncGenerator<HostBatch & { chunk: number; chunks: number; last: boolean }> {
  const pixels = source.height * source.width;
  const it = source
    .batches(split, { seed: opts.seed, epoch: opts.epoch, shuffle: opts.shuffle, startCursor: opts.startCursor, prefetch: 2 })
    [Symbol.asyncIterator]();
  let skip = opts.skipChunks;
  let pending: Promise<IteratorResult<Batch>> | undefined = it.next();
  try {
    while (pending) {
      const r = await pending;
      pending = undefined;
      if (r.done) break;
      const parts = chunksOf(r.value.size, opts.batch);
      const aug = opts.augment ? { ...opts.augment, epoch: opts.epoch } : undefined;
      const copies = parts.map((rows) => copyBatch(r.value, rows, pixels, opts.datasets ?? false, aug));
      pending = it.next();
      for (let c = skip; c < copies.length; c++) yield { ...copies[c]!, chunk: c, chunks: copies.length, last: c === copies.length - 1 };
      skip = 0;
    }
  } finally {
    if (pending) await pending.catch(() => undefined);
    await it.return?.();
  }
}

