import { deriveSeed } from '../core/hash.ts';
import { SPLITS, type Split } from '../core/types.ts';

/**
 * Automatic split proposal for datasets the manifest leaves unassigned. Whole datasets only; a
 * dataset with a split in the manifest never moves. Objective (lower is better), per class c:
 *   Σ_split (images(c, split) / images(c) − target(split))²
 *   + LOCATION_WEIGHT · Σ_split max(0, min(2, locations(c)) − locations(c, split))
 * plus, once per split, UNSEEN_WEIGHT if validate (test) holds no class × location pair that train
 * lacks although the data could give it one (some class at ≥ 3 locations): image fractions close to
 * the targets, ≥ 2 body locations per class in every split where the data has them (the paper's
 * constraint), and validate and test that measure generalisation to a location unseen in training. Exhaustive search for few free datasets, else greedy
 * (largest first) plus local improvement by moves and swaps; the seed only breaks ties, so the same
 * counts and seed always give the same proposal.
 */

export interface CountCell {
  dataset: string;
  label: string;
  location: string;
  images: number;
}

export interface BalanceInput {
  cells: CountCell[];
  /** Fixed assignments (from the manifest). */
  assigned: Readonly<Record<string, Split>>;
  /** Fractions for train, validate, test (normalised to sum 1). */
  targets: readonly [number, number, number];
  seed: number;
  /** Ask validate and test for a class × location pair unseen in train (default true). */
  unseenPairs?: boolean;
}

export interface BalanceResult {
  /** Proposed split for every dataset that was not assigned. */
  proposed: Record<string, Split>;
  score: number;
  /** Per class: achieved fraction per split and locations per split. */
  perClass: Record<string, { total: number; fractions: Record<Split, number>; locations: Record<Split, number>; locationsWanted: number }>;
  /** Class × location pairs of validate and test that train lacks, as "CLASS location". */
  unseen: { validate: string[]; test: string[] };
  search: 'exhaustive' | 'greedy+local';
}

export const LOCATION_WEIGHT = 10;
export const UNSEEN_WEIGHT = 5;
const EXHAUSTIVE_MAX = 9;

