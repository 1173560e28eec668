import type { DataSet } from 'dicom-parser';
import { us } from './header.ts';
import type { Container } from './pixelSemantics.ts';

/**
 * Colour → grey. Luma = 0.299 R + 0.587 G + 0.114 B (Rec. 601, the same weights that define Y in
 * YBR_FULL, so RGB and YBR inputs of one picture agree). Samples are unsigned stored values.
 */

const KR = 0.299;
const KG = 0.587;
const KB = 0.114;

/** Mask for unsigned stored values (`shift`, `bits`) as used by every colour loop. */
interface Bits {
  shift: number;
  mask: number;
}

export function colourBits(shift: number, bits: number): Bits {
  return { shift, mask: bits >= 32 ? 0xffffffff : 2 ** bits - 1 };
}

/** RGB (or codec output for compressed YBR, already RGB): planar 0 = RGBRGB…, 1 = RRR…GGG…BBB… */
export function rgbToLuma(src: Container, start: number, n: number, planar: boolean, b: Bits): Float32Array {
  const out = new Float32Array(n);
  const { shift, mask } = b;
  if (planar) {
    for (let i = 0, r = start, g = start + n, bl = start + 2 * n; i < n; i++) {
      out[i] = KR * (((src[r + i]! >>> shift) & mask) >>> 0) + KG * (((src[g + i]! >>> shift) & mask) >>> 0) + KB * (((src[bl + i]! >>> shift) & mask) >>> 0);
    }
  } else {
    for (let i = 0, j = start; i < n; i++, j += 3) {
      out[i] = KR * (((src[j]! >>> shift) & mask) >>> 0) + KG * (((src[j + 1]! >>> shift) & mask) >>> 0) + KB * (((src[j + 2]! >>> shift) & mask) >>> 0);
    }
  }
  return out;
}

/** YBR_FULL (uncompressed / lossless codecs that keep YBR): grey is Y, the first component. */
export function ybrToLuma(src: Container, start: number, n: number, planar: boolean, b: Bits): Float32Array {
  const out = new Float32Array(n);
  const { shift, mask } = b;
  const stride = planar ? 1 : 3;
  for (let i = 0, j = start; i < n; i++, j += stride) out[i] = ((src[j]! >>> shift) & mask) >>> 0;
  return out;
}

/** Native YBR_FULL_422 / YBR_PARTIAL_422: per pixel pair Y1 Y2 Cb Cr (2 samples per pixel). */
export function ybr422ToLuma(src: Container, start: number, n: number, b: Bits): Float32Array {
  const out = new Float32Array(n);
  const { shift, mask } = b;
  let i = 0;
  let j = start;
  for (; i + 1 < n; i += 2, j += 4) {
    out[i] = ((src[j]! >>> shift) & mask) >>> 0;
    out[i + 1] = ((src[j + 1]! >>> shift) & mask) >>> 0;
  }
  if (i < n) out[i] = ((src[j]! >>> shift) & mask) >>> 0;
  return out;
}

/** A PALETTE COLOR lookup reduced to luma per index. */
export interface PaletteLuma {
  first: number;
  luma: Float32Array;
}

