import type { StoredGreyFrame } from './decode/types.ts';
import { valuesFromStored } from './decode/pixelSemantics.ts';
import {
  constantImageError,
  dtypeRange,
  normalizationRange,
  quantize,
  storedMinMax,
  toUnit,
  unitAffine,
  type NormalizeSpec,
  type RangeFacts,
} from './normalize.ts';
import { resizeArea, resizeAreaLut, resizeAreaStored, resizeQuantizeStored, type Fit } from './resize.ts';
import { integerMap, unitByte, type StoredMap } from './simdResize.ts';
import { sha256Hex } from '../core/hash.ts';

/**
 * One decoded frame (modality values + padding mask) → one size×size uint8 image:
 * range over non-padding pixels → [0, 1] with padding black and MONOCHROME1 inverted → exact area
 * average on floats → quantise once. Resizing the float image (not 8-bit data) keeps the most detail.
 * `storedFrameToImage` gives the same image, bit for bit, from a frame left as 16-bit stored
 * integers (the preprocess worker's path: about twice as fast, no full-size float image).
 */

export interface ImageConfig {
  size: number;
  fit: Fit;
  normalize: NormalizeSpec;
}

export interface FrameFacts extends RangeFacts {
  rows: number;
  cols: number;
  /** MONOCHROME1 or PresentationLUTShape INVERSE: invert once, after normalisation. */
  invert: boolean;
}

export interface ImageResult {
  image: Uint8Array;
  normLo: number;
  normHi: number;
  pixelHash: string;
}

/** SHA-256 of the output pixels, first 16 hex characters (duplicate detection across splits). */
export function pixelHash(image: Uint8Array): string {
  return sha256Hex(image).slice(0, 16);
}

/** Whether the displayed image is the inverse of the values (dicom.md §3.9: apply once). */
export function needsInversion(photometric: string, presentationLutShape: string | null): boolean {
  return photometric.trim().toUpperCase() === 'MONOCHROME1' || (presentationLutShape ?? '').trim().toUpperCase() === 'INVERSE';
}

/** The float resize output, quantised into a fresh array right away (one frame at a time per thread). */
let resizedScratch = new Float32Array(0);

/**
 * Normalise and resize one frame. Throws CONSTANT_IMAGE (DataError) for constant images.
 * `values` may be overwritten (padding pixels): callers pass decoded frames they own.
 *
 * When the range holds every non-padding value (minmax, dtype-range) nothing is clamped, so the
 * affine map commutes with the (linear) area average: padding is set to the value that maps to
 * black, the raw values are resized, and the 224² result is mapped — 5× fewer pixels to map.
 * Otherwise (percentile, window) each source pixel is clamped before averaging, so an outlier
 * cannot bleed into its neighbours: the map is fused into the resize's row reads.
 */
export function frameToImage(values: Float32Array, padding: Uint8Array | null, facts: FrameFacts, config: ImageConfig): ImageResult {
  const range = normalizationRange(values, padding, config.normalize, facts);
  const n = config.size * config.size;
  if (resizedScratch.length !== n) resizedScratch = new Float32Array(n);
  const { a, b } = unitAffine(range, facts.invert);
  const clampFree = (config.normalize.kind === 'minmax' || config.normalize.kind === 'dtype-range') && config.fit !== 'pad';
  if (clampFree) {
    if (padding) {
      const black = facts.invert ? range.hi : range.lo;
      for (let i = 0; i < values.length; i++) if (padding[i] !== 0) values[i] = black;
    }
    const image = mapQuantize(resizeArea(values, facts.rows, facts.cols, config.size, config.fit, undefined, resizedScratch), a, b);
    return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
  }
  const resized = resizeArea(values, facts.rows, facts.cols, config.size, config.fit, { a, b, padding }, resizedScratch);
  const image = quantize(resized);
  return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
}

/** Every resized value through `unitByte` (map to [0, 1], quantise): one pass. */
export function mapQuantize(resized: Float32Array, a: number, b: number): Uint8Array {
  const n = resized.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = unitByte(resized[i]!, a, b);
  return out;
}

/** Raw 16 bits of a stored value → its float value (padding → black), for `resizeAreaLut`. */
const lutScratch = new Float32Array(0x10000);

/** Fills `lutScratch` for the stored values in [lo, hi]; answers the frame's raw 16 bits (its LUT indices). */
function lutOf(stored: Int16Array | Uint16Array, m: StoredMap, lo: number, hi: number): Uint16Array {
  const { slope, intercept, padLo, padHi, black } = m;
  for (let s = lo; s <= hi; s++) lutScratch[s & 0xffff] = s >= padLo && s <= padHi ? black : s * slope + intercept;
  return stored instanceof Uint16Array ? stored : new Uint16Array(stored.buffer, stored.byteOffset, stored.length);
}

/**
 * `frameToImage` for a frame in stored form (decodeDicomStored): the same image, hash and range,
 * bit for bit. Min-max (and dtype-range) with stretch/crop run on the 16-bit integers: the range
 * comes from the stored range through the (monotonic) modality map, and the resize reads each
 * stored value through a LUT of float values with padding set to black, so no full-size float image
 * or padding mask is ever built. Other methods and fits take `frameToImage` on the values.
 */
export function storedFrameToImage(frame: StoredGreyFrame, facts: FrameFacts, config: ImageConfig): ImageResult {
  const kind = config.normalize.kind;
  const { stored, slope, intercept, padLo, padHi } = frame;
  if (!((kind === 'minmax' || kind === 'dtype-range') && config.fit !== 'pad')) {
    const { values, padding } = valuesFromStored(stored, slope, intercept, padLo, padHi);
    return frameToImage(values, padding, facts, config);
  }
  const r = storedMinMax(stored, padLo, padHi);
  if (r.lo === Infinity) throw constantImageError('every pixel is padding');
  const v1 = Math.fround(r.lo * slope + intercept);
  const v2 = Math.fround(r.hi * slope + intercept);
  const lo = slope < 0 ? v2 : v1;
  const hi = slope < 0 ? v1 : v2;
  if (lo === hi) throw constantImageError(`every non-padding pixel is ${lo}`);
  const range = kind === 'minmax' ? { lo, hi } : dtypeRange(facts);
  const { a, b } = unitAffine(range, facts.invert);
  const black = facts.invert ? range.hi : range.lo;
  const n = config.size * config.size;
  if (resizedScratch.length !== n) resizedScratch = new Float32Array(n);
  const map = { slope, intercept, padLo, padHi, black };
  const { rows, cols } = facts;
  const { size, fit } = config;
  // Integer maps (most CT and MR) in WebAssembly SIMD, else the LUT: the same bytes either way.
  const integer = integerMap(map, r.allLo, r.allHi);
  const image =
    (integer ? resizeQuantizeStored(stored, map, { a, b }, rows, cols, size, fit) : null) ??
    mapQuantize(
      (integer ? resizeAreaStored(stored, map, rows, cols, size, fit, resizedScratch) : null) ??
        resizeAreaLut(lutOf(stored, map, r.allLo, r.allHi), lutScratch, rows, cols, size, fit, resizedScratch),
      a,
      b,
    );
  return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
}

/** Normalise at the native size (previews): uint8 rows×cols. */
export function frameToPreview(values: Float32Array, padding: Uint8Array | null, facts: FrameFacts, normalize: NormalizeSpec): ImageResult {
  const range = normalizationRange(values, padding, normalize, facts);
  const image = quantize(toUnit(values, padding, range, facts.invert));
  return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
}
