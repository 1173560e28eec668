/**
 * Accurate integer 8×8 inverse DCT with the exact integer semantics of IJG libjpeg 6b's
 * `jpeg_idct_islow` (jidctint.c) — the default IDCT of DCMTK, GDCM and libjpeg-turbo — so that
 * decoded samples agree with them bit for bit:
 *  - CONST_BITS 13; PASS1_BITS 2 for 8-bit samples, 1 for 12-bit;
 *  - dequantisation inside pass 1 (coefficient × multiplier, the multiplier table being the quant
 *    table as ISLOW_MULT_TYPE, which is `int` in IJG 6b for both precisions);
 *  - DESCALE = add half, arithmetic shift right (floor division);
 *  - integer widths as in a 64-bit Linux build (DCMTK, native libjpeg-turbo): INT32 is `long`
 *    (64-bit) so intermediates never wrap; pass-1 results are stored as `int` (low 32 bits);
 *    the dequantised coefficient is an int product. JS doubles hold every intermediate exactly
 *    (< 2^50). Only pathological streams (huge coefficients × 16-bit quant tables) overflow
 *    32 bits; there a 32-bit-INT32 build (GDCM) wraps and gives different samples;
 *  - the column/row short-cuts for all-zero AC terms (identical results on sane data, and kept
 *    so that out-of-range data wraps exactly like libjpeg);
 *  - output through the post-IDCT range-limit table of jdmaster.c, indexed with `& RANGE_MASK`.
 */

const CONST_BITS = 13;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** Per-precision IDCT state: range-limit table and pass-1 scaling. */
export interface IdctTables {
  precision: 8 | 12;
  pass1Bits: number;
  /** RANGE_MASK = 4·(MAXJSAMPLE+1) − 1. */
  rangeMask: number;
  /** libjpeg's `IDCT_range_limit(cinfo)[0 .. RANGE_MASK]`. */
  rangeLimit: Uint16Array;
  /** Pass-1 output, 64 ints (reused). */
  workspace: Int32Array;
}

/**
 * The post-IDCT half of jdmaster.c's `prepare_range_limit_table`, seen from IDCT_range_limit:
 * index x (already masked) is a value centred on 0 in two's complement over RANGE_MASK+1 entries;
 * it maps to clamp(x + CENTERJSAMPLE) for x in [−2·(MAX+1), 2·(MAX+1)), so values outside that
 * window wrap around (the libjpeg behaviour for wildly corrupt coefficients).
 */
export function makeIdctTables(precision: 8 | 12): IdctTables {
  const maxSample = (1 << precision) - 1;
  const center = 1 << (precision - 1);
  const size = 4 * (maxSample + 1);
  const rangeLimit = new Uint16Array(size);
  for (let x = 0; x < size; x++) {
    const s = x < 2 * (maxSample + 1) ? x : x - size;
    const v = s + center;
    rangeLimit[x] = v < 0 ? 0 : v > maxSample ? maxSample : v;
  }
  return { precision, pass1Bits: precision === 8 ? 2 : 1, rangeMask: size - 1, rangeLimit, workspace: new Int32Array(64) };
}

/** Output k of `butterfly` before DESCALE (reused: one block at a time per thread). */
const acc = new Float64Array(8);

/**
 * The 1-D 8-point IDCT of jidctint.c (even part, odd part, butterfly) on inputs x0..x7 — pass 1's
 * dequantised column, or pass 2's workspace row: acc[k] = output k before DESCALE. Every
 * intermediate is an integer below 2^50, so doubles hold it exactly.
 */
function butterfly(x0: number, x1: number, x2: number, x3: number, x4: number, x5: number, x6: number, x7: number): void {
  // Even part.
  let z1 = (x2 + x6) * FIX_0_541196100;
  let tmp2 = z1 - x6 * FIX_1_847759065;
  let tmp3 = z1 + x2 * FIX_0_765366865;
  let tmp0 = (x0 + x4) * 8192;
  let tmp1 = (x0 - x4) * 8192;
  const tmp10 = tmp0 + tmp3;
  const tmp13 = tmp0 - tmp3;
  const tmp11 = tmp1 + tmp2;
  const tmp12 = tmp1 - tmp2;
  // Odd part.
  tmp0 = x7;
  tmp1 = x5;
  tmp2 = x3;
  tmp3 = x1;
  z1 = tmp0 + tmp3;
  let z2 = tmp1 + tmp2;
  let z3 = tmp0 + tmp2;
  let z4 = tmp1 + tmp3;
  const z5 = (z3 + z4) * FIX_1_175875602;
  tmp0 *= FIX_0_298631336;
  tmp1 *= FIX_2_053119869;
  tmp2 *= FIX_3_072711026;
  tmp3 *= FIX_1_501321110;
  z1 *= -FIX_0_899976223;
  z2 *= -FIX_2_562915447;
  z3 = z3 * -FIX_1_961570560 + z5;
  z4 = z4 * -FIX_0_390180644 + z5;
  tmp0 += z1 + z3;
  tmp1 += z2 + z4;
  tmp2 += z2 + z3;
  tmp3 += z1 + z4;
  acc[0] = tmp10 + tmp3;
  acc[7] = tmp10 - tmp3;
  acc[1] = tmp11 + tmp2;
  acc[6] = tmp11 - tmp2;
  acc[2] = tmp12 + tmp1;
  acc[5] = tmp12 - tmp1;
  acc[3] = tmp13 + tmp0;
  acc[4] = tmp13 - tmp0;
}

