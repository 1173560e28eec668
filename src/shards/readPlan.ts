import { WHOLE } from '../core/partition.ts';
import type { Split } from '../core/types.ts';
import { carryIds, decodeBatch, type DecodedBatch } from './batchMessage.ts';
import type { Batch, ReadOptions } from './batchSource.ts';
import { batchLocator, epochOrder } from './epochOrder.ts';
import type { ShardManifest } from './manifest.ts';
import { canMap, dropPages, dropPagesExcept, willNeed } from '../core/mmap.ts';
import { giveBackMap, readBlock, takeMap, type OpenShard } from './shardHandles.ts';

/** One epoch's reading plan: its order, where each position lies, and how to read one into a buffer. */

export interface Decoded extends DecodedBatch {
  shard: number;
  batchIndex: number;
}

export interface ReadPlan {
  split: Split;
  manifest: ShardManifest;
  pixels: number;
  order: Int32Array;
  startCursor: number;
  prefetch: number;
  /** Bytes of the largest batch block: the size of each read buffer (0 when every shard is mapped). */
  slotBytes: number;
  /** Position `pos` of the order: a view of its shard's map, else read into `slot` (one pread); checked and decoded in place. */
  readInto(slot: Uint8Array, pos: number): Promise<Decoded>;
  /**
   * Every shard is mapped: prefetching is `hint` (the kernel reads the block in the background, as
   * pread on libuv's threads did), and `readInto` runs at the block's turn, on bytes read by then.
   */
  mapped: boolean;
  hint(pos: number): void;
  /** The consumer is done with position `pos`: drop its mapped pages (nothing to do for pread). */
  release(pos: number): void;
  /** The epoch is over: drop every mapped page but those of position `keep` (a batch the consumer still holds). */
  close(keep?: number): void;
}

/**
 * `mmap`: map each shard, on its first batch, for this iterator alone (core/mmap.ts; a map another
 * iterator gave back, else a new one), so what one iterator's consumer writes into a view never
 * reaches another iterator; pages are dropped as batches are released, and the maps given back at
 * the end.
 */
export function readPlan(split: Split, shards: OpenShard[], manifest: ShardManifest, ro: ReadOptions, mmap: boolean): ReadPlan {
  const locate = batchLocator(shards.map((s) => s.blocks.length));
  const order = epochOrder(shards.reduce((a, s) => a + s.blocks.length, 0), {
    seed: ro.seed ?? 0, epoch: ro.epoch ?? 0, shuffle: ro.shuffle ?? true, split, partition: ro.partition ?? WHOLE,
  });
  const pixels = manifest.image.height * manifest.image.width;
  // undefined: not mapped yet; null: read with pread.
  const maps: Array<Uint8Array | null | undefined> = shards.map(() => undefined);
  const mapOf = (s: number): Uint8Array | undefined => {
    if (maps[s] === undefined) maps[s] = (mmap ? takeMap(shards[s]!) : undefined) ?? null;
    return maps[s] ?? undefined;
  };
  const mapped = mmap && canMap();
  const blockAt = (pos: number) => {
    const [s, b] = locate(order[pos]!);
    return { s, b, block: shards[s]!.blocks[b]! };
  };
  return {
    split, manifest, pixels, order,
    startCursor: Math.max(0, Math.min(order.length, Math.floor(ro.startCursor ?? 0))),
    prefetch: Math.max(0, Math.floor(ro.prefetch ?? 2)),
    mapped,
    slotBytes: mapped ? 0 : Math.max(0, ...shards.flatMap((s) => s.blocks.map((b) => b.length))),
    hint(pos) {
      if (pos >= order.length) return;
      const { s, block } = blockAt(pos);
      const map = mapOf(s);
      if (map) willNeed(map, block.offset, block.offset + block.length);
    },
    async readInto(slot, pos) {
      const { s, b, block } = blockAt(pos);
      const shard = shards[s]!;
      const map = mapOf(s);
      // A shard that would not map (over an ArrayBuffer's size, a failed mmap) reads into a buffer of its own.
      const into = map || slot.byteLength >= block.length ? slot : new Uint8Array(block.length);
      const bytes = await readBlock(shard, b, into, map);
      const d = decodeBatch(bytes, block.metadataLength, pixels, `${shard.info.file} batch ${b}`);
      return Object.assign(d, { shard: shard.info.index, batchIndex: b }); // not a spread: that would decode the ID columns
    },
    release(pos) {
      const { s, block } = blockAt(pos);
      if (maps[s]) dropPages(maps[s], block.offset, block.offset + block.length);
    },
    close(keep) {
      const held = keep === undefined ? undefined : blockAt(keep);
      maps.forEach((m, s) => {
        if (!m) return;
        // The map of a batch the consumer still holds is not given back: no other iterator writes under it.
        if (held?.s === s) dropPagesExcept(m, held.block.offset, held.block.offset + held.block.length);
        else giveBackMap(shards[s]!, m);
      });
      maps.fill(undefined);
    },
  };
}

/** A Batch of the stored rows as they are (images: a view into the read buffer; ID columns decoded on first use). */
export function asBatch(d: Decoded, cursor: number, m: ShardManifest): Batch {
  return carryIds(d, {
    images: d.images, size: d.rows, height: m.image.height, width: m.image.width,
    labels: d.labels, frames: d.frames, shard: d.shard, batchIndex: d.batchIndex, cursor,
  });
}
