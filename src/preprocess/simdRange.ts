/**
 * Min/max of 16-bit stored integers with WebAssembly SIMD (eight lanes per instruction): the
 * per-image range pass of the stored-integer path, ~10× faster than the best scalar JS loop, which
 * V8 does not vectorise (numpy's min/max are SIMD C loops; this is their counterpart). The module is
 * small enough to write out by hand (no toolchain, no binary file); its text form:
 *
 *   (func $range_s (param $p i32) (param $end i32) (param $ph i32)   ;; $range_u: the _u ops
 *     (local $lo v128) (local $hi v128) (local $all v128) (local $v v128) (local $phv v128) (local $top v128)
 *     $phv = i16x8.splat $ph;  $top = $lo = $all = splat(MAX);  $hi = splat(MIN)
 *     (loop while $p < $end
 *       $v = v128.load $p
 *       $hi = max($hi, $v);  $all = min($all, $v)
 *       $lo = min($lo, bitselect($v, $top, gt($v, $phv)))      ;; min over values above $ph
 *       $p += 16)
 *     v128.store 0 $lo;  v128.store 16 $hi;  v128.store 32 $all)
 *
 * The values are copied into the module's memory at DATA (a 512² slice: 0.5 MB, one memcpy).
 */

import { SIMD, countedLoop, funcBody, get, growTo, lazyInstance, name, scalarOps, section, set, wasmModule, type WasmMemory } from './wasmBytes.ts';

/** Where the three result vectors are written, and where the data starts. */
const DATA = 64;

const op = {
  ...scalarOps,
  v128Load: [SIMD, 0x00, 0x04, 0x00], v128Store: [SIMD, 0x0b, 0x04, 0x00], v128Const: [SIMD, 0x0c],
  i16x8Splat: [SIMD, 0x10], bitselect: [SIMD, 0x52],
  gtS: [SIMD, 0x31], gtU: [SIMD, 0x32],
  minS: [SIMD, 0x96, 0x01], minU: [SIMD, 0x97, 0x01], maxS: [SIMD, 0x98, 0x01], maxU: [SIMD, 0x99, 0x01],
};

function splat16(v: number): number[] {
  const lane = [v & 0xff, (v >> 8) & 0xff];
  return [...op.v128Const, ...Array.from({ length: 8 }, () => lane).flat()];
}

/** Body of $range_s (signed) or $range_u (unsigned). Params 0–2, v128 locals 3–8. */
function rangeBody(signed: boolean): number[] {
  const [P, END, PH, LO, HI, ALL, V, PHV, TOP] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [min, max, gt] = signed ? [op.minS, op.maxS, op.gtS] : [op.minU, op.maxU, op.gtU];
  const code = [
    1, 6, 0x7b, // locals: 6 × v128
    ...get(PH), ...op.i16x8Splat, ...set(PHV),
    ...splat16(signed ? 0x7fff : 0xffff), ...set(TOP),
    ...get(TOP), ...set(LO), ...get(TOP), ...set(ALL),
    ...splat16(signed ? 0x8000 : 0), ...set(HI),
    ...countedLoop(P, END, 16, [
      ...get(P), ...op.v128Load, ...set(V),
      ...get(HI), ...get(V), ...max, ...set(HI),
      ...get(ALL), ...get(V), ...min, ...set(ALL),
      ...get(LO), ...get(V), ...get(TOP), ...get(V), ...get(PHV), ...gt, ...op.bitselect, ...min, ...set(LO),
    ]),
    op.i32Const, 0, ...get(LO), ...op.v128Store,
    op.i32Const, 16, ...get(HI), ...op.v128Store,
    op.i32Const, 32, ...get(ALL), ...op.v128Store,
    ...op.end,
  ];
  return funcBody(code);
}

function moduleBytes(): Uint8Array {
  const s = rangeBody(true);
  const u = rangeBody(false);
  return wasmModule(
    section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 0]), // type 0: (i32, i32, i32) → ()
    section(3, [2, 0, 0]), // two functions of type 0
    section(5, [1, 0, 1]), // one memory, 1 page to start
    section(7, [3, ...name('mem'), 2, 0, ...name('range_s'), 0, 0, ...name('range_u'), 0, 1]),
    section(10, [2, ...s, ...u]),
  );
}

interface Kernel {
  mem: WasmMemory;
  range_s: (p: number, end: number, ph: number) => void;
  range_u: (p: number, end: number, ph: number) => void;
}

const load = lazyInstance<Kernel>(moduleBytes);

/** Min over all, max over all, and min over values > ph of 16-bit integers; null when SIMD is unavailable. */
export interface SimdRange {
  allLo: number;
  allHi: number;
  /** Min over values above ph; meaningful only when allHi > ph. */
  aboveLo: number;
}

/**
 * The range of `s` (signed per its type) in SIMD lanes. `ph` is clamped to the lanes' range by
 * the caller's reading of the result: values above ph exist exactly when allHi > ph.
 */
export function simdRange(s: Int16Array | Uint16Array, ph: number): SimdRange | null {
  const k = load();
  if (!k) return null;
  const signed = s instanceof Int16Array;
  const n = s.length;
  const need = DATA + n * 2;
  if (!growTo(k.mem, need)) return null;
  const view = signed ? new Int16Array(k.mem.buffer) : new Uint16Array(k.mem.buffer);
  view.set(s, DATA / 2);
  const body = n & ~7;
  const lanePh = signed ? Math.max(-0x8000, Math.min(0x7fff, ph)) : Math.max(0, Math.min(0xffff, ph));
  (signed ? k.range_s : k.range_u)(DATA, DATA + body * 2, lanePh);
  let aboveLo = Infinity;
  let allHi = -Infinity;
  let allLo = Infinity;
  for (let l = 0; l < 8; l++) {
    if (view[l]! < aboveLo) aboveLo = view[l]!;
    if (view[8 + l]! > allHi) allHi = view[8 + l]!;
    if (view[16 + l]! < allLo) allLo = view[16 + l]!;
  }
  for (let i = body; i < n; i++) {
    const v = s[i]!;
    if (v > allHi) allHi = v;
    if (v < allLo) allLo = v;
    if (v > ph && v < aboveLo) aboveLo = v;
  }
  // ph below every lane value: all values are above it (the lanes compared against the clamped ph).
  if (ph < (signed ? -0x8000 : 0)) aboveLo = allLo;
  return { allLo, allHi, aboveLo: allHi > ph ? aboveLo : Infinity };
}
