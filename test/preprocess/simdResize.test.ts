import { describe, expect, it } from 'vitest';
import { resizeAreaLut, resizeAreaStored, resizeQuantizeStored, type Fit } from '../../src/preprocess/resize.ts';
import { integerMap, simdResizeKernel, type StoredMap } from '../../src/preprocess/simdResize.ts';
import { mapQuantize } from '../../src/preprocess/toImage.ts';
import { seededRandom } from '../../src/core/hash.ts';

/**
 * The WebAssembly SIMD vertical pass (simdResize.ts) must give exactly the scalar LUT path's
 * float32 bits (resize.ts resizeAreaLut), whatever the sizes, crop, sign, slope, intercept,
 * padding and black: a seeded random search over them, compared bit for bit (so −0 ≠ +0).
 */

/** Seeded, so the cases are the same on every run. */
const rng = seededRandom;

const lut = new Float32Array(0x10000);

function viaLut(src: Int16Array | Uint16Array, m: StoredMap, range: [number, number], rows: number, cols: number, size: number, fit: Fit): Float32Array {
  const signed = src instanceof Int16Array;
  for (let s = range[0]; s <= range[1]; s++) lut[s & 0xffff] = s >= m.padLo && s <= m.padHi ? m.black : s * m.slope + m.intercept;
  const raw = signed ? new Uint16Array(src.buffer, src.byteOffset, src.length) : src;
  return resizeAreaLut(raw, lut, rows, cols, size, fit);
}

describe('simdResize: the SIMD vertical pass', () => {
  it('loads on this Node (so the tests below compare the kernel, not the fallback)', () => {
    expect(simdResizeKernel()).not.toBeNull();
  });

  /** A seeded random frame, map and resize, or null where the map is not integer. */
  function randomCase(r: () => number) {
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    const rows = int(3, 200);
    const cols = int(3, 200);
    const size = r() < 0.3 ? int(2, 100) : Math.max(2, Math.round(Math.min(rows, cols) / (2 + r()))); // often 2–3× down: 4 horizontal taps
    const fit: Fit = r() < 0.5 ? 'stretch' : 'crop';
    const signed = r() < 0.6;
    const [lo, hi] = signed ? [int(-0x8000, 0), int(0, 0x7fff)] : [int(0, 0x7fff), int(0x8000, 0xffff)];
    const src = signed ? new Int16Array(rows * cols) : new Uint16Array(rows * cols);
    for (let i = 0; i < src.length; i++) src[i] = int(lo, hi);
    const pad = int(lo, hi);
    const m: StoredMap = {
      slope: [1, 1, -1, 2, 3][int(0, 4)]!,
      intercept: int(-3000, 3000),
      // No padding is written as an empty range, sometimes ±Infinity as the decoder passes it.
      ...(r() < 0.2 ? { padLo: Infinity, padHi: -Infinity } : { padLo: r() < 0.3 ? 1 : r() < 0.5 ? pad : -0x10001, padHi: r() < 0.3 ? 0 : pad }),
      black: int(-5000, 5000),
    };
    for (let i = 0; i < src.length; i += int(1, 40)) src[i] = pad;
    // The affine map to [0, 1] of a min-max range around the values (sometimes clipping them).
    const span = Math.max(1, Math.abs(hi - lo) * Math.abs(m.slope)) * (0.5 + r());
    const unit = { a: 1 / span, b: -(Math.min(lo * m.slope, hi * m.slope) + m.intercept) / span + (r() - 0.5) * 0.2 };
    return integerMap(m, lo, hi) ? { rows, cols, size, fit, src, m, range: [lo, hi] as [number, number], unit } : null;
  }

  const bits = (f: Float32Array) => new Uint32Array(f.buffer, f.byteOffset, f.length);

  it('is bit-identical to the scalar LUT path on 400 random frames', () => {
    const r = rng(12);
    let compared = 0;
    for (let c = 0; c < 400; c++) {
      const k = randomCase(r);
      if (!k) continue;
      const fast = resizeAreaStored(k.src, k.m, k.rows, k.cols, k.size, k.fit);
      if (!fast) continue; // a window of more than 5 rows: the scalar path
      expect(bits(fast)).toEqual(bits(viaLut(k.src, k.m, k.range, k.rows, k.cols, k.size, k.fit)));
      compared++;
    }
    expect(compared).toBeGreaterThan(150);
  });

  it('resizes and quantises to the same bytes as the LUT path and mapQuantize, on 400 random frames', () => {
    const r = rng(34);
    let compared = 0;
    for (let c = 0; c < 400; c++) {
      const k = randomCase(r);
      if (!k) continue;
      const fast = resizeQuantizeStored(k.src, k.m, k.unit, k.rows, k.cols, k.size, k.fit);
      if (!fast) continue; // not 4 horizontal taps, or a wide vertical window: the float path
      const resized = viaLut(k.src, k.m, k.range, k.rows, k.cols, k.size, k.fit);
      const want = mapQuantize(resized, k.unit.a, k.unit.b); // the scalar path's quantisation: the oracle
      expect(fast).toEqual(want);
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('takes only maps whose values int32 lanes and float32 hold exactly', () => {
    const m: StoredMap = { slope: 1, intercept: -1024, padLo: -2000, padHi: -2000, black: -1024 };
    expect(integerMap(m, -2000, 3071)).toBe(true);
    expect(integerMap({ ...m, slope: 0.5 }, -2000, 3071)).toBe(false);
    expect(integerMap({ ...m, intercept: -1024.5 }, -2000, 3071)).toBe(false);
    expect(integerMap({ ...m, black: 0.25 }, -2000, 3071)).toBe(false);
    expect(integerMap({ ...m, black: -0 }, -2000, 3071)).toBe(false);
    expect(integerMap({ ...m, slope: 300 }, 0, 65535)).toBe(false); // 65535·300 ≥ 2^24
  });
});
