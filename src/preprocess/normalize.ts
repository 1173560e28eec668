import { ConfigError, DataError } from '../core/errors.ts';
import { simdRange } from './simdRange.ts';

/**
 * Intensity normalisation kernels: which modality-value range [lo, hi] maps to [0, 1], then the
 * mapping itself (padding → 0, MONOCHROME1 inversion after normalisation). Pure functions on typed
 * arrays; padding pixels never take part in any statistic.
 */

export type NormalizeSpec =
  /** The paper: per-image min-max over non-padding pixels. */
  | { kind: 'minmax' }
  /** Robust per-image range: the given percentiles (0..100) of non-padding pixels. */
  | { kind: 'percentile'; lo: number; hi: number }
  /** Fixed windows per class or DICOM modality ([lo, hi] in modality units); min-max for others. */
  | { kind: 'window'; windows: Record<string, [number, number]> }
  /** The dissertation's first (failed) approach: the stored container's full range, through the modality LUT. */
  | { kind: 'dtype-range' };

export const NORMALIZE_HELP = 'minmax | percentile:0.5,99.5 | window:CT=-1000,1000[,MR=0,800] | dtype-range';

/** Parse `--normalize` text. */
export function parseNormalize(text: string): NormalizeSpec {
  const t = text.trim();
  const bad = (why: string) =>
    new ConfigError(`\`normalize\` "${text}": ${why}`, { hint: `expected one of: ${NORMALIZE_HELP}` });
  if (t === 'minmax') return { kind: 'minmax' };
  if (t === 'dtype-range') return { kind: 'dtype-range' };
  if (t === 'percentile' || t.startsWith('percentile:')) {
    const parts = t === 'percentile' ? ['0.5', '99.5'] : t.slice('percentile:'.length).split(',');
    const [lo, hi] = parts.map(Number);
    if (parts.length !== 2 || lo === undefined || hi === undefined || !Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw bad('percentile needs two numbers, e.g. percentile:0.5,99.5');
    }
    if (!(lo >= 0 && hi <= 100 && lo < hi)) throw bad('need 0 ≤ lo < hi ≤ 100');
    return { kind: 'percentile', lo, hi };
  }
  if (t.startsWith('window:')) {
    const windows: Record<string, [number, number]> = {};
    // Tokens alternate "KEY=lo", "hi": CT=-1000,1000,MR=0,800
    const tokens = t.slice('window:'.length).split(',');
    if (tokens.length === 0 || tokens.length % 2 !== 0) throw bad('windows are KEY=lo,hi pairs');
    for (let i = 0; i < tokens.length; i += 2) {
      const m = /^([A-Za-z0-9_]+)=(.+)$/.exec(tokens[i]!.trim());
      const lo = m ? Number(m[2]) : NaN;
      const hi = Number(tokens[i + 1]);
      if (!m || !Number.isFinite(lo) || !Number.isFinite(hi)) throw bad(`cannot read window "${tokens[i]},${tokens[i + 1]}"`);
      if (!(lo < hi)) throw bad(`window ${m[1]} needs lo < hi`);
      windows[m[1]!.toUpperCase()] = [lo, hi];
    }
    return { kind: 'window', windows };
  }
  throw bad('unknown method');
}

/** Canonical text of a spec (stable across spellings: feeds the config hash). */
export function formatNormalize(spec: NormalizeSpec): string {
  switch (spec.kind) {
    case 'minmax':
    case 'dtype-range':
      return spec.kind;
    case 'percentile':
      return `percentile:${spec.lo},${spec.hi}`;
    case 'window':
      return (
        'window:' +
        Object.keys(spec.windows)
          .sort()
          .map((k) => `${k}=${spec.windows[k]![0]},${spec.windows[k]![1]}`)
          .join(',')
      );
  }
}

/** What the range choice needs to know about the image besides its pixels. */
export interface RangeFacts {
  /** DICOM Modality of the file (window lookup, after the class label). */
  modality: string;
  /** Class label (window lookup first). */
  label?: string;
  /** Stored container for dtype-range. */
  bitsAllocated: number;
  pixelRepresentation: 0 | 1;
  slope: number;
  intercept: number;
}

export interface Range {
  lo: number;
  hi: number;
}

/** A constant (or all-padding) image: nothing to normalise, never staged. */
export function constantImageError(detail: string): DataError {
  return new DataError('CONSTANT_IMAGE', `constant image: ${detail}`);
}

