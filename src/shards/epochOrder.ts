import { deriveSeed, seededRandom, shuffleInPlace } from '../core/hash.ts';
import type { Partition } from '../core/partition.ts';

/**
 * Order of one epoch (a contract; docs/interop.md): a seeded permutation of the split's global
 * batch ids (shards in index order, batches in file order), identical for the same (seed, epoch),
 * different across epochs. `partition i/P` keeps positions j ≡ i (mod P), so P readers see
 * disjoint sets that together cover the epoch.
 */
export function epochOrder(totalBatches: number, opts: { seed: number; epoch: number; shuffle: boolean; split: string; partition: Partition }): Int32Array {
  const ids = Array.from({ length: totalBatches }, (_, i) => i);
  if (opts.shuffle) shuffleInPlace(ids, seededRandom(deriveSeed('order', opts.seed, opts.epoch, opts.split)));
  const p = opts.partition;
  return Int32Array.from(p.count === 1 ? ids : ids.filter((_, j) => j % p.count === p.index));
}

/** Global batch id → [shard, batch within the shard], for shards holding `counts[i]` batches. */
export function batchLocator(counts: readonly number[]): (id: number) => [number, number] {
  const starts: number[] = [];
  counts.reduce((total, n) => (starts.push(total), total + n), 0);
  return (id) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= id) lo = mid;
      else hi = mid - 1;
    }
    return [lo, id - starts[lo]!];
  };
}
