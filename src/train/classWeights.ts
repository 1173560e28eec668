import type { Split } from '../core/types.ts';
import type { BatchSource, DatasetFacts } from './data.ts';

/**
 * Class-balanced loss weights (the paper reports balanced accuracy for a reason): class c weighs
 * N / (K · n_c) over the K classes present in train, so each class contributes equally to the
 * epoch's loss; absent classes weigh 1.
 */
export function balancedClassWeights(counts: Record<string, number>, classNames: readonly string[]): number[] {
  const present = classNames.filter((c) => (counts[c] ?? 0) > 0);
  const total = present.reduce((a, c) => a + counts[c]!, 0);
  return classNames.map((c) => ((counts[c] ?? 0) > 0 ? total / (present.length * counts[c]!) : 1));
}

/** Images per class name in a split: the shard manifest's counts when known, else one pass over the split. */
export async function classCountsOf(source: BatchSource & { facts?: DatasetFacts }, split: Split): Promise<Record<string, number>> {
  const known = source.facts?.classCounts?.[split];
  if (known) return known;
  const counts: Record<string, number> = {};
  for await (const b of source.batches(split, { shuffle: false })) {
    for (let i = 0; i < b.size; i++) {
      const name = source.classNames[b.labels[i]!]!;
      counts[name] = (counts[name] ?? 0) + 1;
    }
  }
  return counts;
}
