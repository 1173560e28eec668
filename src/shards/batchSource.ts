import type { Partition } from '../core/partition.ts';
import type { Split } from '../core/types.ts';
import type { ShardManifest } from './manifest.ts';

/**
 * What training and evaluation read: a split's batches in a seeded order. The shard reader's
 * `DatasetHandle` (reader.ts) is one; `memoryBatchSource` (train/data.ts) is the same contract over
 * arrays in memory (benchmarks, unit tests of the loop). See docs/interop.md for other languages.
 */

export interface Batch {
  /** size×H×W uint8, row-major; VALID ONLY UNTIL THE NEXT BATCH IS REQUESTED (reused buffer). */
  images: Uint8Array;
  size: number;
  height: number;
  width: number;
  labels: Int32Array;
  /** The ID columns; the shard reader decodes them when first read (own enumerable accessors: a spread copies them). */
  datasets: string[];
  series: string[];
  sops: string[];
  frames: Int32Array;
  /** Shard index (within the split) and batch index (within the shard) of this position in the order. */
  shard: number;
  batchIndex: number;
  /** Position of the NEXT batch in this epoch's order — the resume token. */
  cursor: number;
}

/** The order options every BatchSource honours. */
export interface BatchOrder {
  seed?: number;
  epoch?: number;
  /** Default true. */
  shuffle?: boolean;
  /** Reads in flight ahead of the consumer (default 2). */
  prefetch?: number;
  /** Start at this position of the epoch's order (a `cursor` from an earlier batch). */
  startCursor?: number;
}

/** The shard reader's options: the order, plus row mixing and partitions. */
export interface ReadOptions extends BatchOrder {
  /** Mix rows across groups of k batches (default 0: no mixing). */
  shuffleBuffer?: number;
  partition?: Partition;
}

export interface BatchSource {
  name?: string;
  version?: string;
  classNames: string[];
  height: number;
  width: number;
  batchSize: number;
  splitRows(split: Split): number;
  splitBatches(split: Split): number;
  batches(split: Split, opts?: BatchOrder): AsyncIterable<Batch>;
}

/** A published dataset version opened for reading (openDataset). */
export interface DatasetHandle extends BatchSource {
  name: string;
  version: string;
  dir: string;
  manifest: ShardManifest;
  batches(split: Split, opts?: ReadOptions): AsyncIterable<Batch>;
  close(): Promise<void>;
}
