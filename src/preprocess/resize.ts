import { ConfigError } from '../core/errors.ts';
import { simdResizeQuantize, simdVerticalPass, type StoredMap, type VerticalTaps } from './simdResize.ts';

/**
 * Exact area-average resize (box filter: every output pixel is the mean of the source area it
 * covers, fractional edges weighted) on Float32, separable (rows, then columns), plus the
 * aspect-ratio policies. No ringing or overshoot, unlike lanczos; no aliasing, unlike bilinear.
 */

export const FITS = ['stretch', 'pad', 'crop'] as const;
export type Fit = (typeof FITS)[number];

export function parseFit(text: string): Fit {
  if ((FITS as readonly string[]).includes(text)) return text as Fit;
  throw new ConfigError(`\`fit\` must be one of ${FITS.join(', ')} (got "${text}")`, {
    hint: 'stretch = the paper (aspect ratio not kept); pad = letterbox in black; crop = centre square',
  });
}

/** Where the source rectangle lands in the size×size output. All integers. */
export interface FitGeometry {
  /** Source rectangle (crop). */
  srcX: number;
  srcY: number;
  srcW: number;
  srcH: number;
  /** Destination rectangle (pad: centred, the rest stays 0 = black). */
  dstX: number;
  dstY: number;
  dstW: number;
  dstH: number;
}

export function fitGeometry(rows: number, cols: number, size: number, fit: Fit): FitGeometry {
  const full = { srcX: 0, srcY: 0, srcW: cols, srcH: rows, dstX: 0, dstY: 0, dstW: size, dstH: size };
  if (fit === 'stretch' || rows === cols) return full;
  if (fit === 'pad') {
    const scale = size / Math.max(rows, cols);
    const dstW = Math.max(1, Math.round(cols * scale));
    const dstH = Math.max(1, Math.round(rows * scale));
    return { ...full, dstX: (size - dstW) >> 1, dstY: (size - dstH) >> 1, dstW, dstH };
  }
  const side = Math.min(rows, cols);
  return { ...full, srcX: (cols - side) >> 1, srcY: (rows - side) >> 1, srcW: side, srcH: side };
}

/** Per output index along one axis: first source index, tap count, and weights (summing to 1). */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** taps × out, tap-major per output: weights[j * taps + t]. */
  weights: Float32Array;
  taps: number;
}

const axisCache = new Map<string, AxisWeights>();

/** `fixed`: every output reads exactly `taps` inputs (for the unrolled horizontal loop). */
function axisWeights(src: number, dst: number, fixed: boolean): AxisWeights {
  const key = `${src}>${dst}${fixed ? 'f' : ''}`;
  const hit = axisCache.get(key);
  if (hit) return hit;
  const ratio = src / dst;
  const taps = Math.ceil(ratio) + 1;
  const start = new Int32Array(dst);
  const count = new Int32Array(dst);
  const weights = new Float32Array(dst * taps);
  for (let j = 0; j < dst; j++) {
    const a = j * ratio;
    const b = Math.min(src, (j + 1) * ratio);
    const e = Math.min(src, Math.ceil(b));
    // Fixed: zero weights pad the window to `taps` inputs (shifted left near the end).
    const pad = fixed && src >= taps;
    const s = pad ? Math.min(Math.floor(a), src - taps) : Math.floor(a);
    start[j] = s;
    count[j] = pad ? taps : e - s;
    let sum = 0;
    for (let k = Math.floor(a); k < e; k++) {
      const w = Math.min(k + 1, b) - Math.max(k, a);
      weights[j * taps + (k - s)] = w;
      sum += w;
    }
    for (let t = 0; t < taps; t++) weights[j * taps + t]! /= sum;
  }
  const w = { start, count, weights, taps };
  if (axisCache.size > 256) axisCache.clear();
  axisCache.set(key, w);
  return w;
}

/**
 * Optional per-pixel map applied while reading source rows: u = clamp(a·v + b, 0, 1), padding → 0.
 * Fusing normalisation into the resize saves a full-size pass and buffer.
 */
export interface UnitMap {
  a: number;
  b: number;
  padding: Uint8Array | null;
}

/** Intermediate rows and one mapped source row (reused: one resize at a time per thread). */
let scratch = new Float32Array(0);
let rowBuf = new Float32Array(0);

interface Plan {
  g: FitGeometry;
  wx: AxisWeights;
  wy: AxisWeights;
  out: Float32Array;
  /** dstH × srcW intermediate rows. */
  tmp: Float32Array;
}

