import { describe, expect, it } from 'vitest';
import {
  dtypeRange,
  formatNormalize,
  minMax,
  normalizationRange,
  parseNormalize,
  percentiles,
  quantize,
  toUnit,
  type RangeFacts,
} from '../../src/preprocess/normalize.ts';
import { ConfigError, DataError } from '../../src/core/errors.ts';

const CT: RangeFacts = { modality: 'CT', label: 'CT', bitsAllocated: 16, pixelRepresentation: 1, slope: 1, intercept: -1024 };
const f32 = (a: number[]) => Float32Array.from(a);

describe('parseNormalize', () => {
  it('reads every method and canonicalises it', () => {
    expect(parseNormalize('minmax')).toEqual({ kind: 'minmax' });
    expect(parseNormalize('dtype-range')).toEqual({ kind: 'dtype-range' });
    expect(parseNormalize('percentile:0.5,99.5')).toEqual({ kind: 'percentile', lo: 0.5, hi: 99.5 });
    expect(parseNormalize('percentile')).toEqual({ kind: 'percentile', lo: 0.5, hi: 99.5 });
    const w = parseNormalize('window:mr=0,800,CT=-1000,1000');
    expect(w).toEqual({ kind: 'window', windows: { MR: [0, 800], CT: [-1000, 1000] } });
    expect(formatNormalize(w)).toBe('window:CT=-1000,1000,MR=0,800');
  });
  it('rejects bad specs with a ConfigError', () => {
    for (const bad of ['max', 'percentile:5', 'percentile:60,40', 'window:CT=-1000', 'window:CT=5,1']) {
      expect(() => parseNormalize(bad), bad).toThrow(ConfigError);
    }
  });
});

describe('ranges', () => {
  it('min-max excludes padding pixels', () => {
    const v = f32([-2000, 5, 7, -2000, 12, 3]);
    const pad = Uint8Array.from([1, 0, 0, 1, 0, 0]);
    expect(normalizationRange(v, pad, { kind: 'minmax' }, CT)).toEqual({ lo: 3, hi: 12 });
    expect(normalizationRange(v, null, { kind: 'minmax' }, CT)).toEqual({ lo: -2000, hi: 12 });
  });

  it('percentiles match numpy linear interpolation on integer data', () => {
    // 0..99: np.percentile(x, [1, 99]) = [0.99, 98.01]; np.percentile(x, 50) = 49.5
    const v = f32(Array.from({ length: 100 }, (_, i) => 99 - i));
    const [a, b, c] = percentiles(v, null, [1, 99, 50]);
    expect(a).toBeCloseTo(0.99, 6);
    expect(b).toBeCloseTo(98.01, 6);
    expect(c).toBeCloseTo(49.5, 6);
  });

  it('percentiles ignore padding and clip a hot spot', () => {
    // 198 pixels of 0..9 (pattern), one hot spot 5000, one padding pixel −3000
    const vals = Array.from({ length: 198 }, (_, i) => i % 10);
    const v = f32([...vals, 5000, -3000]);
    const pad = new Uint8Array(200);
    pad[199] = 1;
    const r = normalizationRange(v, pad, { kind: 'percentile', lo: 0.5, hi: 99.5 }, CT);
    expect(r.lo).toBe(0);
    // 199 non-padding values sorted: rank 0.995*198 = 197.01 → between x[197]=9 and x[198]=5000
    expect(r.hi).toBeCloseTo(9 + 0.01 * 4991, 3);
    expect(normalizationRange(v, pad, { kind: 'minmax' }, CT)).toEqual({ lo: 0, hi: 5000 });
  });

  it('percentiles of non-integer data come from the histogram within one bin', () => {
    const v = Float32Array.from({ length: 10001 }, (_, i) => i * 0.0532);
    const [p10, p90] = percentiles(v, null, [10, 90]);
    const width = (10000 * 0.0532) / 4096;
    expect(Math.abs(p10! - 1000 * 0.0532)).toBeLessThan(width);
    expect(Math.abs(p90! - 9000 * 0.0532)).toBeLessThan(width);
  });

  it('window uses the class, then the modality, else min-max', () => {
    const spec = parseNormalize('window:CT=-1000,1000,PT=0,10');
    const v = f32([-50, 0, 50]);
    expect(normalizationRange(v, null, spec, CT)).toEqual({ lo: -1000, hi: 1000 });
    expect(normalizationRange(v, null, spec, { ...CT, label: 'XX', modality: 'PT' })).toEqual({ lo: 0, hi: 10 });
    expect(normalizationRange(v, null, spec, { ...CT, label: 'MR', modality: 'MR' })).toEqual({ lo: -50, hi: 50 });
  });

  it('dtype-range maps the stored container through the modality LUT', () => {
    expect(dtypeRange(CT)).toEqual({ lo: -32768 - 1024, hi: 32767 - 1024 });
    expect(dtypeRange({ ...CT, pixelRepresentation: 0, bitsAllocated: 8, slope: -2, intercept: 10 })).toEqual({ lo: -500, hi: 10 });
    expect(normalizationRange(f32([1, 2]), null, { kind: 'dtype-range' }, { ...CT, pixelRepresentation: 0, intercept: 0 })).toEqual({
      lo: 0,
      hi: 65535,
    });
  });

  it('constant and all-padding images are rejected as CONSTANT_IMAGE', () => {
    const v = f32([-2000, 40, 40, 40]);
    const pad = Uint8Array.from([1, 0, 0, 0]);
    for (const spec of [{ kind: 'minmax' as const }, parseNormalize('window:CT=-1000,1000'), { kind: 'dtype-range' as const }]) {
      let err: unknown;
      try {
        normalizationRange(v, pad, spec, CT);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).code).toBe('CONSTANT_IMAGE');
      expect((err as DataError).message).toMatch(/constant image/);
    }
    expect(() => normalizationRange(v, Uint8Array.from([1, 1, 1, 1]), { kind: 'minmax' }, CT)).toThrow(/padding/);
    expect(minMax(v, Uint8Array.from([1, 1, 1, 1])).count).toBe(0);
  });
});

describe('toUnit and quantize', () => {
  it('maps [lo, hi] to 0..255 with padding black', () => {
    const v = f32([-2000, 3, 6, 12, 20]);
    const pad = Uint8Array.from([1, 0, 0, 0, 0]);
    const u = toUnit(v, pad, { lo: 3, hi: 12 }, false);
    expect(Array.from(quantize(u))).toEqual([0, 0, 85, 255, 255]);
  });

  it('inverts MONOCHROME1 after normalisation, non-padding pixels only', () => {
    const v = f32([-2000, 3, 6, 12]);
    const pad = Uint8Array.from([1, 0, 0, 0]);
    const u = toUnit(v, pad, { lo: 3, hi: 12 }, true);
    // 3 → 1 → 255; 6 → 1 − 1/3 → 170; 12 → 0; padding stays 0 (black, not white)
    expect(Array.from(quantize(u))).toEqual([0, 255, 170, 0]);
  });

  it('works in place', () => {
    const v = f32([0, 5, 10]);
    const out = toUnit(v, null, { lo: 0, hi: 10 }, false, v);
    expect(out).toBe(v);
    expect(Array.from(v)).toEqual([0, 0.5, 1]);
    expect(Array.from(quantize(v))).toEqual([0, 128, 255]);
  });
});
