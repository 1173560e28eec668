import { WHOLE } from '../core/partition.ts';
import type { Split } from '../core/types.ts';
import { decodeBatch, type DecodedBatch } from './batchMessage.ts';
import type { Batch, ReadOptions } from './batchSource.ts';
import { batchLocator, epochOrder } from './epochOrder.ts';
import type { ShardManifest } from './manifest.ts';
import { readFully } from './crc.ts';
import { checkBlock, type OpenShard } from './shardHandles.ts';

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
  /** Bytes of the largest batch block: the size of each read buffer. */
  slotBytes: number;
  /** Read position `pos` of the order into `slot` (one pread) and decode it in place. */
  readInto(slot: Uint8Array, pos: number): Promise<Decoded>;
}

export function readPlan(split: Split, shards: OpenShard[], manifest: ShardManifest, ro: ReadOptions): ReadPlan {
  const locate = batchLocator(shards.map((s) => s.blocks.length));
  const order = epochOrder(shards.reduce((a, s) => a + s.blocks.length, 0), {
    seed: ro.seed ?? 0, epoch: ro.epoch ?? 0, shuffle: ro.shuffle ?? true, split, partition: ro.partition ?? WHOLE,
  });
  const pixels = manifest.image.height * manifest.image.width;
  return {
    split, manifest, pixels, order,
    startCursor: Math.max(0, Math.min(order.length, Math.floor(ro.startCursor ?? 0))),
    prefetch: Math.max(0, Math.floor(ro.prefetch ?? 2)),
    slotBytes: Math.max(0, ...shards.flatMap((s) => s.blocks.map((b) => b.length))),
    async readInto(slot, pos) {
      const [s, b] = locate(order[pos]!);
      const shard = shards[s]!;
      const block = shard.blocks[b]!;
      const bytes = slot.subarray(0, block.length);
      await readFully(shard.handle, bytes, block.offset);
      checkBlock(shard, b, bytes);
      const d = decodeBatch(bytes, block.metadataLength, pixels, `${shard.info.file} batch ${b}`);
      return { ...d, shard: shard.info.index, batchIndex: b };
    },
  };
}

/** A Batch of the stored rows as they are (images: a view into the read buffer). */
export function asBatch(d: Decoded, cursor: number, m: ShardManifest): Batch {
  return {
    images: d.images, size: d.rows, height: m.image.height, width: m.image.width,
    labels: d.labels, datasets: d.datasets, series: d.series, sops: d.sops, frames: d.frames,
    shard: d.shard, batchIndex: d.batchIndex, cursor,
  };
}
