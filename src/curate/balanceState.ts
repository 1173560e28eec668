import { SPLITS, type Split } from '../core/types.ts';
import type { BalanceInput, BalanceResult } from './balance.ts';

export const LOCATION_WEIGHT = 10;
export const UNSEEN_WEIGHT = 5;

/**
 * The balancer's working state: images and body-location multiplicities per (class, split) for the
 * datasets placed so far, with the objective of `balanceSplits` (see there). Split indices follow
 * `SPLITS` (0 train, 1 validate, 2 test).
 */
export class SplitState {
  readonly classes: string[];
  readonly datasets: string[];
  /** Images per class over all datasets. */
  readonly totals: Float64Array;
  /** Body locations each class should have in every split: min(2, locations of the class). */
  readonly wantLocs: number[];
  /** The split each placed dataset is in. */
  readonly where = new Map<string, number>();
  private readonly nC: number;
  private readonly targets: number[];
  private readonly wantUnseen: boolean;
  private readonly dsImages = new Map<string, Float64Array>();
  private readonly dsLocs = new Map<string, Array<[number, string]>>();
  private readonly counts: Float64Array;
  private readonly locCounts: Array<Map<string, number>>;

  constructor(input: BalanceInput, targets: number[]) {
    this.targets = targets;
    this.classes = [...new Set(input.cells.map((c) => c.label))].sort();
    this.datasets = [...new Set(input.cells.map((c) => c.dataset))].sort();
    const cls = new Map(this.classes.map((c, i) => [c, i]));
    const nC = (this.nC = this.classes.length);
    // Per dataset: images per class and (class, location) pairs.
    const classLocations = this.classes.map(() => new Set<string>());
    for (const d of this.datasets) {
      this.dsImages.set(d, new Float64Array(nC));
      this.dsLocs.set(d, []);
    }
    for (const c of input.cells) {
      if (c.images <= 0) continue;
      const ci = cls.get(c.label)!;
      this.dsImages.get(c.dataset)![ci]! += c.images;
      const locs = this.dsLocs.get(c.dataset)!;
      if (!locs.some(([k, l]) => k === ci && l === c.location)) locs.push([ci, c.location]);
      classLocations[ci]!.add(c.location);
    }
    this.totals = new Float64Array(nC);
    for (const v of this.dsImages.values()) v.forEach((x, i) => (this.totals[i]! += x));
    this.wantLocs = classLocations.map((s) => Math.min(2, s.size));
    this.wantUnseen = (input.unseenPairs ?? true) && classLocations.some((s) => s.size >= 3);
    this.counts = new Float64Array(nC * 3);
    this.locCounts = Array.from({ length: nC * 3 }, () => new Map<string, number>());
  }

  /** Images of dataset `d` over all classes. */
  size(d: string): number {
    return this.dsImages.get(d)!.reduce((a, b) => a + b, 0);
  }

  /** Add (`sign` 1) or remove (−1) dataset `d` in split `s`; `where` is the caller's to keep. */
  place(d: string, s: number, sign: 1 | -1): void {
    const img = this.dsImages.get(d)!;
    for (let c = 0; c < this.nC; c++) this.counts[c * 3 + s]! += sign * img[c]!;
    for (const [c, l] of this.dsLocs.get(d)!) {
      const m = this.locCounts[c * 3 + s]!;
      const n = (m.get(l) ?? 0) + sign;
      if (n === 0) m.delete(l);
      else m.set(l, n);
    }
  }

  /** Place `d` in split `s` for good. */
  assign(d: string, s: number): void {
    this.place(d, s, 1);
    this.where.set(d, s);
  }

  /** Pairs (class, location) in split s that train (split 0) lacks. */
  unseenIn(s: number): string[] {
    const out: string[] = [];
    for (let c = 0; c < this.nC; c++) for (const l of this.locCounts[c * 3 + s]!.keys()) if (!this.locCounts[c * 3]!.has(l)) out.push(`${this.classes[c]} ${l}`);
    return out.sort();
  }

  private hasUnseen(s: number): boolean {
    for (let c = 0; c < this.nC; c++) for (const l of this.locCounts[c * 3 + s]!.keys()) if (!this.locCounts[c * 3]!.has(l)) return true;
    return false;
  }

  /** The objective (lower is better). */
  score(): number {
    let total = 0;
    for (let c = 0; c < this.nC; c++) {
      if (this.totals[c]! === 0) continue;
      for (let s = 0; s < 3; s++) {
        const f = this.counts[c * 3 + s]! / this.totals[c]! - this.targets[s]!;
        total += f * f + LOCATION_WEIGHT * Math.max(0, this.wantLocs[c]! - this.locCounts[c * 3 + s]!.size);
      }
    }
    if (this.wantUnseen) for (const s of [1, 2]) if (!this.hasUnseen(s)) total += UNSEEN_WEIGHT;
    return total;
  }

  /** Per class: achieved fraction and locations per split. */
  perClass(): BalanceResult['perClass'] {
    const out: BalanceResult['perClass'] = {};
    this.classes.forEach((c, ci) => {
      const fractions = {} as Record<Split, number>;
      const locations = {} as Record<Split, number>;
      SPLITS.forEach((s, si) => {
        fractions[s] = this.totals[ci]! > 0 ? this.counts[ci * 3 + si]! / this.totals[ci]! : 0;
        locations[s] = this.locCounts[ci * 3 + si]!.size;
      });
      out[c] = { total: this.totals[ci]!, fractions, locations, locationsWanted: this.wantLocs[ci]! };
    });
    return out;
  }
}
