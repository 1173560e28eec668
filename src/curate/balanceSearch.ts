import type { SplitState } from './balanceState.ts';

/** Scores closer than this count as equal, so the seeded order decides ties. */
const EPS = 1e-12;

/** Every assignment of the free datasets (3^n): the best one, placed. For few datasets only. */
export function exhaustiveSearch(state: SplitState, order: readonly string[], splitOrder: readonly number[]): void {
  let best = Infinity;
  let bestAssign: number[] = order.map(() => 0);
  const cur: number[] = [];
  const rec = (i: number) => {
    if (i === order.length) {
      const sc = state.score();
      if (sc < best - EPS) {
        best = sc;
        bestAssign = [...cur];
      }
      return;
    }
    for (const s of splitOrder) {
      state.place(order[i]!, s, 1);
      cur[i] = s;
      rec(i + 1);
      state.place(order[i]!, s, -1);
    }
  };
  rec(0);
  order.forEach((d, i) => state.assign(d, bestAssign[i]!));
}

/** Each dataset in turn (largest first) into the split that scores best, then `improveLocally`. */
export function greedySearch(state: SplitState, order: readonly string[], splitOrder: readonly number[]): void {
  for (const d of order) {
    let bestS = splitOrder[0]!;
    let best = Infinity;
    for (const s of splitOrder) {
      state.place(d, s, 1);
      const sc = state.score();
      state.place(d, s, -1);
      if (sc < best - EPS) {
        best = sc;
        bestS = s;
      }
    }
    state.assign(d, bestS);
  }
  improveLocally(state, order, splitOrder);
}

/** Best single move or pairwise swap, repeated until none improves (at most 200 rounds). */
function improveLocally(state: SplitState, order: readonly string[], splitOrder: readonly number[]): void {
  for (let round = 0; round < 200; round++) {
    let current = state.score();
    let improved = false;
    for (const d of order) {
      const r = tryMoves(state, d, splitOrder, current);
      if (r < current) {
        current = r;
        improved = true;
      }
    }
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        const r = trySwap(state, order[i]!, order[j]!, current);
        if (r < current) {
          current = r;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
}

/** Move `d` to the first split (in seeded order) that beats `current`; returns the new score. */
function tryMoves(state: SplitState, d: string, splitOrder: readonly number[], current: number): number {
  const from = state.where.get(d)!;
  for (const s of splitOrder) {
    if (s === from) continue;
    state.place(d, from, -1);
    state.place(d, s, 1);
    const sc = state.score();
    if (sc < current - EPS) {
      state.where.set(d, s);
      return sc;
    }
    state.place(d, s, -1);
    state.place(d, from, 1);
  }
  return current;
}

/** Swap the splits of `a` and `b` when that beats `current`; returns the new score. */
function trySwap(state: SplitState, a: string, b: string, current: number): number {
  const sa = state.where.get(a)!;
  const sb = state.where.get(b)!;
  if (sa === sb) return current;
  state.place(a, sa, -1);
  state.place(b, sb, -1);
  state.place(a, sb, 1);
  state.place(b, sa, 1);
  const sc = state.score();
  if (sc < current - EPS) {
    state.where.set(a, sb);
    state.where.set(b, sa);
    return sc;
  }
  state.place(a, sb, -1);
  state.place(b, sa, -1);
  state.place(a, sa, 1);
  state.place(b, sb, 1);
  return current;
}
