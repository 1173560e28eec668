import fs from 'node:fs';
import path from 'node:path';
import { EtlError, InputError } from '../core/errors.ts';
import type { Split } from '../core/types.ts';
import type { LeakageReport } from '../curate/index.ts';
import type { ShardFileInfo } from './writer.ts';

/**
 * `datasets/<name>/<version>/manifest.json`: written last, after every shard is fsynced; readers
 * trust only shards it lists. Stable JSON without timestamps, so the same inputs and seed give a
 * byte-identical manifest, and the version is a hash of its content.
 */

export const MANIFEST_FORMAT = 'medimg-shards/1';
export const MANIFEST_FILE = 'manifest.json';

export interface SplitSummary {
  rows: number;
  batches: number;
  shards: number;
  /** Rows in the last batch when partial (0 when every batch is full). */
  lastBatchRows: number;
  /** Rows left out by --partial drop. */
  droppedRows: number;
  classCounts: Record<string, number>;
  datasetCounts: Record<string, number>;
}

export interface ShardManifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  /** Content hash of everything below (`v` + 16 hex of SHA-256 of the manifest without `version`). */
  version: string;
  shardFormat: string;
  image: { height: number; width: number; dtype: 'uint8' };
  classNames: string[];
  batchSize: number;
  seed: number;
  partial: 'keep' | 'drop';
  columns: string[];
  splits: Record<Split, SplitSummary>;
  shards: ShardFileInfo[];
  inputs: {
    manifest?: { name: string; path: string; sha256: string };
    splitFile?: { path: string; sha256: string };
    assignments: Record<string, Split>;
    configHash: string;
    staging: { series: number; samples: number; sha256: string };
    partition: string;
    shardSizeMb: number;
  };
  leakage: LeakageReport;
  /** `batch-index.json` (src/shards/batchIndex.ts): byte ranges of every batch for zero-copy readers. */
  batchIndex?: { file: string; sha256: string };
}

/** A published version whose manifest cannot be read is damaged data, like a corrupt shard: exit 3. */
export class ManifestUnreadableError extends EtlError {
  override readonly exitCode = 3;
}

export function readShardManifest(dir: string): ShardManifest {
  const file = path.join(dir, MANIFEST_FILE);
  let value: ShardManifest;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8')) as ShardManifest;
    if (!value || typeof value !== 'object') throw new Error(`expected a JSON object, got ${value === null ? 'null' : typeof value}`);
  } catch (err) {
    throw new ManifestUnreadableError('SHARDS_NO_MANIFEST', `${file} is missing or not a readable manifest: ${(err as Error).message}`, {
      hint: 'a dataset version is complete only once its manifest.json exists; rebuild it with `etl shard` (same inputs and seed give the same bytes)',
    });
  }
  if (value.format !== MANIFEST_FORMAT) {
    throw new InputError('SHARDS_FORMAT', `${file}: format ${String(value.format)}, expected ${MANIFEST_FORMAT}`, {
      hint: 'the dataset was written by another version of the toolkit; rebuild it with `etl shard`',
    });
  }
  return value;
}

/** Shards of one split in index order. */
export function shardsOf(m: ShardManifest, split: Split): ShardFileInfo[] {
  return m.shards.filter((s) => s.split === split).sort((a, b) => a.index - b.index);
}