function plan(rows: number, cols: number, size: number, fit: Fit, into: Float32Array | undefined): Plan {
  const g = fitGeometry(rows, cols, size, fit);
  let out: Float32Array;
  if (into && into.length === size * size) {
    out = into;
    if (g.dstW !== size || g.dstH !== size) out.fill(0);
  } else out = new Float32Array(size * size);
  if (scratch.length < g.dstH * g.srcW) scratch = new Float32Array(g.dstH * g.srcW);
  return { g, wx: axisWeights(g.srcW, g.dstW, true), wy: axisWeights(g.srcH, g.dstH, false), out, tmp: scratch };
}

/**
 * Area-average resize of a rows×cols Float32 image into a size×size Float32 image with the given
 * fit policy (pad leaves the border at 0). Vertical pass first: it runs over whole contiguous rows
 * (the bulk of the work, and the fast loop); the horizontal pass then works on dstH short rows.
 * With `map`, each source row is mapped once (into a row buffer) before it is accumulated; `into`
 * (size×size) receives the result instead of a new array.
 */
export function resizeArea(
  src: Float32Array,
  rows: number,
  cols: number,
  size: number,
  fit: Fit,
  map?: UnitMap,
  into?: Float32Array,
): Float32Array {
  const p = plan(rows, cols, size, fit, into);
  const { g, wy, tmp } = p;
  const w = g.srcW;
  if (rowBuf.length < w) rowBuf = new Float32Array(w);
  const buf = rowBuf;
  let mapped = -1;
  // Vertical pass: dstH rows of srcW, each a weighted sum of a few source rows.
  if (!map && wy.taps <= 5) {
    // Unmapped: sum 2–5 source rows per element in one loop (one store per element).
    for (let i = 0; i < g.dstH; i++) sumRows(src, tmp, i * w, w, verticalTaps(p, i, cols));
  } else for (let i = 0; i < g.dstH; i++) {
    const tOff = i * w;
    const s = wy.start[i]!;
    const n = wy.count[i]!;
    for (let t = 0; t < n; t++) {
      const wt = wy.weights[i * wy.taps + t]!;
      const y = g.srcY + s + t;
      let from: Float32Array = src;
      let off = y * cols + g.srcX;
      if (map) {
        if (mapped !== y) {
          mapRow(src, off, w, map, buf);
          mapped = y;
        }
        from = buf;
        off = 0;
      }
      if (t === 0) for (let x = 0; x < w; x++) tmp[tOff + x] = from[off + x]! * wt;
      else for (let x = 0; x < w; x++) tmp[tOff + x]! += from[off + x]! * wt;
    }
  }
  horizontalPass(p, size);
  return p.out;
}

/**
 * `resizeArea` (unmapped) of the image whose pixel k is lut[src[k]]: the source stays 16-bit
 * integers (signed data: their raw bits, via a Uint16Array view) and each is looked up as it is
 * read (the 65,536-entry LUT holds the float value of every stored value present, padding
 * included). The same float operations in the same order as `resizeArea` on the looked-up Float32
 * image, so the result is bit-identical, without a full-size Float32 image.
 */
export function resizeAreaLut(
  src: Uint16Array,
  lut: Float32Array,
  rows: number,
  cols: number,
  size: number,
  fit: Fit,
  into?: Float32Array,
): Float32Array {
  const p = plan(rows, cols, size, fit, into);
  const { g, wy, tmp } = p;
  const w = g.srcW;
  if (wy.taps <= 5) {
    for (let i = 0; i < g.dstH; i++) sumRowsLut(src, lut, tmp, i * w, w, verticalTaps(p, i, cols));
  } else for (let i = 0; i < g.dstH; i++) {
    const tOff = i * w;
    const s = wy.start[i]!;
    const n = wy.count[i]!;
    for (let t = 0; t < n; t++) {
      const wt = wy.weights[i * wy.taps + t]!;
      const off = (g.srcY + s + t) * cols + g.srcX;
      if (t === 0) for (let x = 0; x < w; x++) tmp[tOff + x] = lut[src[off + x]!]! * wt;
      else for (let x = 0; x < w; x++) tmp[tOff + x]! += lut[src[off + x]!]! * wt;
    }
  }
  horizontalPass(p, size);
  return p.out;
}

/**
 * `resizeAreaLut` of 16-bit stored integers whose map `m` passes `integerMap` (simdResize.ts), the
 * vertical pass in WebAssembly SIMD lanes: bit-identical, with no LUT. Null (take `resizeAreaLut`)
 * where the kernel is missing or a vertical window spans more than 5 source rows.
 */