/**
 * IDCT of one block. `coef` holds the 64 quantised coefficients in natural (row-major) order as
 * JCOEF (16-bit); `qmul` the multiplier table in natural order. Writes 8×8 samples into `out`
 * starting at `offset`, rows `stride` apart.
 */
export function idctIslow(t: IdctTables, coef: Int16Array, qmul: Int32Array, out: Uint16Array, offset: number, stride: number): void {
  const ws = t.workspace;
  const p1 = t.pass1Bits;
  // DESCALE(x, n) = floor((x + 2^(n−1)) / 2^n); multiplying by 2^−n is exact in doubles.
  const round1 = 2 ** (CONST_BITS - p1 - 1);
  const inv1 = 2 ** -(CONST_BITS - p1);
  const round2 = 2 ** (CONST_BITS + p1 + 2);
  const inv2 = 2 ** -(CONST_BITS + p1 + 3);
  const dcRound = 2 ** (p1 + 2);
  const invDc = 2 ** -(p1 + 3);
  const range = t.rangeLimit;
  const mask = t.rangeMask;

  // Pass 1: columns from the coefficient block into the (int) workspace.
  for (let c = 0; c < 8; c++) {
    if (coef[8 + c] === 0 && coef[16 + c] === 0 && coef[24 + c] === 0 && coef[32 + c] === 0 && coef[40 + c] === 0 && coef[48 + c] === 0 && coef[56 + c] === 0) {
      // int dcval = DEQUANTIZE(...) << PASS1_BITS (an int shift).
      const dc = (coef[c]! * qmul[c]!) << p1;
      for (let k = 0; k < 64; k += 8) ws[k + c] = dc;
      continue;
    }
    butterfly(
      coef[c]! * qmul[c]!, coef[8 + c]! * qmul[8 + c]!, coef[16 + c]! * qmul[16 + c]!, coef[24 + c]! * qmul[24 + c]!,
      coef[32 + c]! * qmul[32 + c]!, coef[40 + c]! * qmul[40 + c]!, coef[48 + c]! * qmul[48 + c]!, coef[56 + c]! * qmul[56 + c]!,
    );
    // (int) DESCALE(...): floor, then the low 32 bits (Int32Array store).
    for (let k = 0; k < 8; k++) ws[8 * k + c] = Math.floor((acc[k]! + round1) * inv1);
  }

  // Pass 2: rows from the workspace to output samples; `& mask` keeps the low bits of the index.
  for (let r = 0; r < 64; r += 8) {
    const o = offset + (r >> 3) * stride;
    const w0 = ws[r]!;
    if (ws[r + 1] === 0 && ws[r + 2] === 0 && ws[r + 3] === 0 && ws[r + 4] === 0 && ws[r + 5] === 0 && ws[r + 6] === 0 && ws[r + 7] === 0) {
      out.fill(range[Math.floor((w0 + dcRound) * invDc) & mask]!, o, o + 8);
      continue;
    }
    butterfly(w0, ws[r + 1]!, ws[r + 2]!, ws[r + 3]!, ws[r + 4]!, ws[r + 5]!, ws[r + 6]!, ws[r + 7]!);
    for (let k = 0; k < 8; k++) out[o + k] = range[Math.floor((acc[k]! + round2) * inv2) & mask]!;
  }
}

/**
 * The same IDCT for a block whose AC terms are all zero: every column takes the pass-1 DC
 * short-cut and every row the pass-2 one, so all 64 samples are one value.
 */
export function idctDcOnly(t: IdctTables, dc: number, q: number, out: Uint16Array, offset: number, stride: number): void {
  const w0 = (dc * q) << t.pass1Bits;
  const v = t.rangeLimit[Math.floor((w0 + 2 ** (t.pass1Bits + 2)) * 2 ** -(t.pass1Bits + 3)) & t.rangeMask]!;
  for (let r = 0, o = offset; r < 8; r++, o += stride) out.fill(v, o, o + 8);
}