/** Min and max over non-padding pixels (NaN, NaN when every pixel is padding). */
export function minMax(values: Float32Array, padding: Uint8Array | null): Range & { count: number } {
  let lo = Infinity;
  let hi = -Infinity;
  let count = 0;
  const n = values.length;
  if (!padding) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    count = n;
  } else {
    let pad = 0;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (padding[i] === 0) {
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
      } else pad++;
    }
    count = n - pad;
  }
  return count === 0 ? { lo: NaN, hi: NaN, count } : { lo, hi, count };
}

/** Min/max of stored integers: over non-padding pixels (lo, hi; Infinity/−Infinity when all are padding) and over all (allLo, allHi). */
export interface StoredRange {
  lo: number;
  hi: number;
  allLo: number;
  allHi: number;
}

/**
 * `minMax` on the stored integers of a 16-bit grey frame (padding: stored values in [padLo, padHi];
 * none when padLo > padHi). The modality map fround(s·slope + intercept) is monotonic, so the
 * range of the values is the map of this range (swapped for slope < 0), bit for bit.
 */
export function storedMinMax(s: Int16Array | Uint16Array, padLo: number, padHi: number): StoredRange {
  const fast = simdStoredMinMax(s, padLo, padHi);
  if (fast) return fast;
  const n = s.length;
  // Small-integer starting values keep the loop on int32 compares (±Infinity makes them doubles: 1.5× slower).
  let lo = 0x10000;
  let hi = -0x10001;
  if (padLo > padHi) {
    for (let i = 0; i < n; i++) {
      const v = s[i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return n === 0 ? { lo: Infinity, hi: -Infinity, allLo: Infinity, allHi: -Infinity } : { lo, hi, allLo: lo, allHi: hi };
  }
  // Padding bounds as int32 (stored values are 16-bit, so clamping them changes no comparison).
  const pl = Math.max(padLo, -0x10001);
  const ph = Math.min(padHi, 0x10000);
  // Usual case: padding is the bottom of the range (−2000, −3024, lossy ≤ limit). Assume every
  // value ≤ padHi is padding (one compare fewer per pixel), and check that none lies below padLo.
  let allLo = 0x10000;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    if (v > hi) hi = v;
    if (v < allLo) allLo = v;
    if (v > ph && v < lo) lo = v;
  }
  if (allLo >= pl) return lo > hi ? { lo: Infinity, hi: -Infinity, allLo, allHi: hi } : { lo, hi, allLo, allHi: hi };
  lo = 0x10000;
  hi = -0x10001;
  allLo = 0x10000;
  let allHi = -0x10001;
  for (let i = 0; i < n; i++) {
    const v = s[i]!;
    if (v < allLo) allLo = v;
    if (v > allHi) allHi = v;
    if (v < pl || v > ph) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo > hi ? { lo: Infinity, hi: -Infinity, allLo, allHi } : { lo, hi, allLo, allHi };
}

/**
 * `storedMinMax` in WebAssembly SIMD lanes (simdRange.ts): the no-padding case, and the usual one
 * where every value ≤ padHi is padding; null (take the scalar loops) where SIMD is missing or some
 * value lies below padLo.
 */
function simdStoredMinMax(s: Int16Array | Uint16Array, padLo: number, padHi: number): StoredRange | null {
  const r = simdRange(s, padLo > padHi ? -Infinity : padHi);
  if (!r) return null;
  const { allLo, allHi, aboveLo } = r;
  if (padLo > padHi) return { lo: allLo, hi: allHi, allLo, allHi };
  if (allLo < padLo) return null;
  return aboveLo === Infinity ? { lo: Infinity, hi: -Infinity, allLo, allHi } : { lo: aboveLo, hi: allHi, allLo, allHi };
}

const HIST_BINS = 4096;

/**
 * Percentiles (0..100, numpy's "linear" definition) of non-padding pixels by a histogram, not a
 * sort. Integer-valued data with a span ≤ 65,536 gets one bin per value, so the result is exact;
 * other data uses 4,096 bins over [min, max] and interpolates inside a bin.
 */
export function percentiles(
  values: Float32Array,
  padding: Uint8Array | null,
  ps: number[],
  known?: Range & { count: number },
): number[] {
  const mm = known ?? minMax(values, padding);
  if (mm.count === 0) return ps.map(() => NaN);
  if (mm.lo === mm.hi) return ps.map(() => mm.lo);
  const n = values.length;
  let integral = Number.isInteger(mm.lo) && mm.hi - mm.lo < 65536;
  if (integral) {
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (v !== Math.trunc(v) && !(padding && padding[i])) {
        integral = false;
        break;
      }
    }
  }
  const bins = integral ? mm.hi - mm.lo + 1 : HIST_BINS;
  const scale = integral ? 1 : (HIST_BINS - 1e-6) / (mm.hi - mm.lo);
  const hist = new Uint32Array(bins);
  for (let i = 0; i < n; i++) {
    if (padding && padding[i]) continue;
    hist[Math.floor((values[i]! - mm.lo) * scale)]!++;
  }
  const width = integral ? 1 : (mm.hi - mm.lo) / HIST_BINS;
  // Value of the k-th smallest pixel (0-based).
  const order = (k: number): number => {
    let cum = 0;
    for (let b = 0; b < bins; b++) {
      const c = hist[b]!;
      if (cum + c > k) {
        if (integral) return mm.lo + b;
        // Spread the c values of this bin evenly across it.
        return Math.min(mm.hi, mm.lo + (b + (k - cum + 0.5) / c) * width);
      }
      cum += c;
    }
    return mm.hi;
  };
  return ps.map((p) => {
    const r = (p / 100) * (mm.count - 1);
    const k = Math.floor(r);
    const a = order(k);
    const f = r - k;
    return f === 0 ? a : a + f * (order(Math.min(k + 1, mm.count - 1)) - a);
  });
}

/** The stored container's range through the modality LUT (slope may be negative). */
export function dtypeRange(facts: RangeFacts): Range {
  const bits = facts.bitsAllocated;
  const smin = facts.pixelRepresentation === 1 ? -(2 ** (bits - 1)) : 0;
  const smax = facts.pixelRepresentation === 1 ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const a = smin * facts.slope + facts.intercept;
  const b = smax * facts.slope + facts.intercept;
  return { lo: Math.min(a, b), hi: Math.max(a, b) };
}

/**
 * The modality-value range that maps to [0, 1] for this image. Throws CONSTANT_IMAGE when the
 * non-padding pixels are all equal (or there are none), whatever the method: such a slice carries no
 * image and would become a black (or, inverted, white) square.
 */
export function normalizationRange(
  values: Float32Array,
  padding: Uint8Array | null,
  spec: NormalizeSpec,
  facts: RangeFacts,
): Range {
  const mm = minMax(values, padding);
  if (mm.count === 0) throw constantImageError('every pixel is padding');
  if (mm.lo === mm.hi) throw constantImageError(`every non-padding pixel is ${mm.lo}`);
  switch (spec.kind) {
    case 'minmax':
      return { lo: mm.lo, hi: mm.hi };
    case 'percentile': {
      const [lo, hi] = percentiles(values, padding, [spec.lo, spec.hi], mm) as [number, number];
      // A percentile range can collapse on a mostly-uniform image; fall back to the full range.
      return hi > lo ? { lo, hi } : { lo: mm.lo, hi: mm.hi };
    }
    case 'window': {
      const w =
        (facts.label !== undefined ? spec.windows[facts.label.toUpperCase()] : undefined) ??
        spec.windows[facts.modality.toUpperCase()];
      return w ? { lo: w[0], hi: w[1] } : { lo: mm.lo, hi: mm.hi };
    }
    case 'dtype-range':
      return dtypeRange(facts);
  }
}

/** u = a·v + b maps [lo, hi] to [0, 1] (or [1, 0] inverted): the inversion folded into a and b. */
export function unitAffine(range: Range, invert: boolean): { a: number; b: number } {
  const scale = 1 / (range.hi - range.lo);
  return invert ? { a: -scale, b: 1 + range.lo * scale } : { a: scale, b: -range.lo * scale };
}

/**
 * Map modality values to [0, 1] floats: clamp((v − lo) / (hi − lo)), then invert (MONOCHROME1,
 * after normalisation) on non-padding pixels; padding becomes 0 (black) in either case. `out` may be
 * `values` itself (in place).
 */
export function toUnit(
  values: Float32Array,
  padding: Uint8Array | null,
  range: Range,
  invert: boolean,
  out: Float32Array = new Float32Array(values.length),
): Float32Array {
  const { a, b } = unitAffine(range, invert);
  const n = values.length;
  if (padding) {
    for (let i = 0; i < n; i++) {
      const u = values[i]! * a + b;
      out[i] = padding[i] ? 0 : u < 0 ? 0 : u > 1 ? 1 : u;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const u = values[i]! * a + b;
      out[i] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
  }
  return out;
}

/** [0, 1] floats → uint8 0..255 (round half up). */
export function quantize(unit: Float32Array, out: Uint8Array = new Uint8Array(unit.length)): Uint8Array {
  const n = unit.length;
  for (let i = 0; i < n; i++) {
    const v = unit[i]! * 255 + 0.5;
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : v;
  }
  return out;
}
