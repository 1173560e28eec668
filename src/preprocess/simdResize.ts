import { SIMD, countedLoop, funcBody, get, growTo, lazyInstance, name, scalarOps, section, set, uleb, wasmModule, type WasmMemory } from './wasmBytes.ts';

/**
 * The vertical pass of the area resize (resize.ts `sumRowsLut`) for 16-bit stored integers whose
 * modality map is integer (integer slope, intercept and black: most CT and MR), in WebAssembly
 * SIMD. Each lane is one column and does, in the same order, the same IEEE float64 operations as
 * the scalar loop: value·w0 + value·w1 + … (a left-to-right sum, no fused multiply-add), rounded to
 * float32 once at the store. The value is s·slope + intercept (padding: black) computed in int32
 * lanes — exact, and equal to the float32 LUT entry the scalar loop reads, because every value is an
 * integer below 2^24 (checked by `integerMap`). So the result is bit-identical to the scalar pass
 * (test/preprocess/simdResize.test.ts), without the LUT's per-pixel gather. Text form of `$s<n>`
 * (n taps, 1–5; `$u<n>`: the unsigned loads):
 *
 *   (func (param $dst $end $slope $icpt $padLo $padHi $black $o0…$o4 i32) (param $w0…$w4 f64)
 *     splat each i32 map parameter into i32x4, each weight into f64x2;  $x = 0
 *     (loop while $x < $end                                  ;; 4 columns per turn, $x in bytes
 *       for each tap t < n:
 *         $s = v128.load16x4_s ($o<t> + $x)                   ;; 4 stored values as i32 lanes
 *         $v = bitselect($black, $s·$slope + $icpt, $s ≥ $padLo & $s ≤ $padHi)
 *         $lo (+)= f64x2.convert_low_i32x4_s($v) · $w<t>      ;; columns 0, 1
 *         $hi (+)= f64x2.convert_low_i32x4_s(lanes 2, 3 of $v) · $w<t>
 *       v128.store ($dst + 2·$x) [demote($lo), demote($hi)]   ;; 4 float32
 *       $x += 8))
 */

const op = {
  ...scalarOps,
  load16x4s: [SIMD, 0x03, 0x03, 0x00], load16x4u: [SIMD, 0x04, 0x03, 0x00], v128Store: [SIMD, 0x0b, 0x04, 0x00],
  shuffle: [SIMD, 0x0d], i32x4Splat: [SIMD, 0x11], f64x2Splat: [SIMD, 0x14],
  i32x4LeS: [SIMD, 0x3d], i32x4GeS: [SIMD, 0x3f], and: [SIMD, 0x4e], bitselect: [SIMD, 0x52],
  demote: [SIMD, 0x5e], i32x4Add: [SIMD, 0xae, 0x01], i32x4Mul: [SIMD, 0xb5, 0x01],
  f64x2Add: [SIMD, 0xf0, 0x01], f64x2Mul: [SIMD, 0xf2, 0x01], convertLowS: [SIMD, 0xfe, 0x01],
  i32Shl: 0x74, i32Load: 0x28, i32Store: [0x36, 0x02, 0x00], v128Load: [SIMD, 0x00, 0x04],
  promote: [SIMD, 0x5f], pmin: [SIMD, 0xf6, 0x01], pmax: [SIMD, 0xf7, 0x01], truncSatZero: [SIMD, 0xfc, 0x01],
  narrow32u: [SIMD, 0x86, 0x01], narrow16u: [SIMD, 0x66], extract32: [SIMD, 0x1b], f64x2Const: [SIMD, 0x0c],
};

/** Params: $dst $end $slope $icpt $padLo $padHi $black (0–6), $o0…$o4 (7–11), $w0…$w4 f64 (12–16). */
const [DST, END, SLOPE, ICPT, PADLO, PADHI, BLACK, O0, W0] = [0, 1, 2, 3, 4, 5, 6, 7, 12];
/** Locals: $x i32 (17); v128: splats (18–22), $s $v $lo $hi (23–26), weight splats (27–31). */
const [X, SLOPEV, ICPTV, PLV, PHV, BLACKV, S, V, LO, HI, WV0] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

