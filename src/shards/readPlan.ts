import fs from 'node:fs';
import { WHOLE } from '../core/partition.ts';
import type { Split } from '../core/types.ts';
import { decodeBatch, type DecodedBatch } from './batchMessage.ts';
import type { Batch, ReadOptions } from './batchSource.ts';
import { batchLocator, epochOrder } from './epochOrder.ts';
import type { ShardManifest } from './manifest.ts';
import { dropPages, mapFile } from '../core/mmap.ts';
import { readBlock, type OpenShard } from './shardHandles.ts';

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
  /** Position `pos` of the order: a view of its shard's map, else read into `slot` (one pread); decoded in place. */
  readInto(slot: Uint8Array, pos: number): Promise<Decoded>;
  /** The consumer is done with position `pos`: drop its mapped pages (nothing to do for pread). */
  release(pos: number): void;
  /** The epoch is over: drop every mapped page. */
  close(): void;
}

/**
 * `mmap`: map each shard for this epoch alone (core/mmap.ts), so what one iterator's consumer writes
 * into a view never reaches another iterator, and pages are dropped as batches are released.
 */
export function readPlan(split: Split, shards: OpenShard[], manifest: ShardManifest, ro: ReadOptions, mmap: boolean): ReadPlan {
  const locate = batchLocator(shards.map((s) => s.blocks.length));
  const order = epochOrder(shards.reduce((a, s) => a + s.blocks.length, 0), {
    seed: ro.seed ?? 0, epoch: ro.epoch ?? 0, shuffle: ro.shuffle ?? true, split, partition: ro.partition ?? WHOLE,
  });
  const pixels = manifest.image.height * manifest.image.width;
  // At the size the file has now: no view reaches past its end (a cut shard is SHARDS_TRUNCATED, not SIGBUS).
  const maps = shards.map((s) => (mmap ? mapFile(s.handle.fd, fs.fstatSync(s.handle.fd).size) : undefined));
  const drop = (pos: number) => {
    const [s, b] = locate(order[pos]!);
    const block = shards[s]!.blocks[b]!;
    if (maps[s]) dropPages(maps[s], block.offset, block.offset + block.length);
  };
  return {
    split, manifest, pixels, order,
    startCursor: Math.max(0, Math.min(order.length, Math.floor(ro.startCursor ?? 0))),
    prefetch: Math.max(0, Math.floor(ro.prefetch ?? 2)),
    slotBytes: Math.max(0, ...shards.filter((_, i) => !maps[i]).flatMap((s) => s.blocks.map((b) => b.length))),
    async readInto(slot, pos) {
      const [s, b] = locate(order[pos]!);
      const shard = shards[s]!;
      const bytes = await readBlock(shard, b, slot, maps[s]);
      const d = decodeBatch(bytes, shard.blocks[b]!.metadataLength, pixels, `${shard.info.file} batch ${b}`);
      return { ...d, shard: shard.info.index, batchIndex: b };
    },
    release: drop,
    close() {
      for (const m of maps) if (m) dropPages(m);
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