export function balanceSplits(input: BalanceInput): BalanceResult {
  const tsum = input.targets.reduce((a, b) => a + b, 0);
  if (!(tsum > 0) || input.targets.some((t) => t < 0)) throw new RangeError('split targets must be ≥ 0 with a positive sum');
  const targets = input.targets.map((t) => t / tsum);
  const classes = [...new Set(input.cells.map((c) => c.label))].sort();
  const datasets = [...new Set(input.cells.map((c) => c.dataset))].sort();
  const free = datasets.filter((d) => input.assigned[d] === undefined);
  const cls = new Map(classes.map((c, i) => [c, i]));
  const nC = classes.length;

  // Per dataset: images per class and (class, location) pairs.
  const dsImages = new Map<string, Float64Array>();
  const dsLocs = new Map<string, Array<[number, string]>>();
  const classLocations = classes.map(() => new Set<string>());
  for (const d of datasets) {
    dsImages.set(d, new Float64Array(nC));
    dsLocs.set(d, []);
  }
  for (const c of input.cells) {
    if (c.images <= 0) continue;
    const ci = cls.get(c.label)!;
    dsImages.get(c.dataset)![ci]! += c.images;
    const locs = dsLocs.get(c.dataset)!;
    if (!locs.some(([k, l]) => k === ci && l === c.location)) locs.push([ci, c.location]);
    classLocations[ci]!.add(c.location);
  }
  const totals = new Float64Array(nC);
  for (const v of dsImages.values()) v.forEach((x, i) => (totals[i]! += x));
  const wantLocs = classLocations.map((s) => Math.min(2, s.size));
  const wantUnseen = (input.unseenPairs ?? true) && classLocations.some((s) => s.size >= 3);

  // Mutable state: images per (class, split) and location multiplicities per (class, split).
  const counts = new Float64Array(nC * 3);
  const locCounts = Array.from({ length: nC * 3 }, () => new Map<string, number>());
  const where = new Map<string, number>();
  const place = (d: string, s: number, sign: 1 | -1) => {
    const img = dsImages.get(d)!;
    for (let c = 0; c < nC; c++) counts[c * 3 + s]! += sign * img[c]!;
    for (const [c, l] of dsLocs.get(d)!) {
      const m = locCounts[c * 3 + s]!;
      const n = (m.get(l) ?? 0) + sign;
      if (n === 0) m.delete(l);
      else m.set(l, n);
    }
  };
  /** Pairs (class, location) in split s that train (split 0) lacks. */
  const unseenIn = (s: number) => {
    const out: string[] = [];
    for (let c = 0; c < nC; c++) for (const l of locCounts[c * 3 + s]!.keys()) if (!locCounts[c * 3]!.has(l)) out.push(`${classes[c]} ${l}`);
    return out.sort();
  };
  const hasUnseen = (s: number) => {
    for (let c = 0; c < nC; c++) for (const l of locCounts[c * 3 + s]!.keys()) if (!locCounts[c * 3]!.has(l)) return true;
    return false;
  };
  const score = () => {
    let total = 0;
    for (let c = 0; c < nC; c++) {
      if (totals[c]! === 0) continue;
      for (let s = 0; s < 3; s++) {
        const f = counts[c * 3 + s]! / totals[c]! - targets[s]!;
        total += f * f + LOCATION_WEIGHT * Math.max(0, wantLocs[c]! - locCounts[c * 3 + s]!.size);
      }
    }
    if (wantUnseen) for (const s of [1, 2]) if (!hasUnseen(s)) total += UNSEEN_WEIGHT;
    return total;
  };
  for (const d of datasets) {
    const s = input.assigned[d];
    if (s !== undefined) {
      place(d, SPLITS.indexOf(s), 1);
      where.set(d, SPLITS.indexOf(s));
    }
  }

  // Seeded tie-break order of the free datasets: larger first, then by seeded hash.
  const size = (d: string) => dsImages.get(d)!.reduce((a, b) => a + b, 0);
  const order = [...free].sort((a, b) => size(b) - size(a) || deriveSeed(input.seed, a) - deriveSeed(input.seed, b) || a.localeCompare(b));
  const splitOrder = [0, 1, 2].sort((a, b) => deriveSeed(input.seed, 'split', a) - deriveSeed(input.seed, 'split', b));
  const EPS = 1e-12;
  let search: BalanceResult['search'];

  if (order.length <= EXHAUSTIVE_MAX) {
    search = 'exhaustive';
    let best = Infinity;
    let bestAssign: number[] = order.map(() => 0);
    const cur: number[] = [];
    const rec = (i: number) => {
      if (i === order.length) {
        const sc = score();
        if (sc < best - EPS) {
          best = sc;
          bestAssign = [...cur];
        }
        return;
      }
      for (const s of splitOrder) {
        place(order[i]!, s, 1);
        cur[i] = s;
        rec(i + 1);
        place(order[i]!, s, -1);
      }
    };
    rec(0);
    order.forEach((d, i) => {
      place(d, bestAssign[i]!, 1);
      where.set(d, bestAssign[i]!);
    });
  } else {
    search = 'greedy+local';
    for (const d of order) {
      let bestS = splitOrder[0]!;
      let best = Infinity;
      for (const s of splitOrder) {
        place(d, s, 1);
        const sc = score();
        place(d, s, -1);
        if (sc < best - EPS) {
          best = sc;
          bestS = s;
        }
      }
      place(d, bestS, 1);
      where.set(d, bestS);
    }
    // Local improvement: best single move or pairwise swap, repeated until none improves.
    for (let round = 0; round < 200; round++) {
      let current = score();
      let improved = false;
      for (const d of order) {
        const from = where.get(d)!;
        for (const s of splitOrder) {
          if (s === from) continue;
          place(d, from, -1);
          place(d, s, 1);
          const sc = score();
          if (sc < current - EPS) {
            where.set(d, s);
            current = sc;
            improved = true;
            break;
          }
          place(d, s, -1);
          place(d, from, 1);
        }
      }
      for (let i = 0; i < order.length; i++) {
        for (let j = i + 1; j < order.length; j++) {
          const a = order[i]!;
          const b = order[j]!;
          const sa = where.get(a)!;
          const sb = where.get(b)!;
          if (sa === sb) continue;
          place(a, sa, -1);
          place(b, sb, -1);
          place(a, sb, 1);
          place(b, sa, 1);
          const sc = score();
          if (sc < current - EPS) {
            where.set(a, sb);
            where.set(b, sa);
            current = sc;
            improved = true;
          } else {
            place(a, sb, -1);
            place(b, sa, -1);
            place(a, sa, 1);
            place(b, sb, 1);
          }
        }
      }
      if (!improved) break;
    }
  }

  const proposed: Record<string, Split> = {};
  for (const d of free) proposed[d] = SPLITS[where.get(d)!]!;
  const perClass: BalanceResult['perClass'] = {};
  classes.forEach((c, ci) => {
    const fractions = {} as Record<Split, number>;
    const locations = {} as Record<Split, number>;
    SPLITS.forEach((s, si) => {
      fractions[s] = totals[ci]! > 0 ? counts[ci * 3 + si]! / totals[ci]! : 0;
      locations[s] = locCounts[ci * 3 + si]!.size;
    });
    perClass[c] = { total: totals[ci]!, fractions, locations, locationsWanted: wantLocs[ci]! };
  });
  return { proposed, score: score(), perClass, unseen: { validate: unseenIn(1), test: unseenIn(2) }, search };
}
