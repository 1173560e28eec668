import fsp from 'node:fs/promises';
import path from 'node:path';
import { Type } from 'apache-arrow';
import { InputError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { stableJson, writeFileAtomicSync } from '../core/fsAtomic.ts';
import { ipcFileLayout, type ByteRange } from '../core/ipcLayout.ts';
import { shardCrc32 } from './crc.ts';
import type { ShardCrc32, ShardFileInfo } from './writer.ts';

/**
 * The batch index (`batch-index.json` beside manifest.json): for every shard and RecordBatch, where
 * the batch and its image / label buffers lie in the file, so a reader in any language can
 * memory-map a shard and slice batch k without an Arrow library. It is DERIVED from the finished
 * file — the footer's record-batch blocks and each batch's metadata message — never from writer
 * state, so it describes exactly the bytes on disk (and can be rebuilt for any plain Arrow IPC file).
 * The one exception is the CRC-32s (crc.ts): `etl shard` takes them from the bytes as it writes them
 * (no re-read); `etl verify` derives them afresh from the files and compares. The manifest records
 * the index's SHA-256, so the dataset version covers it.
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
  /** CRC-32 (zlib) of the block's bytes [offset, offset + metadataLength + bodyLength); absent in indexes written before it existed. */
  crc32?: number;
}

export interface ShardBatchIndex {
  file: string;
  split: string;
  index: number;
  bytes: number;
  sha256: string;
  /** CRC-32 (zlib) of every byte outside the batch blocks, in file order (magic, schema, footer); absent in older indexes. */
  restCrc32?: number;
  batches: BatchEntry[];
}

export interface BatchIndexFile {
  format: typeof BATCH_INDEX_FORMAT;
  image: { height: number; width: number; dtype: 'uint8' };
  /** Little-endian int32 labels, no validity bitmaps (every shard column is non-nullable). */
  label: { dtype: 'int32' };
  shards: ShardBatchIndex[];
}

/**
 * Index of one finished shard file: footer blocks and each batch's metadata message. `crc32`: the
 * CRC-32s taken as the file was written; without them they are computed from the file (every byte
 * read); `false`: an index without CRC-32s (as written before they existed).
 */
export async function indexShardFile(file: string, crc32?: ShardCrc32 | false): Promise<{ batches: BatchEntry[]; restCrc32?: number; height: number; width: number }> {
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
  const blocks = layout.batches.map((b) => ({ offset: b.offset, length: b.metadataLength + b.bodyLength }));
  const crc = crc32 === false ? undefined : (crc32 ?? (await shardCrc32(file, blocks)));
  if (crc && crc.blocks.length !== blocks.length) throw new Error(`${file}: ${crc.blocks.length} batch CRC-32s for ${blocks.length} batches`);
  const batches = layout.batches.map((b, i): BatchEntry => {
    const image = b.buffers[layout.firstBuffer[img]! + 1]!;
    const label = b.buffers[layout.firstBuffer[lab]! + 1]!;
    if (image.length < b.rows * pixels || label.length < b.rows * 4) {
      throw new InputError('SHARDS_CORRUPT', `${file}: batch ${i} buffers are shorter than ${b.rows} rows`, { hint: 'run `etl verify`' });
    }
    return {
      offset: b.offset, metadataLength: b.metadataLength, bodyLength: b.bodyLength, rows: b.rows,
      image: { offset: image.offset, length: b.rows * pixels }, label: { offset: label.offset, length: b.rows * 4 },
      ...(crc ? { crc32: crc.blocks[i]! } : {}),
    };
  });
  return { batches, ...(crc ? { restCrc32: crc.rest } : {}), height, width };
}

/** Index every shard of a dataset version (`crc32`: by file, as written; `false`: none); returns the file's content (stable JSON). */
export async function buildBatchIndex(dir: string, shards: readonly ShardFileInfo[], crc32?: ReadonlyMap<string, ShardCrc32> | false): Promise<BatchIndexFile> {
  const out: ShardBatchIndex[] = [];
  let image = { height: 0, width: 0 };
  for (const s of [...shards].sort((a, b) => (a.split === b.split ? a.index - b.index : a.split < b.split ? -1 : 1))) {
    const { batches, restCrc32, height, width } = await indexShardFile(path.join(dir, s.file), crc32 === false ? false : crc32?.get(s.file));
    image = { height, width };
    out.push({ file: s.file, split: s.split, index: s.index, bytes: s.bytes, sha256: s.sha256, ...(restCrc32 === undefined ? {} : { restCrc32 }), batches });
  }
  return { format: BATCH_INDEX_FORMAT, image: { ...image, dtype: 'uint8' }, label: { dtype: 'int32' }, shards: out };
}

/** Sorted keys, no indentation: one entry per batch keeps the file ~110 bytes per batch. */
function compactStableJson(value: unknown): string {
  return JSON.stringify(JSON.parse(stableJson(value))) + '\n';
}

/** Write `batch-index.json` into a version directory (atomically); returns what the manifest records. */
export async function writeBatchIndex(dir: string, shards: readonly ShardFileInfo[], crc32?: ReadonlyMap<string, ShardCrc32>): Promise<{ file: string; sha256: string }> {
  const text = compactStableJson(await buildBatchIndex(dir, shards, crc32));
  writeFileAtomicSync(path.join(dir, BATCH_INDEX_FILE), text);
  return { file: BATCH_INDEX_FILE, sha256: sha256Hex(text) };
}

/**
 * `etl verify`'s check: the sidecar's SHA-256 matches the manifest and its content matches an index
 * derived afresh from the shard files (skipped for shards already reported bad). `crc32`: the CRC-32s
 * etl verify read from the files while hashing them (shards missing from the map are read again), or
 * 'as-written' (etl shard's own check of what it just wrote: the index's CRC-32s are taken as written).
 */
export async function checkBatchIndex(
  dir: string, manifest: { batchIndex?: { file: string; sha256: string }; shards: ShardFileInfo[] }, badShards: ReadonlySet<string | undefined>,
  crc32: ReadonlyMap<string, ShardCrc32> | 'as-written',
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
  const written = writtenCrc32(text);
  // An index written before the CRC-32s existed is compared without them.
  const crcs = written === undefined ? false : crc32 === 'as-written' ? written : crc32;
  let fresh: string;
  try {
    fresh = compactStableJson(await buildBatchIndex(dir, manifest.shards, crcs));
  } catch (err) {
    return [{ code: 'BATCH_INDEX', message: `${want.file}: the shard files cannot be indexed: ${(err as Error).message}` }];
  }
  return fresh === text ? [] : [{ code: 'BATCH_INDEX', message: `${want.file} does not describe the shard files (derived index differs)` }];
}

/** The CRC-32s an index records, by shard file; undefined when it records none (written before they existed). */
function writtenCrc32(text: string): Map<string, ShardCrc32> | undefined {
  const out = new Map<string, ShardCrc32>();
  let any = false;
  try {
    for (const s of (JSON.parse(text) as BatchIndexFile).shards ?? []) {
      const blocks = (s.batches ?? []).map((b) => b.crc32);
      any ||= s.restCrc32 !== undefined || blocks.some((c) => c !== undefined);
      if (typeof s.restCrc32 === 'number' && blocks.every((c): c is number => typeof c === 'number')) out.set(s.file, { blocks, rest: s.restCrc32 });
    }
  } catch {
    return new Map(); // unreadable: derived afresh, and the comparison names the difference
  }
  return any ? out : undefined;
}
