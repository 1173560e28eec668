import { MR_SCANNERS, renderMr, type MrContrast, type MrLocation } from '../synth/phantoms/mr.ts';
import { renderXr, type XrLocation } from '../synth/phantoms/xr.ts';
import { seedOf } from '../synth/random.ts';

/**
 * Pixel content for the external layouts, from the synthetic world's phantoms: radiographs for the
 * X-ray datasets, MR slices for MRNet and BraTS, so a model trained on the miniature world sees the
 * same kinds of images it sees from TCIA.
 */

/** A radiograph as 16-bit values (12 bits used) and as 8 bits (what JPEG/8-bit PNG datasets ship). */
export function radiograph(location: XrLocation, size: number, ...seed: Array<string | number>): { u16: Uint16Array; u8: Uint8Array } {
  const s = seedOf('external-xr', ...seed);
  const u16 = renderXr({ location, rows: size, cols: size, bitsStored: 12, photometric: 'MONOCHROME2' }, s, s ^ 0x51);
  const u8 = new Uint8Array(u16.length);
  for (let i = 0; i < u16.length; i++) u8[i] = Math.min(255, u16[i]! >> 4);
  return { u16, u8 };
}

/** Grey → RGB with a slight tint (colour JPEG exports of grey radiographs). */
export function tinted(grey: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) {
    rgb[3 * i] = grey[i]!;
    rgb[3 * i + 1] = Math.round(grey[i]! * 0.95);
    rgb[3 * i + 2] = Math.round(grey[i]! * 0.9);
  }
  return rgb;
}

/**
 * An MR volume: `slices` slices of size×size, slice-major (each slice row-major), raw scanner
 * values. `empty` slices of zeros at each end (skull-stripped BraTS volumes have them).
 */
export function mrVolume(
  location: MrLocation,
  contrast: MrContrast,
  size: number,
  slices: number,
  empty: number,
  ...seed: Array<string | number>
): Float32Array {
  const s = seedOf('external-mr', ...seed);
  const scanner = MR_SCANNERS[s % MR_SCANNERS.length]!;
  const out = new Float32Array(size * size * (slices + 2 * empty));
  for (let z = 0; z < slices; z++) {
    const { pixels, slope } = renderMr({ location, contrast, rows: size, cols: size, scanner }, s, (z + 0.5) / slices, s ^ (z * 7919));
    const base = (empty + z) * size * size;
    for (let i = 0; i < pixels.length; i++) out[base + i] = pixels[i]! * slope;
  }
  return out;
}

/** Values scaled into 0..255 (MRNet ships uint8 volumes). */
export function toUint8(values: Float32Array): Uint8Array {
  let hi = 0;
  for (const v of values) if (v > hi) hi = v;
  const out = new Uint8Array(values.length);
  const k = hi > 0 ? 255 / hi : 0;
  for (let i = 0; i < values.length; i++) out[i] = Math.round(values[i]! * k);
  return out;
}
