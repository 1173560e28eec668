import { inPartition, type Partition } from '../core/partition.ts';
import type { Plan, PlannedSeries } from '../core/types.ts';
import { applyCap, type CapOrder } from './caps.ts';
import { cmp, type Candidate, type ExclusionTally } from './planRows.ts';

export interface CapSettings {
  caps: Readonly<Record<string, number>>;
  capOrder: CapOrder;
  partition: Partition;
}

/**
 * One dataset's candidates capped per class, then filtered to the partition (caps come first, so
 * the partitions' plans add up to the whole plan): the planned series in TCIA order, whatever the
 * class, and a summary row per class.
 */
export function capDataset(
  dataset: string,
  perLabel: ReadonlyMap<string, Candidate[]>,
  s: CapSettings,
  excluded: ExclusionTally,
): { series: PlannedSeries[]; summary: Plan['summary'] } {
  const summary: Plan['summary'] = [];
  const keepOf = new Map<string, number>();
  for (const label of [...perLabel.keys()].sort(cmp)) {
    const cands = perLabel.get(label)!;
    const keep = applyCap(cands, s.caps[label], s.capOrder);
    let planned = 0;
    let images = 0;
    let cappedFrom = 0;
    for (const cand of cands) {
      const k = keep.get(cand.index) ?? 0;
      keepOf.set(cand.entry.seriesUid, k);
      if (!inPartition(cand.entry.seriesUid, s.partition)) continue;
      cappedFrom += cand.imageCount;
      if (k === 0) {
        excluded.add(dataset, cand.entry.modality, 'over-cap', cand.imageCount);
        continue;
      }
      cand.entry.keep = k;
      planned++;
      images += k;
    }
    if (cappedFrom > 0) summary.push({ dataset, label, series: planned, images, cappedFrom });
  }
  const all = [...perLabel.values()].flat().sort((a, b) => a.index - b.index);
  const series = all.filter((cand) => (keepOf.get(cand.entry.seriesUid) ?? 0) > 0 && inPartition(cand.entry.seriesUid, s.partition)).map((c) => c.entry);
  return { series, summary };
}
