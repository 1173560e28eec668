import fsp from 'node:fs/promises';
import { Message, RecordBatchReader, Type, type DataType, type Field, type Schema } from 'apache-arrow';
import { InputError } from './errors.ts';

/**
 * Where everything lies in an Arrow IPC file, read without touching the batch bodies: the footer
 * (schema, record-batch blocks), then each batch's metadata message (row count, buffer offsets).
 * Staging scans, `etl verify` and the batch index read only the columns they need from these
 * ranges (Columnar.rst, "Buffer Layout"), so a scan never reads the image bytes it does not use.
 */

/** A byte range, absolute within the file. */
export interface ByteRange {
  offset: number;
  length: number;
}

export interface BatchLayout {
  /** Start of the batch's message (footer block) and its metadata + body sizes. */
  offset: number;
  metadataLength: number;
  bodyLength: number;
  rows: number;
  /** Every buffer of the batch in IPC order, absolute. */
  buffers: ByteRange[];
  /** Null count per field (every column we write is non-nullable: 0). */
  nullCounts: number[];
}

export interface FileLayout {
  schema: Schema;
  fields: Field[];
  /** Index in `buffers` of each field's first buffer (its validity bitmap). */
  firstBuffer: number[];
  batches: BatchLayout[];
}

/** Buffers one field contributes to a RecordBatch message, in IPC order. */
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
      throw new InputError('ARROW_LAYOUT_TYPE', `column ${field} has Arrow type ${String(type)}, which this reader does not lay out`, {
        hint: 'files written by this toolkit hold only fixed-width, binary and string columns',
      });
  }
}

/** `length` bytes at `offset`, in a fresh (8-byte aligned) buffer. */
export async function readAt(handle: fsp.FileHandle, offset: number, length: number, into = new Uint8Array(length)): Promise<Uint8Array> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(into, got, length - got, offset + got);
    if (bytesRead === 0) throw new InputError('ARROW_TRUNCATED', `unexpected end of file at byte ${offset + got}`, { hint: 'the file is cut short' });
    got += bytesRead;
  }
  return into;
}

/** Footer and batch messages of the open IPC file `handle` (`file` names it in errors). */
export async function readIpcLayout(handle: fsp.FileHandle, file: string): Promise<FileLayout> {
  const reader = await RecordBatchReader.from(handle);
  await reader.open();
  const footer = reader.footer;
  if (!footer) throw new InputError('ARROW_NOT_FILE', `${file} is not an Arrow IPC file (no footer)`, { hint: 'expected an Arrow IPC file written by this toolkit' });
  const schema = reader.schema;
  const fields = schema.fields as Field[];
  const firstBuffer: number[] = [];
  fields.reduce((n, f) => (firstBuffer.push(n), n + bufferCount(f.type, f.name)), 0);
  const batches: BatchLayout[] = [];
  for (let i = 0; i < footer.numRecordBatches; i++) {
    const block = footer.getRecordBatch(i)!;
    const offset = Number(block.offset);
    const head = await readAt(handle, offset, block.metaDataLength);
    const dv = new DataView(head.buffer);
    // Encapsulated message: 0xFFFFFFFF continuation, int32 flatbuffer length, flatbuffer.
    const skip = dv.getInt32(0, true) === -1 ? 8 : 4;
    const fbLength = dv.getInt32(skip - 4, true);
    const msg = Message.decode(head.subarray(skip, skip + fbLength));
    if (!msg.isRecordBatch()) throw new InputError('ARROW_CORRUPT', `${file}: footer block ${i} is not a RecordBatch message`, { hint: 'the file is damaged' });
    const rb = msg.header();
    if (rb.compression) throw new InputError('ARROW_COMPRESSED', `${file}: batch ${i} is compressed`, { hint: 'only uncompressed Arrow files are read here' });
    const body = offset + block.metaDataLength;
    batches.push({
      offset, metadataLength: block.metaDataLength, bodyLength: Number(block.bodyLength), rows: Number(rb.length),
      buffers: rb.buffers.map((b) => ({ offset: body + Number(b.offset), length: Number(b.length) })),
      nullCounts: rb.nodes.map((n) => Number(n.nullCount)),
    });
  }
  return { schema, fields, firstBuffer, batches };
}

/** Open `file`, lay it out, close it again. */
export async function ipcFileLayout(file: string): Promise<FileLayout> {
  const handle = await fsp.open(file, 'r');
  try {
    return await readIpcLayout(handle, file);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * The columns of one batch whose buffers lie in `chunk` (read from the file at `chunkOffset`):
 * Utf8 → string[], Int32 → Int32Array (a copy), by field name.
 */
export function decodeColumns(layout: FileLayout, batch: BatchLayout, chunk: Uint8Array, chunkOffset: number, names: readonly string[]): Record<string, string[] | Int32Array> {
  const out: Record<string, string[] | Int32Array> = {};
  const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  const n = batch.rows;
  for (const name of names) {
    const f = layout.fields.findIndex((x) => x.name === name);
    if (f < 0) throw new InputError('ARROW_SCHEMA', `missing column ${name}`, { hint: 'the file was written by another version' });
    if (batch.nullCounts[f]) throw new InputError('ARROW_SCHEMA', `column ${name} has ${batch.nullCounts[f]} nulls`, { hint: 'its columns are non-nullable' });
    const type = layout.fields[f]!.type;
    const at = (b: number, bytes: number) => {
      const r = batch.buffers[layout.firstBuffer[f]! + b]!;
      const rel = r.offset - chunkOffset;
      if (rel < 0 || rel + bytes > chunk.byteLength || r.length < bytes) throw new InputError('ARROW_CORRUPT', `column ${name}: buffer outside the batch`, { hint: 'the file is damaged' });
      return rel;
    };
    if (type.typeId === Type.Int && (type as { bitWidth?: number }).bitWidth === 32) {
      const rel = at(1, n * 4);
      out[name] = Int32Array.from({ length: n }, (_, i) => buf.readInt32LE(rel + i * 4));
    } else if (type.typeId === Type.Utf8) {
      const offsets = at(1, (n + 1) * 4);
      const values = at(2, 0);
      const strings = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const s = buf.readInt32LE(offsets + i * 4);
        const e = buf.readInt32LE(offsets + i * 4 + 4);
        if (s < 0 || e < s || values + e > chunk.byteLength) throw new InputError('ARROW_CORRUPT', `column ${name}: string ${i} outside the batch`, { hint: 'the file is damaged' });
        strings[i] = buf.toString('utf8', values + s, values + e);
      }
      out[name] = strings;
    } else {
      throw new InputError('ARROW_SCHEMA', `column ${name} has type ${String(type)}, expected Int32 or Utf8`, { hint: 'the file was written by another version' });
    }
  }
  return out;
}