export function resizeAreaStored(
  src: Int16Array | Uint16Array,
  m: StoredMap,
  rows: number,
  cols: number,
  size: number,
  fit: Fit,
  into?: Float32Array,
): Float32Array | null {
  const p = plan(rows, cols, size, fit, into);
  if (p.wy.taps > 5) return null;
  const tmp = simdVerticalPass(src, m, p.g.srcW, p.g.dstH, verticalTapsOf(p, cols));
  if (!tmp) return null;
  horizontalPass({ ...p, tmp }, size);
  return p.out;
}

/**
 * `resizeAreaStored` and then u = clamp(r·a + b, 0, 1) quantised (toImage.ts `mapQuantize`), all
 * in WebAssembly SIMD: the same bytes. Null (take the float path) unless the output fills the
 * square (stretch, crop), the vertical window spans ≤ 5 rows and every output column reads 4
 * (the usual 2–3× downscale, 512 → 224), or without the kernel.
 */
export function resizeQuantizeStored(
  src: Int16Array | Uint16Array,
  m: StoredMap,
  unit: { a: number; b: number },
  rows: number,
  cols: number,
  size: number,
  fit: Fit,
): Uint8Array | null {
  const g = fitGeometry(rows, cols, size, fit);
  if (g.dstW !== size || g.dstH !== size) return null;
  const wx = axisWeights(g.srcW, g.dstW, true);
  const wy = axisWeights(g.srcH, g.dstH, false);
  if (wy.taps > 5 || wx.taps !== 4 || wx.count[0] !== 4) return null;
  return simdResizeQuantize(src, m, unit, g.srcW, g.dstW, g.dstH, verticalTapsOf({ g, wy }, cols), { start: wx.start, weights: wx.weights });
}

function verticalTapsOf(p: Pick<Plan, 'g' | 'wy'>, cols: number): VerticalTaps {
  return { taps: (i) => verticalTaps(p, i, cols), offs: tapOff, weights: tapW };
}

/** Source offsets and weights of one output row's vertical taps (at most 5; unused weights 0). */
const tapOff = new Int32Array(5);
const tapW = new Float32Array(5);

/** Fills tapOff/tapW for intermediate row i (taps ≤ 5); returns its tap count. */
function verticalTaps(p: Pick<Plan, 'g' | 'wy'>, i: number, cols: number): number {
  const { g, wy } = p;
  const n = wy.count[i]!;
  const wo = i * wy.taps;
  const o0 = (g.srcY + wy.start[i]!) * cols + g.srcX;
  for (let t = 0; t < 5; t++) {
    tapOff[t] = o0 + t * cols;
    tapW[t] = t < n ? wy.weights[wo + t]! : 0;
  }
  return n;
}

/** One intermediate row: the weighted sum of its n source rows (tapOff/tapW), one store per element. */
function sumRows(src: Float32Array, tmp: Float32Array, tOff: number, w: number, n: number): void {
  const o0 = tapOff[0]!, o1 = tapOff[1]!, o2 = tapOff[2]!, o3 = tapOff[3]!, o4 = tapOff[4]!;
  const w0 = tapW[0]!, w1 = tapW[1]!, w2 = tapW[2]!, w3 = tapW[3]!, w4 = tapW[4]!;
  if (n === 1) for (let x = 0; x < w; x++) tmp[tOff + x] = src[o0 + x]! * w0;
  else if (n === 2) for (let x = 0; x < w; x++) tmp[tOff + x] = src[o0 + x]! * w0 + src[o1 + x]! * w1;
  else if (n === 3) for (let x = 0; x < w; x++) tmp[tOff + x] = src[o0 + x]! * w0 + src[o1 + x]! * w1 + src[o2 + x]! * w2;
  else if (n === 4) {
    for (let x = 0; x < w; x++) tmp[tOff + x] = src[o0 + x]! * w0 + src[o1 + x]! * w1 + src[o2 + x]! * w2 + src[o3 + x]! * w3;
  } else {
    for (let x = 0; x < w; x++) {
      tmp[tOff + x] = src[o0 + x]! * w0 + src[o1 + x]! * w1 + src[o2 + x]! * w2 + src[o3 + x]! * w3 + src[o4 + x]! * w4;
    }
  }
}

