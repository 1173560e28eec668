/**
 * Grey pixel kernels: stored container values → masked (BitsStored/HighBit) → sign-extended
 * (PixelRepresentation) → Modality LUT → Float32 modality values, plus the padding mask, in one pass.
 * Tight loops, no per-pixel calls; the common case (16-bit, BitsStored 16) reads a typed view directly.
 */

export type Container = Uint8Array | Uint16Array | Uint32Array;

export interface StoredBits {
  /** HighBit + 1 − BitsStored: where the stored bits start in the container. */
  shift: number;
  bits: number;
  signed: boolean;
}

/** Padding as an inclusive range of STORED values (lo may be −Infinity for the lossy rule). */
export interface PaddingRange {
  lo: number;
  hi: number;
}

export interface GreyResult {
  values: Float32Array;
  padding: Uint8Array | null;
}

/** The same memory as the matching signed array (for bits == container bits, signed data). */
function signedView(a: Container): Int8Array | Int16Array | Int32Array {
  if (a instanceof Uint8Array) return new Int8Array(a.buffer, a.byteOffset, a.length);
  if (a instanceof Uint16Array) return new Int16Array(a.buffer, a.byteOffset, a.length);
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/**
 * Stored values of `n` samples read from `src[start + k*stride]` into modality values.
 * `lut` (Modality LUT Sequence) replaces slope/intercept when given.
 *
 * Speed: for 8/16-bit containers the stored integers are first written into the Float32 output
 * (exact: |v| < 2^24) with TypedArray#set or one masking loop, then padding and rescale run as
 * monomorphic Float32 loops. 32-bit containers take a generic loop (float32 would round them).
 */
export function greyFromStored(
  src: Container,
  start: number,
  stride: number,
  n: number,
  sb: StoredBits,
  slope: number,
  intercept: number,
  pad: PaddingRange | null,
  lut: ModalityLut | null = null,
): GreyResult {
  if (src.BYTES_PER_ELEMENT === 4) return greyGeneric(src, start, stride, n, sb, slope, intercept, pad, lut);
  const values = new Float32Array(n);
  if (!pad && !lut && stride === 1 && start === 0 && src.length === n && sb.shift === 0 && sb.bits >= 16 && src instanceof Uint16Array) {
    // The common CT/MR case in one monomorphic pass.
    if (sb.signed) affineI16(values, new Int16Array(src.buffer, src.byteOffset, n), slope, intercept);
    else affineU16(values, src, slope, intercept);
    return { values, padding: null };
  }
  if (pad && !lut && stride === 1 && start === 0 && src.length === n && sb.shift === 0 && sb.bits >= 16 && src instanceof Uint16Array) {
    // Padded CT: values and mask in one pass over the stored integers.
    const padding = new Uint8Array(n);
    if (sb.signed) affineMaskI16(values, padding, new Int16Array(src.buffer, src.byteOffset, n), slope, intercept, pad.lo, pad.hi);
    else affineMaskU16(values, padding, src, slope, intercept, pad.lo, pad.hi);
    return { values, padding };
  }
  storedInto(values, src, start, stride, n, sb);
  let padding: Uint8Array | null = null;
  if (pad) {
    padding = new Uint8Array(n);
    const lo = pad.lo;
    const hi = pad.hi;
    for (let i = 0; i < n; i++) if (values[i]! >= lo && values[i]! <= hi) padding[i] = 1;
  }
  if (lut) applyLut(values, lut);
  else if (slope !== 1 || intercept !== 0) affine(values, slope, intercept);
  return { values, padding };
}

/** Stored integers (masked, sign-extended) of an 8/16-bit container into `out`. */
function storedInto(out: Float32Array, src: Container, start: number, stride: number, n: number, sb: StoredBits): void {
  const cb = src.BYTES_PER_ELEMENT * 8;
  if (sb.shift === 0 && sb.bits >= cb && stride === 1) {
    const a = sb.signed ? signedView(src) : src;
    out.set(start === 0 && a.length === n ? a : a.subarray(start, start + n));
    return;
  }
  const shift = sb.shift;
  const bits = Math.min(sb.bits, cb);
  const mask = 2 ** bits - 1;
  const ext = 32 - bits;
  if (sb.signed) {
    for (let i = 0, j = start; i < n; i++, j += stride) out[i] = ((src[j]! >>> shift) << ext) >> ext;
  } else {
    for (let i = 0, j = start; i < n; i++, j += stride) out[i] = (src[j]! >>> shift) & mask;
  }
}

function affineI16(out: Float32Array, a: Int16Array, slope: number, intercept: number): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! * slope + intercept;
}

function affineU16(out: Float32Array, a: Uint16Array, slope: number, intercept: number): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! * slope + intercept;
}

