import { ConfigError } from '../core/errors.ts';

/**
 * Per-dataset, per-class image caps, applied to the plan before anything is downloaded (the paper:
 * ≤ 50,000 CT and ≤ 100,000 MR images per dataset, "in the order given by TCIA"). Series are
 * taken in cap order until the cap is reached; the series that straddles it keeps only the
 * remainder; later series are dropped.
 */

export type CapOrder = 'tcia' | 'spread';

export const DEFAULT_CAPS: Readonly<Record<string, number>> = { CT: 50_000, MR: 100_000 };
/** Which series the caps keep: TCIA's listing order (`tcia`) or spread over patients (`spread`). */
export const DEFAULT_CAP_ORDER: CapOrder = 'tcia';

export interface CapCandidate {
  /** Position in TCIA's listing (the snapshot order). */
  index: number;
  patientId: string;
  imageCount: number;
}

/**
 * Order in which the cap consumes series. `tcia`: as TCIA listed them. `spread`: round-robin over
 * patients (sorted by PatientID, code-unit order), each patient's series in TCIA order, so a capped
 * dataset keeps many patients instead of the first few.
 */
export function capSequence<T extends CapCandidate>(items: readonly T[], order: CapOrder): T[] {
  const byIndex = [...items].sort((a, b) => a.index - b.index);
  if (order === 'tcia') return byIndex;
  const groups = new Map<string, T[]>();
  for (const it of byIndex) {
    const g = groups.get(it.patientId);
    if (g) g.push(it);
    else groups.set(it.patientId, [it]);
  }
  const patients = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: T[] = [];
  for (let round = 0; out.length < byIndex.length; round++) {
    for (const p of patients) {
      const s = groups.get(p)![round];
      if (s) out.push(s);
    }
  }
  return out;
}

/** Images to keep per candidate (by `index`); 0 = dropped. `cap` undefined = uncapped. */
export function applyCap<T extends CapCandidate>(items: readonly T[], cap: number | undefined, order: CapOrder): Map<number, number> {
  const keep = new Map<number, number>();
  let left = cap ?? Number.POSITIVE_INFINITY;
  for (const it of capSequence(items, order)) {
    const k = Math.max(0, Math.min(it.imageCount, left));
    keep.set(it.index, k);
    left -= k;
  }
  return keep;
}

/** `--cap CT=50000,MR=100000` (repeatable). Class names are checked against `labels` when given. */
export function parseCaps(text: string | string[] | undefined, labels?: readonly string[]): Record<string, number> | undefined {
  if (text === undefined) return undefined;
  const parts = (Array.isArray(text) ? text : [text]).flatMap((t) => t.split(',')).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  const out: Record<string, number> = {};
  for (const p of parts) {
    const m = /^([A-Za-z0-9_-]+)=(\d+)$/.exec(p);
    if (!m || Number(m[2]) < 1 || !Number.isSafeInteger(Number(m[2]))) {
      throw new ConfigError(`\`caps\`: expected CLASS=IMAGES with a positive whole number, got "${p}"`, { hint: 'e.g. `caps` CT=50000,MR=100000' });
    }
    const label = m[1]!;
    if (labels && !labels.includes(label)) {
      throw new ConfigError(`\`caps\`: unknown class "${label}" (classes: ${labels.join(', ')})`, { hint: 'caps are per class label, e.g. XR, not per modality (CR/DX/MG)' });
    }
    out[label] = Number(m[2]);
  }
  return out;
}