/** `sumRows` of the image whose pixel k is lut[src[k]] (see resizeAreaLut). */
function sumRowsLut(src: Uint16Array, lut: Float32Array, tmp: Float32Array, tOff: number, w: number, n: number): void {
  const o0 = tapOff[0]!, o1 = tapOff[1]!, o2 = tapOff[2]!, o3 = tapOff[3]!, o4 = tapOff[4]!;
  const w0 = tapW[0]!, w1 = tapW[1]!, w2 = tapW[2]!, w3 = tapW[3]!, w4 = tapW[4]!;
  if (n === 1) for (let x = 0; x < w; x++) tmp[tOff + x] = lut[src[o0 + x]!]! * w0;
  else if (n === 2) for (let x = 0; x < w; x++) tmp[tOff + x] = lut[src[o0 + x]!]! * w0 + lut[src[o1 + x]!]! * w1;
  else if (n === 3) {
    for (let x = 0; x < w; x++) {
      tmp[tOff + x] = lut[src[o0 + x]!]! * w0 + lut[src[o1 + x]!]! * w1 + lut[src[o2 + x]!]! * w2;
    }
  } else if (n === 4) {
    for (let x = 0; x < w; x++) {
      tmp[tOff + x] =
        lut[src[o0 + x]!]! * w0 + lut[src[o1 + x]!]! * w1 + lut[src[o2 + x]!]! * w2 + lut[src[o3 + x]!]! * w3;
    }
  } else {
    for (let x = 0; x < w; x++) {
      tmp[tOff + x] =
        lut[src[o0 + x]!]! * w0 +
        lut[src[o1 + x]!]! * w1 +
        lut[src[o2 + x]!]! * w2 +
        lut[src[o3 + x]!]! * w3 +
        lut[src[o4 + x]!]! * w4;
    }
  }
}

/** Horizontal pass over the dstH intermediate rows into the output. */
function horizontalPass(p: Plan, size: number): void {
  const { g, wx, tmp, out } = p;
  const w = g.srcW;
  const taps = wx.taps;
  const xs = wx.start;
  const xw = wx.weights;
  const xn = wx.count;
  for (let i = 0; i < g.dstH; i++) {
    const tOff = i * w;
    const oOff = (g.dstY + i) * size + g.dstX;
    if (taps === 4 && xn[0] === 4) {
      // The common downscale (ratio 2–3, e.g. 512 → 224): unrolled, two rows per weight load.
      if (i + 1 < g.dstH) {
        const tOff2 = tOff + w;
        const oOff2 = oOff + size;
        for (let j = 0, wOff = 0; j < g.dstW; j++, wOff += 4) {
          const x = xs[j]!;
          const w0 = xw[wOff]!;
          const w1 = xw[wOff + 1]!;
          const w2 = xw[wOff + 2]!;
          const w3 = xw[wOff + 3]!;
          const s = tOff + x;
          const s2 = tOff2 + x;
          out[oOff + j] = tmp[s]! * w0 + tmp[s + 1]! * w1 + tmp[s + 2]! * w2 + tmp[s + 3]! * w3;
          out[oOff2 + j] = tmp[s2]! * w0 + tmp[s2 + 1]! * w1 + tmp[s2 + 2]! * w2 + tmp[s2 + 3]! * w3;
        }
        i++;
        continue;
      }
      for (let j = 0, wOff = 0; j < g.dstW; j++, wOff += 4) {
        const s = tOff + xs[j]!;
        out[oOff + j] = tmp[s]! * xw[wOff]! + tmp[s + 1]! * xw[wOff + 1]! + tmp[s + 2]! * xw[wOff + 2]! + tmp[s + 3]! * xw[wOff + 3]!;
      }
      continue;
    }
    for (let j = 0; j < g.dstW; j++) {
      const s = tOff + xs[j]!;
      const n = xn[j]!;
      const wOff = j * taps;
      let acc = 0;
      for (let t = 0; t < n; t++) acc += tmp[s + t]! * xw[wOff + t]!;
      out[oOff + j] = acc;
    }
  }
}

function mapRow(src: Float32Array, off: number, w: number, map: UnitMap, out: Float32Array): void {
  const { a, b, padding } = map;
  if (padding) {
    for (let x = 0; x < w; x++) {
      const u = src[off + x]! * a + b;
      out[x] = padding[off + x] ? 0 : u < 0 ? 0 : u > 1 ? 1 : u;
    }
  } else {
    for (let x = 0; x < w; x++) {
      const u = src[off + x]! * a + b;
      out[x] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
  }
}