/** Read (0028,1101–1103) descriptors and (0028,1201–1203) data into a luma table; null if absent. */
export function readPalette(ds: DataSet, signedIndex: boolean): PaletteLuma | string {
  const channels: Array<[desc: string, data: string]> = [
    ['x00281101', 'x00281201'],
    ['x00281102', 'x00281202'],
    ['x00281103', 'x00281203'],
  ];
  const tables: Float64Array[] = [];
  let first = 0;
  let entries = 0;
  for (const [descTag, dataTag] of channels) {
    const n0 = us(ds, descTag, false, 0);
    const f = us(ds, descTag, signedIndex, 1);
    const el = ds.elements[dataTag];
    if (n0 === null || f === null) return 'PALETTE COLOR without Palette Color Lookup Table Descriptors (0028,1101-1103)';
    const n = n0 === 0 ? 65536 : n0;
    const bitsPerEntry = us(ds, descTag, false, 2) ?? 16;
    if (!el) {
      const segTag = `x0028122${dataTag.slice(8)}`; // (0028,1221-1223)
      const seg = ds.elements[segTag];
      if (!seg) return 'PALETTE COLOR without Lookup Table Data (0028,1201-1203 or segmented 1221-1223)';
      if (seg.dataOffset + seg.length > ds.byteArray.length) return 'segmented PALETTE COLOR data overruns the file';
      const words = bitsPerEntry <= 8 ? Array.from(ds.byteArray.subarray(seg.dataOffset, seg.dataOffset + seg.length)) : Array.from({ length: seg.length >> 1 }, (_, i) => ds.uint16(segTag, i) ?? 0);
      const t = expandSegmented(words, n);
      if (typeof t === 'string') return t;
      tables.push(t);
      first = f;
      entries = Math.max(entries, n);
      continue;
    }
    if (el.dataOffset + el.length > ds.byteArray.length) return 'PALETTE COLOR lookup table data overruns the file';
    const t = new Float64Array(n);
    if (bitsPerEntry <= 8 && el.length >= n && el.length < 2 * n) {
      for (let i = 0; i < n; i++) t[i] = ds.byteArray[el.dataOffset + i]!;
    } else {
      if (el.length < 2 * n) return `PALETTE COLOR table has ${el.length} bytes for ${n} entries`;
      for (let i = 0; i < n; i++) t[i] = ds.uint16(dataTag, i) ?? 0;
    }
    tables.push(t);
    first = f;
    entries = Math.max(entries, n);
  }
  const [r, g, b] = tables as [Float64Array, Float64Array, Float64Array];
  const luma = new Float32Array(entries);
  for (let i = 0; i < entries; i++) {
    luma[i] = KR * (r[Math.min(i, r.length - 1)] ?? 0) + KG * (g[Math.min(i, g.length - 1)] ?? 0) + KB * (b[Math.min(i, b.length - 1)] ?? 0);
  }
  return { first, luma };
}

/** Round half to even (numpy's around), as pydicom uses when expanding linear segments. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * Segmented palette LUT (PS3.3 C.7.9.2): discrete (0), linear (1) and indirect (2) segments,
 * expanded as pydicom does; at most `max` entries, indirect segments one level deep.
 */
function expandSegmented(data: number[], max: number, depth = 0, last?: number, maxSegments = Infinity): Float64Array | string {
  const lut: number[] = [];
  let o = 0;
  for (let segs = 0; o + 1 < data.length && lut.length < max && segs < maxSegments; segs++) {
    const op = data[o]!;
    const len = data[o + 1]!;
    o += 2;
    if (op === 0) {
      for (let k = 0; k < len && o < data.length; k++) lut.push(data[o++]!);
    } else if (op === 1) {
      const y0 = lut.length ? lut[lut.length - 1]! : last;
      if (y0 === undefined) return 'segmented palette: a linear segment cannot come first';
      const y1 = data[o++] ?? y0;
      for (let k = 1; k <= len; k++) lut.push(y0 === y1 ? y1 : roundHalfEven(y0 + ((y1 - y0) * k) / len));
    } else if (op === 2) {
      if (depth > 0 || !lut.length) return 'segmented palette: unsupported indirect segment';
      const off = (data[o] ?? 0) | ((data[o + 1] ?? 0) << 16);
      o += 2;
      // `len` counts segments to copy from the (word) offset, as pydicom reads it.
      const sub = expandSegmented(data.slice(off), max - lut.length, depth + 1, lut[lut.length - 1], len);
      if (typeof sub === 'string') return sub;
      for (const v of sub) lut.push(v);
    } else {
      return `segmented palette: unknown segment type ${op}`;
    }
  }
  if (lut.length === 0) return 'segmented palette: no entries';
  return Float64Array.from(lut.slice(0, max));
}

/** Palette indices (stored values, already masked) → luma. */
export function paletteToLuma(src: Container, start: number, n: number, pal: PaletteLuma, b: Bits): Float32Array {
  const out = new Float32Array(n);
  const { shift, mask } = b;
  const last = pal.luma.length - 1;
  const lut = pal.luma;
  const first = pal.first;
  for (let i = 0, j = start; i < n; i++, j++) {
    let k = (((src[j]! >>> shift) & mask) >>> 0) - first;
    if (k < 0) k = 0;
    else if (k > last) k = last;
    out[i] = lut[k]!;
  }
  return out;
}
