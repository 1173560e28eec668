import { decode as decodePng } from 'fast-png';
import { isMainThread } from 'node:worker_threads';
import type { OutputInfo, Sharp, SharpOptions } from 'sharp';
import { DataError, messageOf } from '../core/errors.ts';

/**
 * PNG/JPEG (CheXpert, MURA, RSNA bone age, NIH ChestX-ray14…) → grey values for the same
 * normalise/resize chain as DICOM. 8-bit files: sharp decodes to 8-bit luma (fast, native).
 * 16-bit PNGs: fast-png, because sharp's conversions to one grey band divide 16-bit data by 256
 * (shared/docs/dicom.md §5): the exact stored values are read and any colour → luma is done here.
 */

type SharpFn = (input: Uint8Array, options?: SharpOptions) => Sharp;
let sharpFn: SharpFn | undefined;

/**
 * sharp (libvips) loads on the first 8-bit PNG/JPEG: a DICOM-only run (every `etl preprocess` of
 * TCIA data) never pays its start-up in the main thread or in any worker. In a pool worker libvips
 * gets one thread, since the pool already keeps every core busy.
 */
export async function loadSharp(): Promise<SharpFn> {
  if (!sharpFn) {
    const sharp = (await import('sharp')).default;
    sharp.cache(false);
    if (!isMainThread) sharp.concurrency(1);
    sharpFn = sharp;
  }
  return sharpFn;
}

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

export interface GreyImage {
  values: Float32Array;
  rows: number;
  cols: number;
  /** Bits per sample of the file (8 or 16): the range of `--normalize dtype-range`. */
  bits: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** PNG with 16 bits per sample (IHDR bit depth, byte 24). */
export function isPng16(bytes: Uint8Array): boolean {
  return bytes.length > 24 && PNG_SIGNATURE.every((b, i) => bytes[i] === b) && bytes[24] === 16;
}

/** 16-bit PNG (grey, grey+alpha, RGB, RGBA) → exact grey values (Rec. 601 luma for colour, alpha dropped). */
export function decodePng16(bytes: Uint8Array): GreyImage {
  let png;
  try {
    png = decodePng(bytes);
  } catch (err) {
    throw new DataError('IMAGE_UNREADABLE', `not a readable PNG: ${messageOf(err)}`);
  }
  const { width, height, channels, data } = png;
  const n = width * height;
  if (data.length < n * channels) throw new DataError('IMAGE_UNREADABLE', `PNG data holds ${data.length} samples, ${width}×${height}×${channels} expected`);
  const values = new Float32Array(n);
  if (channels >= 3) {
    for (let i = 0; i < n; i++) values[i] = 0.299 * data[i * channels]! + 0.587 * data[i * channels + 1]! + 0.114 * data[i * channels + 2]!;
  } else {
    for (let i = 0; i < n; i++) values[i] = data[i * channels]!;
  }
  return { values, rows: height, cols: width, bits: 16 };
}

export async function decodeImageFile(bytes: Uint8Array): Promise<GreyImage> {
  if (isPng16(bytes)) return decodePng16(bytes);
  let out: { data: Buffer; info: OutputInfo };
  try {
    const sharp = await loadSharp();
    out = await sharp(bytes).removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError('IMAGE_UNREADABLE', `not a readable PNG/JPEG: ${messageOf(err)}`);
  }
  const { width, height, channels } = out.info;
  const n = width * height;
  const values = new Float32Array(n);
  const d = out.data;
  // Colour → Rec. 601 luma on the stored values, the weights colour DICOM gets (decode/colour.ts);
  // sharp's own 'b-w' uses linear-light luminance, which darkens saturated colours differently.
  if (channels >= 3) for (let i = 0; i < n; i++) values[i] = 0.299 * d[i * channels]! + 0.587 * d[i * channels + 1]! + 0.114 * d[i * channels + 2]!;
  else for (let i = 0; i < n; i++) values[i] = d[i * channels]!;
  return { values, rows: height, cols: width, bits: 8 };
}
