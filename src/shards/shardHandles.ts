import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { InputError } from '../core/errors.ts';
import { sha256File, sha256Hex } from '../core/hash.ts';
import { dropPages, mapFile } from '../core/mmap.ts';
import type { BatchIndexFile } from './batchIndex.ts';
import { readFully, restCrc32, truncated } from './crc.ts';
import { IntegrityError } from './integrity.ts';
import type { ShardManifest } from './manifest.ts';
import type { ShardFileInfo } from './writer.ts';

/**
 * The reader's open shards: a file handle and where each batch lies. Block positions come from the
 * dataset's `batch-index.json` (its SHA-256 checked against the manifest); a dataset without one is
 * laid out from each shard's footer instead. Each shard is opened once, on first use, and shared by
 * every iterator of the handle.
 *
 * Checksums (training and evaluation never consume a flipped byte or a cut file; exit 3 naming the
 * shard): with the index's CRC-32s, a shard's size and the CRC-32 of its bytes outside the batches
 * are checked at open, and each batch's CRC-32 right after it is read (`checkBlock`, on the bytes
 * just read: no second pass over the file). Without them (older datasets), the whole file's SHA-256
 * is checked at open.
 */

export interface Block {
  offset: number;
  metadataLength: number;
  length: number;
  /** CRC-32 of the block's bytes (from the batch index). */
  crc32?: number;
}

export interface OpenShard {
  info: ShardFileInfo;
  /** Its path. */
  file: string;
  handle: fsp.FileHandle;
  blocks: Block[];
  /** Check each block's CRC-32 as it is read. */
  checkBlocks: boolean;
  /**
   * Memory maps of the file that finished iterators gave back, pages dropped (takeMap, giveBackMap):
   * the next iterator takes one instead of mapping again, so maps stay at shards × iterators at once instead
   * of piling up (vm.max_map_count) until the garbage collector frees them.
   */
  freeMaps: Uint8Array[];
}

interface IndexedShard {
  blocks: Block[];
  restCrc32?: number;
}

export class ShardHandles {
  private readonly opening = new Map<string, Promise<OpenShard>>();
  private index: Map<string, IndexedShard> | undefined;

  constructor(private readonly dir: string, private readonly manifest: ShardManifest, private readonly checksums: boolean) {}

  /** Opened once per shard (memoised promise, so concurrent iterators share one handle). */
  open(info: ShardFileInfo): Promise<OpenShard> {
    let p = this.opening.get(info.file);
    if (!p) {
      p = this.openShard(info);
      this.opening.set(info.file, p);
    }
    return p;
  }

  private async openShard(info: ShardFileInfo): Promise<OpenShard> {
    const file = path.join(this.dir, info.file);
    const indexed = this.fromIndex(info);
    const withCrc = indexed?.restCrc32 !== undefined && indexed.blocks.every((b) => b.crc32 !== undefined);
    if (this.checksums && !withCrc) await checkShardBytes(file, info);
    const blocks = indexed?.blocks ?? (await blocksFromFooter(file));
    if (blocks.length === 0) throw new InputError('SHARDS_EMPTY', `${file} has no record batches`);
    const handle = await fsp.open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw err.code === 'ENOENT' ? integrity(file, info, 'MISSING', `${info.file} is missing`) : err;
    });
    try {
      if (this.checksums && withCrc) await checkShardFrame(handle, file, info, blocks, indexed.restCrc32!);
      return { info, file, handle, blocks, checkBlocks: this.checksums && withCrc, freeMaps: [] };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  private fromIndex(info: ShardFileInfo): IndexedShard | undefined {
    const want = this.manifest.batchIndex;
    if (!want) return undefined;
    if (!this.index) {
      const text = fs.readFileSync(path.join(this.dir, want.file), 'utf8');
      if (sha256Hex(text) !== want.sha256) {
        throw new IntegrityError(`${want.file} does not match the SHA-256 in the manifest (corrupted)`, [{ code: 'BATCH_INDEX', message: `${want.file} SHA-256 differs from the manifest’s` }]);
      }
      const parsed = JSON.parse(text) as BatchIndexFile;
      this.index = new Map(parsed.shards.map((s) => [s.file, {
        blocks: s.batches.map((b) => ({ offset: b.offset, metadataLength: b.metadataLength, length: b.metadataLength + b.bodyLength, ...(b.crc32 === undefined ? {} : { crc32: b.crc32 }) })),
        ...(s.restCrc32 === undefined ? {} : { restCrc32: s.restCrc32 }),
      }]));
    }
    return this.index.get(info.file);
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.opening.values());
    this.opening.clear();
    await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.handle.close() : undefined)));
  }
}

