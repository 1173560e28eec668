import { SPLITS } from '../core/types.ts';

/** Validation and test balanced accuracy further apart than this (a fraction) are called out: the model does not generalise to one of them. */
export const GENERALISATION_GAP = 0.15;
import type { CountRow, StepTiming } from './model.ts';

/** train, validate, test first (in that order), then any other split names alphabetically. */
export function orderedSplits(names: Iterable<string>): string[] {
  const set = new Set(names);
  const known = SPLITS.filter((s) => set.has(s)) as string[];
  return [...known, ...[...set].filter((s) => !known.includes(s)).sort()];
}

/** Body locations by total images, largest first (stack order and legend order). */
export function orderedLocations(rows: CountRow[]): string[] {
  const totals = sumBy(rows, (r) => r.location);
  return [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k);
}

export function sumBy(rows: CountRow[], key: (r: CountRow) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + r.images);
  return m;
}

export function pct(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '–';
}

export function secondsText(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/**
 * "123 images/s" from a step's counts (images, else samples, else series), when it ran. Not for
 * verify: its counts are the dataset's size while its time may be a reused check (millions/s).
 */
const DATA_STEPS = new Set(['fetch', 'preprocess', 'shard', 'train', 'evaluate']);

export function throughputOf(s: StepTiming): string | undefined {
  if (s.status !== 'ran' || s.seconds <= 0 || !DATA_STEPS.has(s.step)) return undefined;
  for (const unit of ['images', 'samples', 'series', 'rows']) {
    const v = s.counts[unit];
    if (typeof v === 'number' && v > 0) return `${(v / s.seconds).toFixed(v / s.seconds >= 100 ? 0 : 1)} ${unit}/s`;
  }
  return undefined;
}
