import crypto from 'node:crypto';
import { normalizationRange, quantize, toUnit, unitAffine, type NormalizeSpec, type RangeFacts } from './normalize.ts';
import { resizeArea, type Fit } from './resize.ts';

/**
 * One decoded frame (modality values + padding mask) → one size×size uint8 image:
 * range over non-padding pixels → [0, 1] with padding black and MONOCHROME1 inverted → exact area
 * average on floats → quantise once. Resizing the float image (not 8-bit data) keeps the most detail.
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
  return crypto.createHash('sha256').update(image).digest('hex').slice(0, 16);
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
  let resized: Float32Array;
  if (clampFree) {
    if (padding) {
      const black = facts.invert ? range.hi : range.lo;
      for (let i = 0; i < values.length; i++) if (padding[i] !== 0) values[i] = black;
    }
    resized = resizeArea(values, facts.rows, facts.cols, config.size, config.fit, undefined, resizedScratch);
    for (let i = 0; i < n; i++) {
      const u = resized[i]! * a + b;
      resized[i] = u < 0 ? 0 : u > 1 ? 1 : u;
    }
  } else {
    resized = resizeArea(values, facts.rows, facts.cols, config.size, config.fit, { a, b, padding }, resizedScratch);
  }
  const image = quantize(resized);
  return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
}

/** Normalise at the native size (previews): uint8 rows×cols. */
export function frameToPreview(values: Float32Array, padding: Uint8Array | null, facts: FrameFacts, normalize: NormalizeSpec): ImageResult {
  const range = normalizationRange(values, padding, normalize, facts);
  const image = quantize(toUnit(values, padding, range, facts.invert));
  return { image, normLo: range.lo, normHi: range.hi, pixelHash: pixelHash(image) };
}