/** Blocks from the shard's footer (datasets written before the batch index existed). */
async function blocksFromFooter(file: string): Promise<Block[]> {
  const { ipcFileLayout } = await import('../core/ipcLayout.ts');
  const layout = await ipcFileLayout(file);
  return layout.batches.map((b) => ({ offset: b.offset, metadataLength: b.metadataLength, length: b.metadataLength + b.bodyLength }));
}

function integrity(file: string, info: ShardFileInfo, code: string, message: string): IntegrityError {
  return new IntegrityError(`shard ${message}: ${file}`, [{ shard: info.file, code, message }]);
}

const sizeProblem = (info: ShardFileInfo, size: number) => `${info.file} has ${size} bytes, the manifest says ${info.bytes} (truncated or extended)`;

/** A shard's size and SHA-256 against the manifest (datasets whose batch index has no CRC-32s): one sequential read at open. */
async function checkShardBytes(file: string, info: ShardFileInfo): Promise<void> {
  const size = await fsp.stat(file).then((st) => st.size, () => -1);
  if (size < 0) throw integrity(file, info, 'MISSING', `${info.file} is missing`);
  if (size !== info.bytes) throw integrity(file, info, 'SIZE', sizeProblem(info, size));
  if ((await sha256File(file)) !== info.sha256) throw integrity(file, info, 'CHECKSUM', `${info.file} does not match the SHA-256 in the manifest (corrupted)`);
}

/** A shard's size against the manifest and the CRC-32 of its bytes outside the batches (magic, schema, footer: a few KB). */
async function checkShardFrame(handle: fsp.FileHandle, file: string, info: ShardFileInfo, blocks: Block[], want: number): Promise<void> {
  const size = (await handle.stat()).size;
  if (size !== info.bytes) throw integrity(file, info, 'SIZE', sizeProblem(info, size));
  if ((await restCrc32(handle, size, blocks, file)) !== want) {
    throw integrity(file, info, 'CHECKSUM', `${info.file} does not match the CRC-32 of its schema and footer in batch-index.json (corrupted)`);
  }
}

/**
 * A memory map of the shard's file for one iterator: one an earlier iterator gave back, else a new
 * one; at the size the file has now, so no view reaches past its end (a cut shard is
 * SHARDS_TRUNCATED, not SIGBUS). Undefined where the file cannot be mapped (read with pread).
 */
export function takeMap(shard: OpenShard): Uint8Array | undefined {
  const size = fs.fstatSync(shard.handle.fd).size;
  const free = shard.freeMaps.pop();
  return free && free.byteLength === size ? free : mapFile(shard.handle.fd, size);
}

/** A map from `takeMap` whose iterator is done: its pages dropped, kept for the next iterator. */
export function giveBackMap(shard: OpenShard, map: Uint8Array): void {
  dropPages(map);
  shard.freeMaps.push(map);
}

/**
 * The bytes of block `b`: a view of `mapped` (the shard's file, memory-mapped) where given, else read
 * into `slot` (at least the block's length); checked against the block's CRC-32 when the shard is
 * checked that way.
 */
export async function readBlock(shard: OpenShard, b: number, slot: Uint8Array, mapped?: Uint8Array): Promise<Uint8Array> {
  const { offset, length } = shard.blocks[b]!;
  let bytes: Uint8Array;
  if (mapped) {
    if (offset + length > mapped.byteLength) throw truncated(mapped.byteLength);
    bytes = mapped.subarray(offset, offset + length);
  } else {
    bytes = slot.subarray(0, length);
    await readFully(shard.handle, bytes, offset);
  }
  checkBlock(shard, b, bytes);
  return bytes;
}

/** Block `b` of `shard`, just read into `bytes`, against its CRC-32 (when the shard is checked that way). */
export function checkBlock(shard: OpenShard, b: number, bytes: Uint8Array): void {
  if (shard.checkBlocks && zlib.crc32(bytes) !== shard.blocks[b]!.crc32) {
    throw integrity(shard.file, shard.info, 'CHECKSUM', `${shard.info.file} batch ${b} does not match its CRC-32 in batch-index.json (corrupted)`);
  }
}

