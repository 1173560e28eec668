/**
 * Classification metrics on integer labels (pure functions; evaluate.ts applies them to a run).
 * Confusion matrix rows = true class, columns = predicted class.
 */

export interface ClassMetrics {
  className: string;
  /** Rows whose true class is this one. */
  support: number;
  /** Rows predicted as this class. */
  predicted: number;
  /** TP / predicted (null when nothing was predicted as this class). */
  precision: number | null;
  /** TP / support (null when the class has no rows). */
  recall: number | null;
  /** Harmonic mean of precision and recall (null when either is null; 0 when both are 0). */
  f1: number | null;
}

export interface ClassificationSummary {
  images: number;
  correct: number;
  accuracy: number | null;
  /** Mean recall over classes that have rows (the paper's "balanced accuracy"). */
  balancedAccuracy: number | null;
  /** Unweighted mean F1 over classes with a defined F1. */
  macroF1: number | null;
  confusion: number[][];
  perClass: ClassMetrics[];
}

export function confusionMatrix(labels: ArrayLike<number>, preds: ArrayLike<number>, numClasses: number): number[][] {
  if (labels.length !== preds.length) throw new Error(`labels (${labels.length}) and predictions (${preds.length}) differ in length`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const p = preds[i]!;
    if (t < 0 || t >= numClasses || p < 0 || p >= numClasses) throw new Error(`class index out of range at row ${i}: true ${t}, predicted ${p}`);
    m[t]![p]!++;
  }
  return m;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function summarize(confusion: number[][], classNames: string[]): ClassificationSummary {
  const k = classNames.length;
  let images = 0;
  let correct = 0;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < k; c++) {
    const row = confusion[c] ?? [];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[c] ?? 0), 0);
    const tp = row[c] ?? 0;
    images += support;
    correct += tp;
    const precision = predicted > 0 ? tp / predicted : null;
    const recall = support > 0 ? tp / support : null;
    const f1 = precision === null || recall === null ? null : precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    perClass.push({ className: classNames[c]!, support, predicted, precision, recall, f1 });
  }
  return {
    images,
    correct,
    accuracy: images > 0 ? correct / images : null,
    balancedAccuracy: mean(perClass.filter((c) => c.recall !== null).map((c) => c.recall!)),
    macroF1: mean(perClass.filter((c) => c.f1 !== null).map((c) => c.f1!)),
    confusion,
    perClass,
  };
}

/** One row of the paper's Table 3: accuracy per (dataset, location, modality). */
export interface GroupAccuracy {
  dataset: string;
  location: string;
  /** True class of the rows (a dataset with CT and PT gives two rows). */
  modality: string;
  images: number;
  correct: number;
  accuracy: number;
  /** Most frequent wrong prediction, if any. */
  topConfusion: { className: string; images: number } | null;
  /** True when train holds no image of this class at this location (absent when train's pairs are unknown). */
  unseenInTrain?: boolean;
}

/** Accuracy per class × body location over all datasets of a split (recall of the class there). */
export interface PairAccuracy {
  modality: string;
  location: string;
  datasets: number;
  images: number;
  correct: number;
  accuracy: number;
  unseenInTrain?: boolean;
}

/** Groups summed per (modality, location); `trainPairs` ("CT chest") marks the pairs train lacks. */
export function pairAccuracy(groups: readonly GroupAccuracy[], trainPairs?: ReadonlySet<string>): PairAccuracy[] {
  const m = new Map<string, PairAccuracy>();
  for (const g of groups) {
    const key = `${g.modality} ${g.location}`;
    let p = m.get(key);
    if (!p) {
      p = { modality: g.modality, location: g.location, datasets: 0, images: 0, correct: 0, accuracy: 0 };
      if (trainPairs) p.unseenInTrain = !trainPairs.has(key);
      m.set(key, p);
    }
    p.datasets++;
    p.images += g.images;
    p.correct += g.correct;
  }
  for (const p of m.values()) p.accuracy = p.images > 0 ? p.correct / p.images : 0;
  return [...m.values()].sort((a, b) => a.modality.localeCompare(b.modality) || a.location.localeCompare(b.location));
}

export function groupAccuracy(
  labels: ArrayLike<number>,
  preds: ArrayLike<number>,
  datasets: readonly string[],
  classNames: string[],
  locationOf: (dataset: string) => string,
): GroupAccuracy[] {
  const groups = new Map<string, { dataset: string; label: number; n: number; ok: number; wrong: number[] }>();
  for (let i = 0; i < labels.length; i++) {
    const key = `${datasets[i]}\u0000${labels[i]}`;
    let g = groups.get(key);
    if (!g) {
      g = { dataset: datasets[i]!, label: labels[i]!, n: 0, ok: 0, wrong: new Array<number>(classNames.length).fill(0) };
      groups.set(key, g);
    }
    g.n++;
    if (preds[i] === labels[i]) g.ok++;
    else g.wrong[preds[i]!]!++;
  }
  return [...groups.values()]
    .map((g) => {
      const worst = g.wrong.reduce((best, n, c) => (n > (g.wrong[best] ?? 0) ? c : best), 0);
      return {
        dataset: g.dataset,
        location: locationOf(g.dataset),
        modality: classNames[g.label] ?? String(g.label),
        images: g.n,
        correct: g.ok,
        accuracy: g.ok / g.n,
        topConfusion: (g.wrong[worst] ?? 0) > 0 ? { className: classNames[worst]!, images: g.wrong[worst]! } : null,
      };
    })
    .sort((a, b) => a.modality.localeCompare(b.modality) || a.location.localeCompare(b.location) || a.dataset.localeCompare(b.dataset));
}