function affineMaskI16(out: Float32Array, padding: Uint8Array, a: Int16Array, slope: number, intercept: number, lo: number, hi: number): void {
  for (let i = 0; i < out.length; i++) {
    const v = a[i]!;
    if (v >= lo && v <= hi) padding[i] = 1;
    out[i] = v * slope + intercept;
  }
}

function affineMaskU16(out: Float32Array, padding: Uint8Array, a: Uint16Array, slope: number, intercept: number, lo: number, hi: number): void {
  for (let i = 0; i < out.length; i++) {
    const v = a[i]!;
    if (v >= lo && v <= hi) padding[i] = 1;
    out[i] = v * slope + intercept;
  }
}

/**
 * Stored integers of a 16-bit grey frame: signed → Int16Array, unsigned → Uint16Array. A view of
 * `src` (no copy) when the stored bits fill the container; otherwise masked/sign-extended into a
 * new array (BitsStored 12 and the like: the high bits may hold overlays or junk).
 */
export function storedGrey16(src: Uint16Array, sb: StoredBits): Int16Array | Uint16Array {
  const n = src.length;
  if (sb.shift === 0 && sb.bits >= 16) return sb.signed ? new Int16Array(src.buffer, src.byteOffset, n) : src;
  const shift = sb.shift;
  const bits = Math.min(sb.bits, 16);
  if (sb.signed) {
    const out = new Int16Array(n);
    const ext = 32 - bits;
    for (let i = 0; i < n; i++) out[i] = ((src[i]! >>> shift) << ext) >> ext;
    return out;
  }
  const out = new Uint16Array(n);
  const mask = 2 ** bits - 1;
  for (let i = 0; i < n; i++) out[i] = (src[i]! >>> shift) & mask;
  return out;
}

function affine(v: Float32Array, slope: number, intercept: number): void {
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * slope + intercept;
}

function applyLut(v: Float32Array, lut: ModalityLut): void {
  const data = lut.data;
  const first = lut.first;
  const last = data.length - 1;
  for (let i = 0; i < v.length; i++) {
    let k = v[i]! - first;
    if (k < 0) k = 0;
    else if (k > last) k = last;
    v[i] = data[k]!;
  }
}

/** 32-bit containers: values may exceed float32's exact range, so rescale from the integer. */
function greyGeneric(
  src: Container,
  start: number,
  stride: number,
  n: number,
  sb: StoredBits,
  slope: number,
  intercept: number,
  pad: PaddingRange | null,
  lut: ModalityLut | null,
): GreyResult {
  const values = new Float32Array(n);
  const padding = pad ? new Uint8Array(n) : null;
  const plain = sb.shift === 0 && sb.bits >= 32;
  const a = plain && sb.signed ? signedView(src) : src;
  const shift = sb.shift;
  const bits = Math.min(sb.bits, 32);
  const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const ext = 32 - bits;
  const signed = sb.signed;
  const lo = pad ? pad.lo : 0;
  const hi = pad ? pad.hi : 0;
  const lutData = lut ? lut.data : null;
  const lutFirst = lut ? lut.first : 0;
  const lutLast = lut ? lut.data.length - 1 : 0;
  let j = start;
  for (let i = 0; i < n; i++, j += stride) {
    let v: number;
    if (plain) v = a[j]!;
    else if (signed) v = ((a[j]! >>> shift) << ext) >> ext;
    else v = bits >= 32 ? a[j]! >>> shift : (a[j]! >>> shift) & mask;
    if (padding !== null && v >= lo && v <= hi) padding[i] = 1;
    if (lutData !== null) {
      let k = v - lutFirst;
      if (k < 0) k = 0;
      else if (k > lutLast) k = lutLast;
      values[i] = lutData[k]!;
    } else {
      values[i] = v * slope + intercept;
    }
  }
  return { values, padding };
}

/** Modality LUT Sequence (0028,3000): stored value − first → table entry. */
export interface ModalityLut {
  first: number;
  data: Float32Array;
}

/** Modality values and padding mask of a frame in stored form (as `greyFromStored` gives them). */
export function valuesFromStored(stored: Int16Array | Uint16Array, slope: number, intercept: number, padLo: number, padHi: number): GreyResult {
  const n = stored.length;
  const values = new Float32Array(n);
  if (padLo > padHi) {
    for (let i = 0; i < n; i++) values[i] = stored[i]! * slope + intercept;
    return { values, padding: null };
  }
  const padding = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = stored[i]!;
    if (v >= padLo && v <= padHi) padding[i] = 1;
    values[i] = v * slope + intercept;
  }
  return { values, padding };
}

/** Mask/sign-extend one value (for header-derived numbers, not pixels). */
export function storedValue(raw: number, sb: StoredBits): number {
  const bits = Math.min(sb.bits, 32);
  if (sb.signed) return ((raw >>> sb.shift) << (32 - bits)) >> (32 - bits);
  return bits >= 32 ? raw >>> sb.shift : (raw >>> sb.shift) & (2 ** bits - 1);
}
