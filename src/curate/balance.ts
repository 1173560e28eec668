import { deriveSeed } from '../core/hash.ts';
import { SPLITS, type Split } from '../core/types.ts';
import { exhaustiveSearch, greedySearch } from './balanceSearch.ts';
import { SplitState } from './balanceState.ts';

/**
 * Automatic split proposal for datasets the manifest leaves unassigned. Whole datasets only; a
 * dataset with a split in the manifest never moves. Objective (lower is better), per class c:
 *   Σ_split (images(c, split) / images(c) − target(split))²
 *   + LOCATION_WEIGHT · Σ_split max(0, min(2, locations(c)) − locations(c, split))
 * plus, once per split, UNSEEN_WEIGHT (weights in `balanceState.ts`) if validate (test) holds no class × location pair that train
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

/** Up to this many free datasets, every assignment is tried (3^9 = 19,683). */
const EXHAUSTIVE_MAX = 9;

export function balanceSplits(input: BalanceInput): BalanceResult {
  const tsum = input.targets.reduce((a, b) => a + b, 0);
  if (!(tsum > 0) || input.targets.some((t) => t < 0)) throw new RangeError('split targets must be ≥ 0 with a positive sum');
  const state = new SplitState(input, input.targets.map((t) => t / tsum));
  const free = state.datasets.filter((d) => input.assigned[d] === undefined);
  for (const d of state.datasets) {
    const s = input.assigned[d];
    if (s !== undefined) state.assign(d, SPLITS.indexOf(s));
  }

  // Seeded tie-break order of the free datasets: larger first, then by seeded hash.
  const size = (d: string) => state.size(d);
  const order = [...free].sort((a, b) => size(b) - size(a) || deriveSeed(input.seed, a) - deriveSeed(input.seed, b) || a.localeCompare(b));
  const splitOrder = [0, 1, 2].sort((a, b) => deriveSeed(input.seed, 'split', a) - deriveSeed(input.seed, 'split', b));
  const search: BalanceResult['search'] = order.length <= EXHAUSTIVE_MAX ? 'exhaustive' : 'greedy+local';
  if (search === 'exhaustive') exhaustiveSearch(state, order, splitOrder);
  else greedySearch(state, order, splitOrder);

  const proposed: Record<string, Split> = {};
  for (const d of free) proposed[d] = SPLITS[state.where.get(d)!]!;
  return { proposed, score: state.score(), perClass: state.perClass(), unseen: { validate: state.unseenIn(1), test: state.unseenIn(2) }, search };
}
