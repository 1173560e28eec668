import type { RunContext } from '../core/context.ts';
import { SPLITS, type Split } from '../core/types.ts';
import { ImageReads } from './imageReads.ts';
import type { SplitSummary } from './manifest.ts';
import type { SplitRowStore } from './rowStore.ts';
import { BatchAssembler, SplitShardWriter, type ShardCrc32, type ShardFileInfo, type SplitWriterOptions } from './writer.ts';

/**
 * Pass 2 of `etl shard`: each split's rows in key order → batches → shard files. Each image is read
 * once, by position, from its staging file straight into the batch being assembled, and written
 * once; memory is one batch plus the rows' metadata, whatever the dataset size.
 */

export interface WriteSplitsInput {
  dir: string;
  splits: Map<Split, SplitRowStore>;
  files: readonly string[];
  batchesPerShard: number;
  partial: 'keep' | 'drop';
  info: SplitWriterOptions['info'];
  hasher?: SplitWriterOptions['hasher'];
}

export interface Written {
  shards: ShardFileInfo[];
  splits: Record<Split, SplitSummary>;
  /** Each shard's CRC-32s, taken as it was written (for the batch index). */
  crc32: Map<string, ShardCrc32>;
}

export async function writeSplits(input: WriteSplitsInput, ctx: RunContext, writers: SplitShardWriter[] = []): Promise<Written> {
  const pixels = input.info.height * input.info.width;
  const total = SPLITS.reduce((a, s) => a + input.splits.get(s)!.count, 0);
  const progress = ctx.progress('shard pass 2 (write)', total, 'images');
  const reads = new ImageReads(input.files);
  const assembler = new BatchAssembler(input.info.batchSize, pixels); // one batch's buffers, shared by the splits
  const shards: ShardFileInfo[] = [];
  const splits = {} as Record<Split, SplitSummary>;
  const crc32 = new Map<string, ShardCrc32>();
  try {
    for (const split of SPLITS) {
      const rows = input.splits.get(split)!;
      const w = new SplitShardWriter({
        dir: input.dir, split, totalRows: rows.count, batchesPerShard: input.batchesPerShard, partial: input.partial, info: input.info, assembler,
        ...(input.hasher ? { hasher: input.hasher } : {}),
      });
      writers.push(w);
      const classCounts: Record<string, number> = {};
      const datasetCounts: Record<string, number> = {};
      for (const t of rows.tables()) {
        for (const i of t.order()) {
          const meta = t.meta(i);
          if (w.addFilled(meta, (into) => reads.read(t.file(i), t.offset(i), into))) {
            const c = input.info.classNames[meta.label]!;
            classCounts[c] = (classCounts[c] ?? 0) + 1;
            datasetCounts[meta.dataset] = (datasetCounts[meta.dataset] ?? 0) + 1;
          }
          progress.tick(1, pixels);
        }
      }
      const files = await w.finish();
      shards.push(...files);
      for (const [f, c] of w.crc32) crc32.set(f, c);
      const n = w.rowsToWrite;
      splits[split] = {
        rows: n, batches: w.batches, shards: files.length,
        lastBatchRows: n % input.info.batchSize, droppedRows: rows.count - n, classCounts, datasetCounts,
      };
      rows.dispose(); // this split's rows are written: let their metadata go
    }
  } finally {
    reads.close();
    progress.stop();
  }
  return { shards, splits, crc32 };
}
