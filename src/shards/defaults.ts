import { DEFAULT_ROW_MEMORY_MB } from './rowStore.ts';

/** Defaults of `shardDataset`: the one place they live (the CLI flags and the pipeline schema read them). */
export const SHARD_DEFAULTS = {
  /** Rows per RecordBatch (= training batch). */
  batch: 128,
  seed: 0,
  shardSizeMb: 512,
  partial: 'keep',
  memoryMb: DEFAULT_ROW_MEMORY_MB,
} as const;