function body(signed: boolean, n: number): number[] {
  const splat32 = (from: number, to: number) => [...get(from), ...op.i32x4Splat, ...set(to)];
  const laneHalf = (lanes: number[]) => [...op.shuffle, ...lanes];
  const taps: number[] = [];
  for (let t = 0; t < n; t++) {
    taps.push(
      ...get(O0 + t), ...get(X), op.i32Add, ...(signed ? op.load16x4s : op.load16x4u), ...set(S),
      ...get(BLACKV),
      ...get(S), ...get(SLOPEV), ...op.i32x4Mul, ...get(ICPTV), ...op.i32x4Add,
      ...get(S), ...get(PLV), ...op.i32x4GeS, ...get(S), ...get(PHV), ...op.i32x4LeS, ...op.and,
      ...op.bitselect, ...set(V),
    );
    for (const [acc, high] of [[LO, false], [HI, true]] as const) {
      if (t > 0) taps.push(...get(acc));
      taps.push(...get(V));
      if (high) taps.push(...get(V), ...laneHalf([8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]));
      taps.push(...op.convertLowS, ...get(WV0 + t), ...op.f64x2Mul);
      if (t > 0) taps.push(...op.f64x2Add);
      taps.push(...set(acc));
    }
  }
  const code = [
    2, 1, 0x7f, 14, 0x7b, // locals: 1 × i32, 14 × v128
    ...splat32(SLOPE, SLOPEV), ...splat32(ICPT, ICPTV), ...splat32(PADLO, PLV), ...splat32(PADHI, PHV), ...splat32(BLACK, BLACKV),
    ...Array.from({ length: n }, (_, t) => [...get(W0 + t), ...op.f64x2Splat, ...set(WV0 + t)]).flat(),
    ...countedLoop(X, END, 8, [
      ...taps,
      ...get(DST), ...get(X), ...get(X), op.i32Add, op.i32Add,
      ...get(LO), ...op.demote, ...get(HI), ...op.demote, ...laneHalf([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
      ...op.v128Store,
    ]),
    ...op.end,
  ];
  return funcBody(code);
}

/** Bytes [from, from+8) of a and [at, at+8) of b (16–31 = b's bytes): an i8x16.shuffle's lanes. */
const halves = (from: number, at: number) => [...Array.from({ length: 8 }, (_, i) => from + i), ...Array.from({ length: 8 }, (_, i) => at + i)];

function f64x2Const(v: number): number[] {
  const b = new Uint8Array(new Float64Array([v, v]).buffer);
  return [...op.f64x2Const, ...b];
}

/**
 * $hq: the horizontal pass (4 taps per output, as resize.ts's unrolled loop) and toImage.ts's
 * `mapQuantize`, 4 output pixels per turn: for pixel p, its 4 float32 inputs at $tmpRow + xs[p]
 * promoted to two f64x2 and multiplied by its 4 float64 weights; lanes transposed so that
 * ((p0 + p1) + p2) + p3 runs in the scalar order; rounded to float32 (demote, promote); then
 * u = r·a + b, pmax(u, 0), pmin(·, 1) (= the scalar `u < 0 ? 0 : u > 1 ? 1 : u`), float32 again,
 * ·255 + 0.5, truncated (saturating: the scalar clamp to 0..255) and narrowed to 4 bytes.
 * Params: $tmpRow $outRow $xs $w $end (i32), $a $b (f64).
 */
function hqBody(): number[] {
  const [TROW, OROW, XS, WT, END, AF, BF, J] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [AV, BV, ZV, OV, KV, HV, V, P01, P23, S, Q01, Q23] = [8, 9, 10, 11, 12, 13, 14, 15, 19, 23, 24, 25];
  const pixel = (p: number) => [
    ...get(TROW), ...get(XS), ...get(J), op.i32Const, 2, op.i32Shl, op.i32Add, op.i32Load, 2, 4 * p, op.i32Add, ...op.v128Load, 0, ...set(V),
    ...get(V), ...op.promote, ...get(WT), ...get(J), op.i32Const, 5, op.i32Shl, op.i32Add, ...op.v128Load, ...uleb(32 * p), ...op.f64x2Mul, ...set(P01 + p),
    ...get(V), ...get(V), ...op.shuffle, ...halves(8, 8), ...op.promote,
    ...get(WT), ...get(J), op.i32Const, 5, op.i32Shl, op.i32Add, ...op.v128Load, ...uleb(32 * p + 16), ...op.f64x2Mul, ...set(P23 + p),
  ];
  const pair = (p: number, q: number) => [
    ...get(P01 + p), ...get(P01 + p + 1), ...op.shuffle, ...halves(0, 16),
    ...get(P01 + p), ...get(P01 + p + 1), ...op.shuffle, ...halves(8, 24), ...op.f64x2Add,
    ...get(P23 + p), ...get(P23 + p + 1), ...op.shuffle, ...halves(0, 16), ...op.f64x2Add,
    ...get(P23 + p), ...get(P23 + p + 1), ...op.shuffle, ...halves(8, 24), ...op.f64x2Add,
    ...op.demote, ...op.promote, ...set(S),
    ...get(S), ...get(AV), ...op.f64x2Mul, ...get(BV), ...op.f64x2Add,
    ...get(ZV), ...op.pmax, ...get(OV), ...op.pmin, ...op.demote, ...op.promote,
    ...get(KV), ...op.f64x2Mul, ...get(HV), ...op.f64x2Add, ...op.truncSatZero, ...set(q),
  ];
  const code = [
    2, 1, 0x7f, 18, 0x7b, // locals: $j i32, 18 × v128
    ...get(AF), ...op.f64x2Splat, ...set(AV), ...get(BF), ...op.f64x2Splat, ...set(BV),
    ...f64x2Const(0), ...set(ZV), ...f64x2Const(1), ...set(OV), ...f64x2Const(255), ...set(KV), ...f64x2Const(0.5), ...set(HV),
    ...countedLoop(J, END, 4, [
      ...pixel(0), ...pixel(1), ...pixel(2), ...pixel(3),
      ...pair(0, Q01), ...pair(2, Q23),
      ...get(OROW), ...get(J), op.i32Add,
      ...get(Q01), ...get(Q23), ...op.shuffle, ...halves(0, 16), ...set(S),
      ...get(S), ...get(S), ...op.narrow32u, ...set(S), ...get(S), ...get(S), ...op.narrow16u, ...op.extract32, 0,
      ...op.i32Store,
    ]),
    ...op.end,
  ];
  return funcBody(code);
}

const NAMES = ['s1', 's2', 's3', 's4', 's5', 'u1', 'u2', 'u3', 'u4', 'u5'];

function moduleBytes(): Uint8Array {
  const bodies = NAMES.map((nm) => body(nm[0] === 's', Number(nm[1])));
  const hq = hqBody();
  return wasmModule(
    section(1, [
      2,
      0x60, 17, ...Array<number>(12).fill(0x7f), ...Array<number>(5).fill(0x7c), 0, // type 0: (12 × i32, 5 × f64) → ()
      0x60, 7, ...Array<number>(5).fill(0x7f), 0x7c, 0x7c, 0, // type 1: (5 × i32, 2 × f64) → ()
    ]),
    section(3, [NAMES.length + 1, ...NAMES.map(() => 0), 1]),
    section(5, [1, 0, 1]), // one memory, 1 page to start
    section(7, [NAMES.length + 2, ...name('mem'), 2, 0, ...NAMES.flatMap((nm, i) => [...name(nm), 0, i]), ...name('hq'), 0, NAMES.length]),
    section(10, [NAMES.length + 1, ...bodies.flat(), ...hq]),
  );
}

type Hq = (tmpRow: number, outRow: number, xs: number, w: number, end: number, a: number, b: number) => void;

type Sum = (dst: number, end: number, slope: number, icpt: number, padLo: number, padHi: number, black: number,
  o0: number, o1: number, o2: number, o3: number, o4: number, w0: number, w1: number, w2: number, w3: number, w4: number) => void;

type Kernel = { mem: WasmMemory; hq: Hq } & { [vertical: string]: unknown };

/** The kernel, or null where WebAssembly SIMD is missing. */
export const simdResizeKernel = lazyInstance<Kernel>(moduleBytes);

/** The stored → value map of a 16-bit frame: s·slope + intercept; stored values in [padLo, padHi] → black. */
export interface StoredMap {
  slope: number;
  intercept: number;
  padLo: number;
  padHi: number;
  black: number;
}

/** 2^24: integers below it are exact in float32 (the LUT's type). */
const F32_EXACT = 0x1000000;

const exactInt = (v: number) => Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < F32_EXACT;

/**
 * Whether int32 lanes give exactly the float32 LUT's values: slope, intercept and black integers,
 * and every value of the stored range [lo, hi] an integer below 2^24 (the map is affine, so its
 * ends bound it); int32 arithmetic wraps, but a result that fits is exact.
 */
export function integerMap(m: StoredMap, lo: number, hi: number): boolean {
  return (
    Number.isInteger(m.slope) && Math.abs(m.slope) < 0x8000 && exactInt(m.intercept) && exactInt(m.black) &&
    exactInt(lo * m.slope + m.intercept) && exactInt(hi * m.slope + m.intercept)
  );
}

/** Byte offset of the copied stored values in the kernel's memory. */
const SRC = 64;

/** A padding bound as int32: stored values are 16-bit, so clamping changes no comparison. */
const bound = (v: number) => Math.max(-0x10001, Math.min(0x10000, v));

/** The vertical taps of each intermediate row: `taps(i)` fills `offs` (element offsets into the source) and `weights`, and answers their count (≤ 5). */
export interface VerticalTaps {
  taps: (i: number) => number;
  offs: Int32Array;
  weights: Float32Array;
}

/** The horizontal taps: 4 per output column, from `start[j]` with `weights[4j…4j+3]`. */
interface HorizontalTaps {
  start: Int32Array;
  weights: Float32Array;
}

/** Copies `src` into the kernel's memory and runs the vertical pass into the dstH × w float32 rows at `tmpAt`. */
function verticalPass(k: Kernel, src: Int16Array | Uint16Array, m: StoredMap, w: number, dstH: number, v: VerticalTaps, tmpAt: number): void {
  const signed = src instanceof Int16Array;
  (signed ? new Int16Array(k.mem.buffer, SRC, src.length) : new Uint16Array(k.mem.buffer, SRC, src.length)).set(src);
  const tmp = new Float32Array(k.mem.buffer, tmpAt, dstH * w);
  const body = w & ~3;
  const { slope, intercept, black } = m;
  const padLo = bound(m.padLo);
  const padHi = bound(m.padHi);
  const fns = NAMES.slice(signed ? 0 : 5, signed ? 5 : 10).map((nm) => k[nm] as Sum);
  const { offs, weights } = v;
  for (let i = 0; i < dstH; i++) {
    const n = v.taps(i);
    // Byte addresses of the taps' rows; unused taps repeat the first (never read).
    const o0 = SRC + 2 * offs[0]!;
    const o1 = n > 1 ? SRC + 2 * offs[1]! : o0;
    const o2 = n > 2 ? SRC + 2 * offs[2]! : o0;
    const o3 = n > 3 ? SRC + 2 * offs[3]! : o0;
    const o4 = n > 4 ? SRC + 2 * offs[4]! : o0;
    fns[n - 1]!(tmpAt + 4 * i * w, body * 2, slope, intercept, padLo, padHi, black, o0, o1, o2, o3, o4,
      weights[0]!, weights[1]!, weights[2]!, weights[3]!, weights[4]!);
    for (let x = body; x < w; x++) {
      let acc = 0;
      for (let t = 0; t < n; t++) {
        const s = src[offs[t]! + x]!;
        const value = s >= padLo && s <= padHi ? black : s * slope + intercept;
        acc = t === 0 ? value * weights[t]! : acc + value * weights[t]!;
      }
      tmp[i * w + x] = acc;
    }
  }
}

/** Where the intermediate rows start: after the copied source, 16-byte aligned. */
const tmpStart = (src: { length: number }) => (SRC + src.length * 2 + 15) & ~15;

/**
 * The vertical pass over `dstH` rows of `w` columns, mapped by `m` (which must pass `integerMap`).
 * Returns the dstH × w float32 rows, a view of the kernel's memory valid until its next use; null
 * without WebAssembly SIMD or when its memory cannot grow to the frame.
 */
export function simdVerticalPass(src: Int16Array | Uint16Array, m: StoredMap, w: number, dstH: number, v: VerticalTaps): Float32Array | null {
  const k = simdResizeKernel();
  if (!k) return null;
  const tmpAt = tmpStart(src);
  if (!growTo(k.mem, tmpAt + dstH * w * 4)) return null;
  verticalPass(k, src, m, w, dstH, v, tmpAt);
  return new Float32Array(k.mem.buffer, tmpAt, dstH * w);
}

/**
 * One resized float32 value → its uint8: u = clamp(r·a + b, 0, 1) rounded to float32, ·255 + 0.5,
 * truncated into 0..255. The scalar definition: toImage.ts `mapQuantize` runs it on every pixel,
 * $hq computes the same in SIMD lanes, and its scalar tail calls it.
 */
export function unitByte(r: number, a: number, b: number): number {
  const u = r * a + b;
  const v = Math.fround(u < 0 ? 0 : u > 1 ? 1 : u) * 255 + 0.5;
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
}

/**
 * Both passes and the quantisation, for a dstH × dstW output with 4 horizontal taps per column:
 * the uint8 image toImage.ts's `mapQuantize(resizeAreaLut(…), a, b)` gives, bit for bit; null
 * without WebAssembly SIMD or when its memory cannot grow to the frame.
 */
export function simdResizeQuantize(
  src: Int16Array | Uint16Array,
  m: StoredMap,
  unit: { a: number; b: number },
  w: number,
  dstW: number,
  dstH: number,
  v: VerticalTaps,
  h: HorizontalTaps,
): Uint8Array | null {
  const k = simdResizeKernel();
  if (!k) return null;
  const tmpAt = tmpStart(src);
  const xsAt = tmpAt + dstH * w * 4;
  const wAt = (xsAt + dstW * 4 + 15) & ~15;
  const outAt = wAt + dstW * 32;
  if (!growTo(k.mem, outAt + dstW * dstH)) return null;
  verticalPass(k, src, m, w, dstH, v, tmpAt);
  const xs = new Int32Array(k.mem.buffer, xsAt, dstW);
  const wt = new Float64Array(k.mem.buffer, wAt, dstW * 4);
  for (let j = 0; j < dstW; j++) xs[j] = h.start[j]! * 4;
  for (let i = 0; i < dstW * 4; i++) wt[i] = h.weights[i]!;
  const body = dstW & ~3;
  const { a, b } = unit;
  for (let i = 0; i < dstH; i++) k.hq(tmpAt + 4 * i * w, outAt + i * dstW, xsAt, wAt, body, a, b);
  const out = new Uint8Array(dstW * dstH);
  out.set(new Uint8Array(k.mem.buffer, outAt, dstW * dstH));
  if (body < dstW) {
    const tmp = new Float32Array(k.mem.buffer, tmpAt, dstH * w);
    for (let i = 0; i < dstH; i++) {
      for (let j = body; j < dstW; j++) {
        const s = i * w + h.start[j]!;
        const q = 4 * j;
        const r = tmp[s]! * h.weights[q]! + tmp[s + 1]! * h.weights[q + 1]! + tmp[s + 2]! * h.weights[q + 2]! + tmp[s + 3]! * h.weights[q + 3]!;
        out[i * dstW + j] = unitByte(Math.fround(r), a, b);
      }
    }
  }
  return out;
}
