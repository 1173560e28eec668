import fsp from 'node:fs/promises';
import path from 'node:path';
import { Message, RecordBatchReader, Type, type DataType, type Field } from 'apache-arrow';
import { InputError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { stableJson, writeFileAtomicSync } from '../core/fsAtomic.ts';
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

/** A byte range, absolute within the shard file. */
export interface ByteRange {
  offset: number;
  length: number;
}

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

/** Buffers one field contributes to a RecordBatch message, in IPC order (Columnar.rst "Buffer Layout"). */
function bufferCount(type: DataType, field: string): number {
  switch (type.typeId) {
    case Type.Int:
    case Type.Float:
    case Type.Bool:
    case Type.FixedSizeBinary:
    case Type.Date:
    case Type.Timestamp:
      return 2;
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return 3;
    default:
      throw new InputError('SHARDS_INDEX_TYPE', `column ${field} has Arrow type ${String(type)}, which the batch index does not lay out`, {
        hint: 'shards written by `etl shard` hold only fixed-width, binary and string columns',
      });
  }
}

async function readAt(handle: fsp.FileHandle, offset: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
    if (bytesRead === 0) throw new InputError('SHARDS_TRUNCATED', `unexpected end of file at byte ${offset + got}`, { hint: 'run `etl verify`' });
    got += bytesRead;
  }
  return buf;
}

/** Index of one finished shard file: footer blocks, then each batch's metadata message. */
export async function indexShardFile(file: string): Promise<{ batches: BatchEntry[]; height: number; width: number }> {
  const handle = await fsp.open(file, 'r');
  try {
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    const footer = reader.footer;
    if (!footer) throw new InputError('SHARDS_NOT_FILE', `${file} is not an Arrow IPC file (no footer)`, { hint: 'shards are written by `etl shard`' });
    const fields = reader.schema.fields as Field[];
    const img = fields.findIndex((f) => f.name === 'image');
    const lab = fields.findIndex((f) => f.name === 'label');
    const imgType = fields[img]?.type as { typeId?: Type; byteWidth?: number } | undefined;
    if (imgType?.typeId !== Type.FixedSizeBinary || fields[lab]?.type.typeId !== Type.Int) {
      throw new InputError('SHARDS_SCHEMA', `${file}: expected image FixedSizeBinary and label Int32, got ${String(fields[img]?.type)} / ${String(fields[lab]?.type)}`, {
        hint: 'only medimg shards can be indexed',
      });
    }
    const firstBuffer: number[] = [];
    fields.reduce((n, f) => (firstBuffer.push(n), n + bufferCount(f.type, f.name)), 0);
    const meta = JSON.parse(reader.schema.metadata.get('medimg.image') ?? '{}') as { height?: number; width?: number };
    const pixels = imgType.byteWidth ?? 0;
    const height = meta.height ?? Math.sqrt(pixels);
    const width = meta.width ?? Math.sqrt(pixels);
    const batches: BatchEntry[] = [];
    for (let i = 0; i < footer.numRecordBatches; i++) {
      const block = footer.getRecordBatch(i)!;
      const offset = Number(block.offset);
      const head = await readAt(handle, offset, block.metaDataLength);
      const dv = new DataView(head.buffer);
      // Encapsulated message: 0xFFFFFFFF continuation, int32 flatbuffer length, flatbuffer.
      const skip = dv.getInt32(0, true) === -1 ? 8 : 4;
      const fbLength = dv.getInt32(skip - 4, true);
      const msg = Message.decode(head.subarray(skip, skip + fbLength));
      if (!msg.isRecordBatch()) throw new InputError('SHARDS_CORRUPT', `${file}: footer block ${i} is not a RecordBatch message`, { hint: 'run `etl verify`' });
      const rb = msg.header();
      if (rb.compression) throw new InputError('SHARDS_COMPRESSED', `${file}: batch ${i} is compressed`, { hint: 'the batch index describes uncompressed shards only' });
      const body = offset + block.metaDataLength;
      const range = (b: number): ByteRange => ({ offset: body + Number(rb.buffers[b]!.offset), length: Number(rb.buffers[b]!.length) });
      const rows = Number(rb.length);
      const image = range(firstBuffer[img]! + 1);
      const label = range(firstBuffer[lab]! + 1);
      if (image.length < rows * pixels || label.length < rows * 4) {
        throw new InputError('SHARDS_CORRUPT', `${file}: batch ${i} buffers are shorter than ${rows} rows`, { hint: 'run `etl verify`' });
      }
      batches.push({ offset, metadataLength: block.metaDataLength, bodyLength: Number(block.bodyLength), rows, image: { offset: image.offset, length: rows * pixels }, label: { offset: label.offset, length: rows * 4 } });
    }
    await reader.cancel();
    return { batches, height, width };
  } finally {
    await handle.close().catch(() => undefined);
  }
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
