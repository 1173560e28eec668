import { instantiate, name, section, uleb } from './wasmBytes.ts';

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

const SIMD = 0xfd;
const op = {
  block: [0x02, 0x40], loop: [0x03, 0x40], end: [0x0b], br: 0x0c, brIf: 0x0d,
  localGet: 0x20, localSet: 0x21, i32Const: 0x41, i32GeU: 0x4f, i32Add: 0x6a,
  load16x4s: [SIMD, 0x03, 0x03, 0x00], load16x4u: [SIMD, 0x04, 0x03, 0x00], v128Store: [SIMD, 0x0b, 0x04, 0x00],
  shuffle: [SIMD, 0x0d], i32x4Splat: [SIMD, 0x11], f64x2Splat: [SIMD, 0x14],
  i32x4LeS: [SIMD, 0x3d], i32x4GeS: [SIMD, 0x3f], and: [SIMD, 0x4e], bitselect: [SIMD, 0x52],
  demote: [SIMD, 0x5e], i32x4Add: [SIMD, 0xae, 0x01], i32x4Mul: [SIMD, 0xb5, 0x01],
  f64x2Add: [SIMD, 0xf0, 0x01], f64x2Mul: [SIMD, 0xf2, 0x01], convertLowS: [SIMD, 0xfe, 0x01],
};

/** Params: $dst $end $slope $icpt $padLo $padHi $black (0–6), $o0…$o4 (7–11), $w0…$w4 f64 (12–16). */
const [DST, END, SLOPE, ICPT, PADLO, PADHI, BLACK, O0, W0] = [0, 1, 2, 3, 4, 5, 6, 7, 12];
/** Locals: $x i32 (17); v128: splats (18–22), $s $v $lo $hi (23–26), weight splats (27–31). */
const [X, SLOPEV, ICPTV, PLV, PHV, BLACKV, S, V, LO, HI, WV0] = [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27];

function body(signed: boolean, n: number): number[] {
  const get = (i: number) => [op.localGet, i];
  const set = (i: number) => [op.localSet, i];
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
    ...op.block, ...op.loop,
    ...get(X), ...get(END), op.i32GeU, op.brIf, 1,
    ...taps,
    ...get(DST), ...get(X), ...get(X), op.i32Add, op.i32Add,
    ...get(LO), ...op.demote, ...get(HI), ...op.demote, ...laneHalf([0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]),
    ...op.v128Store,
    ...get(X), op.i32Const, 8, op.i32Add, ...set(X),
    op.br, 0,
    ...op.end, ...op.end,
    ...op.end,
  ];
  return [...uleb(code.length), ...code];
}

const NAMES = ['s1', 's2', 's3', 's4', 's5', 'u1', 'u2', 'u3', 'u4', 'u5'];

function moduleBytes(): Uint8Array {
  const bodies = NAMES.map((nm) => body(nm[0] === 's', Number(nm[1])));
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 17, ...Array<number>(12).fill(0x7f), ...Array<number>(5).fill(0x7c), 0]), // type 0: (12 × i32, 5 × f64) → ()
    ...section(3, [NAMES.length, ...NAMES.map(() => 0)]),
    ...section(5, [1, 0, 1]), // one memory, 1 page to start
    ...section(7, [NAMES.length + 1, ...name('mem'), 2, 0, ...NAMES.flatMap((nm, i) => [...name(nm), 0, i])]),
    ...section(10, [NAMES.length, ...bodies.flat()]),
  ]);
}

type Sum = (dst: number, end: number, slope: number, icpt: number, padLo: number, padHi: number, black: number,
  o0: number, o1: number, o2: number, o3: number, o4: number, w0: number, w1: number, w2: number, w3: number, w4: number) => void;

type Kernel = { mem: { readonly buffer: ArrayBuffer; grow(pages: number): number } } & Record<string, Sum>;

let kernel: Kernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is missing. */
export function simdResizeKernel(): Kernel | null {
  if (kernel === undefined) kernel = instantiate<Kernel>(moduleBytes());
  return kernel;
}

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

/**
 * The vertical pass over `dstH` rows of `w` columns: row i is the sum of its taps' source rows
 * (`taps(i)` fills `offs` with element offsets into `src` and `weights`, returning the count, ≤ 5),
 * mapped by `m` (which must pass `integerMap`). Returns the dstH × w float32 rows, a view of the
 * kernel's memory valid until its next use; null without WebAssembly SIMD.
 */
export function simdVerticalPass(
  src: Int16Array | Uint16Array,
  m: StoredMap,
  w: number,
  dstH: number,
  taps: (i: number) => number,
  offs: Int32Array,
  weights: Float32Array,
): Float32Array | null {
  const k = simdResizeKernel();
  if (!k) return null;
  const tmpAt = (SRC + src.length * 2 + 15) & ~15;
  const need = tmpAt + dstH * w * 4;
  if (k.mem.buffer.byteLength < need) k.mem.grow(Math.ceil((need - k.mem.buffer.byteLength) / 65536));
  const signed = src instanceof Int16Array;
  (signed ? new Int16Array(k.mem.buffer, SRC, src.length) : new Uint16Array(k.mem.buffer, SRC, src.length)).set(src);
  const tmp = new Float32Array(k.mem.buffer, tmpAt, dstH * w);
  const body = w & ~3;
  const { slope, intercept, black } = m;
  const padLo = bound(m.padLo);
  const padHi = bound(m.padHi);
  const fns = NAMES.slice(signed ? 0 : 5, signed ? 5 : 10).map((nm) => k[nm]!);
  for (let i = 0; i < dstH; i++) {
    const n = taps(i);
    const at = (t: number) => SRC + 2 * offs[t < n ? t : 0]!;
    const dst = tmpAt + 4 * i * w;
    fns[n - 1]!(dst, body * 2, slope, intercept, padLo, padHi, black, at(0), at(1), at(2), at(3), at(4),
      weights[0]!, weights[1]!, weights[2]!, weights[3]!, weights[4]!);
    for (let x = body; x < w; x++) {
      let acc = 0;
      for (let t = 0; t < n; t++) {
        const s = src[offs[t]! + x]!;
        const v = s >= padLo && s <= padHi ? black : s * slope + intercept;
        acc = t === 0 ? v * weights[t]! : acc + v * weights[t]!;
      }
      tmp[i * w + x] = acc;
    }
  }
  return tmp;
}
