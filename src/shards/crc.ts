import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import { InputError } from '../core/errors.ts';
// Type only (erased): the reader's start-up still loads no apache-arrow through ipcLayout.ts.
import type { ByteRange } from '../core/ipcLayout.ts';
import type { ShardCrc32 } from './writer.ts';

/**
 * CRC-32s of a shard's parts (the batch index's `crc32` per batch and `restCrc32` per shard): what
 * the reader checks instead of hashing every shard with SHA-256 when it opens it. zlib's CRC-32
 * (Node's built-in, SIMD) runs at ~4.5 GB/s on the project's machine against ~1.4 GB/s for SHA-256,
 * and a batch is checked right after it is read, on bytes already in memory. CRC-32 catches every
 * burst error up to 32 bits and any other damage but with probability 2⁻³²: storage faults, not
 * tampering (`etl verify` still checks the SHA-256 of every file).
 */

/** The byte ranges of a `size`-byte file outside `blocks` (in file order, non-overlapping). */
function outside(blocks: readonly ByteRange[], size: number, file: string): ByteRange[] {
  const out: ByteRange[] = [];
  let at = 0;
  for (const b of [...blocks].sort((x, y) => x.offset - y.offset)) {
    if (b.offset < at || b.offset + b.length > size) {
      throw new InputError('SHARDS_CORRUPT', `${file}: record-batch blocks overlap or run past the end of the file`, { hint: 'run `etl verify`' });
    }
    if (b.offset > at) out.push({ offset: at, length: b.offset - at });
    at = b.offset + b.length;
  }
  if (at < size) out.push({ offset: at, length: size - at });
  return out;
}

/** A shard file that ends before a block the index or footer places in it. */
export function truncated(at: number): InputError {
  return new InputError('SHARDS_TRUNCATED', `unexpected end of shard file at byte ${at}`, { hint: 'run `etl verify`' });
}

/** Fill `into` from `position` of the shard. */
export async function readFully(handle: fsp.FileHandle, into: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < into.byteLength) {
    const { bytesRead } = await handle.read(into, off, into.byteLength - off, position + off);
    if (bytesRead === 0) throw truncated(position + off);
    off += bytesRead;
  }
}

/** CRC-32 of `spans` of the open file, in order, continuing from `crc`; `onBytes` sees every byte read. */
async function crcOf(handle: fsp.FileHandle, spans: readonly ByteRange[], buf: Uint8Array<ArrayBuffer>, crc = 0, onBytes?: (bytes: Uint8Array) => void): Promise<number> {
  for (const s of spans) {
    for (let at = s.offset, end = s.offset + s.length; at < end; ) {
      const bytes = buf.subarray(0, Math.min(buf.byteLength, end - at));
      await readFully(handle, bytes, at);
      crc = zlib.crc32(bytes, crc);
      onBytes?.(bytes);
      at += bytes.byteLength;
    }
  }
  return crc;
}

/** CRC-32 of the bytes outside `blocks` (the reader's check at open: magic, schema, footer). */
export async function restCrc32(handle: fsp.FileHandle, size: number, blocks: readonly ByteRange[], file: string): Promise<number> {
  const spans = outside(blocks, size, file);
  return crcOf(handle, spans, new Uint8Array(Math.min(8 * 2 ** 20, Math.max(1, ...spans.map((s) => s.length)))));
}

/**
 * Every CRC-32 of a finished shard, read back from the file (`etl verify`, or a batch index rebuilt).
 * The file is read once, front to back; `onBytes` sees all of it in order (etl verify's SHA-256 of the
 * whole file comes from the same read).
 */
export async function shardCrc32(file: string, blocks: readonly ByteRange[], onBytes?: (bytes: Uint8Array) => void): Promise<ShardCrc32> {
  const handle = await fsp.open(file, 'r');
  try {
    const size = (await handle.stat()).size;
    const buf = new Uint8Array(8 * 2 ** 20);
    const spans = [...blocks.map((b, i) => ({ ...b, i })), ...outside(blocks, size, file).map((r) => ({ ...r, i: -1 }))].sort((x, y) => x.offset - y.offset);
    const out: number[] = new Array<number>(blocks.length);
    let rest = 0;
    for (const s of spans) {
      if (s.i < 0) rest = await crcOf(handle, [s], buf, rest, onBytes);
      else out[s.i] = await crcOf(handle, [s], buf, 0, onBytes);
    }
    return { blocks: out, rest };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
