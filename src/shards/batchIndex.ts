import fsp from 'node:fs/promises';
import path from 'node:path';
import { Type } from 'apache-arrow';
import { InputError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { stableJson, writeFileAtomicSync } from '../core/fsAtomic.ts';
import { ipcFileLayout, type ByteRange } from '../core/ipcLayout.ts';
import type { ShardFileInfo } from './writer.ts';

/**
 * The batch index (`batch-index.json` beside manifest.json): for every shard and RecordBatch, where
 * the batch and its image / label buffers lie in the file, so a reader in any language can
 * memory-map a shard and slice batch k without an Arrow library. It is DERIVED from the finished
 * file — the footer's record-batch blocks and each batch's metadata message — never from writer
 * state, so it describes exactly the bytes on disk (and can be rebuilt for any plain Arrow IPC file).
 * The manifest records its SHA-256, so the dataset version covers it.
 */

export const BATCH_INDEX_FILE = 'batch-index.json';
export const BATCH_INDEX_FORMAT = 'medimg-batch-index/1';

export type { ByteRange };

export interface BatchEntry {
  /** Start of the batch's message (continuation marker) and its metadata + body sizes (footer block). */
  offset: number;
  metadataLength: number;
  bodyLength: number;
  rows: number;
  /** FixedSizeBinary(H*W) values: rows*H*W bytes, row-major uint8. */
  image: ByteRange;
  /** Int32 little-endian values, one per row. */
  label: ByteRange;
}

export interface ShardBatchIndex {
  file: string;
  split: string;
  index: number;
  bytes: number;
  sha256: string;
  batches: BatchEntry[];
}

export interface BatchIndexFile {
  format: typeof BATCH_INDEX_FORMAT;
  image: { height: number; width: number; dtype: 'uint8' };
  /** Little-endian int32 labels, no validity bitmaps (every shard column is non-nullable). */
  label: { dtype: 'int32' };
  shards: ShardBatchIndex[];
}

/** Index of one finished shard file: footer blocks and each batch's metadata message (no body read). */
export async function indexShardFile(file: string): Promise<{ batches: BatchEntry[]; height: number; width: number }> {
  const layout = await ipcFileLayout(file);
  const img = layout.fields.findIndex((f) => f.name === 'image');
  const lab = layout.fields.findIndex((f) => f.name === 'label');
  const imgType = layout.fields[img]?.type as { typeId?: Type; byteWidth?: number } | undefined;
  if (imgType?.typeId !== Type.FixedSizeBinary || layout.fields[lab]?.type.typeId !== Type.Int) {
    throw new InputError('SHARDS_SCHEMA', `${file}: expected image FixedSizeBinary and label Int32, got ${String(layout.fields[img]?.type)} / ${String(layout.fields[lab]?.type)}`, {
      hint: 'only medimg shards can be indexed',
    });
  }
  const meta = JSON.parse(layout.schema.metadata.get('medimg.image') ?? '{}') as { height?: number; width?: number };
  const pixels = imgType.byteWidth ?? 0;
  const height = meta.height ?? Math.sqrt(pixels);
  const width = meta.width ?? Math.sqrt(pixels);
  const batches = layout.batches.map((b, i): BatchEntry => {
    const image = b.buffers[layout.firstBuffer[img]! + 1]!;
    const label = b.buffers[layout.firstBuffer[lab]! + 1]!;
    if (image.length < b.rows * pixels || label.length < b.rows * 4) {
      throw new InputError('SHARDS_CORRUPT', `${file}: batch ${i} buffers are shorter than ${b.rows} rows`, { hint: 'run `etl verify`' });
    }
    return {
      offset: b.offset, metadataLength: b.metadataLength, bodyLength: b.bodyLength, rows: b.rows,
      image: { offset: image.offset, length: b.rows * pixels }, label: { offset: label.offset, length: b.rows * 4 },
    };
  });
  return { batches, height, width };
}

/** Index every shard of a dataset version; returns the file's content (stable JSON). */
export async function buildBatchIndex(dir: string, shards: readonly ShardFileInfo[]): Promise<BatchIndexFile> {
  const out: ShardBatchIndex[] = [];
  let image = { height: 0, width: 0 };
  for (const s of [...shards].sort((a, b) => (a.split === b.split ? a.index - b.index : a.split < b.split ? -1 : 1))) {
    const { batches, height, width } = await indexShardFile(path.join(dir, s.file));
    image = { height, width };
    out.push({ file: s.file, split: s.split, index: s.index, bytes: s.bytes, sha256: s.sha256, batches });
  }
  return { format: BATCH_INDEX_FORMAT, image: { ...image, dtype: 'uint8' }, label: { dtype: 'int32' }, shards: out };
}

/** Sorted keys, no indentation: one entry per batch keeps the file ~110 bytes per batch. */
function compactStableJson(value: unknown): string {
  return JSON.stringify(JSON.parse(stableJson(value))) + '\n';
}

/** Write `batch-index.json` into a version directory (atomically); returns what the manifest records. */
export async function writeBatchIndex(dir: string, shards: readonly ShardFileInfo[]): Promise<{ file: string; sha256: string }> {
  const text = compactStableJson(await buildBatchIndex(dir, shards));
  writeFileAtomicSync(path.join(dir, BATCH_INDEX_FILE), text);
  return { file: BATCH_INDEX_FILE, sha256: sha256Hex(text) };
}

/**
 * `etl verify`'s check: the sidecar's SHA-256 matches the manifest and its content matches an index
 * derived afresh from the shard files (skipped for shards already reported bad).
 */
export async function checkBatchIndex(
  dir: string, manifest: { batchIndex?: { file: string; sha256: string }; shards: ShardFileInfo[] }, badShards: ReadonlySet<string | undefined>,
): Promise<Array<{ code: string; message: string }>> {
  const want = manifest.batchIndex;
  if (!want) return [];
  let text: string;
  try {
    text = await fsp.readFile(path.join(dir, want.file), 'utf8');
  } catch {
    return [{ code: 'BATCH_INDEX', message: `${want.file} is missing (the manifest lists it)` }];
  }
  if (sha256Hex(text) !== want.sha256) return [{ code: 'BATCH_INDEX', message: `${want.file} SHA-256 differs from the manifest’s` }];
  if (manifest.shards.some((s) => badShards.has(s.file))) return [];
  const fresh = compactStableJson(await buildBatchIndex(dir, manifest.shards));
  return fresh === text ? [] : [{ code: 'BATCH_INDEX', message: `${want.file} does not describe the shard files (derived index differs)` }];
}
