import { describe, expect, it } from 'vitest';
import { frameToImage, needsInversion, pixelHash, type FrameFacts } from '../../src/preprocess/toImage.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import { quantize, toUnit } from '../../src/preprocess/normalize.ts';
import { resizeArea } from '../../src/preprocess/resize.ts';

const facts = (rows: number, cols: number, invert = false): FrameFacts => ({
  rows, cols, invert, modality: 'CT', label: 'CT', bitsAllocated: 16, pixelRepresentation: 1, slope: 1, intercept: 0,
});

describe('frameToImage', () => {
  it('normalises, resizes and quantises a 4×4 into a 2×2 with padding excluded from the range', () => {
    // top-left block padding (−2000); others constant blocks 0, 100, 50
    const v = Float32Array.from([
      -2000, -2000, 0, 0,
      -2000, -2000, 0, 0,
      100, 100, 50, 50,
      100, 100, 50, 50,
    ]);
    const pad = Uint8Array.from(v, (x) => (x === -2000 ? 1 : 0));
    const r = frameToImage(v, pad, facts(4, 4), { size: 2, fit: 'stretch', normalize: { kind: 'minmax' } });
    expect([r.normLo, r.normHi]).toEqual([0, 100]);
    expect(Array.from(r.image)).toEqual([0, 0, 255, 128]);
    expect(r.pixelHash).toBe(sha256Hex(r.image).slice(0, 16));
    expect(r.pixelHash).toHaveLength(16);
  });

  it('inverts MONOCHROME1 but keeps padding black', () => {
    const v = Float32Array.from([-1, 0, 10, 5]);
    const pad = Uint8Array.from([1, 0, 0, 0]);
    const r = frameToImage(v, pad, facts(2, 2, true), { size: 2, fit: 'stretch', normalize: { kind: 'minmax' } });
    expect(Array.from(r.image)).toEqual([0, 255, 0, 128]);
  });

  it('equals toUnit + resize + quantize (within rounding) on every path', () => {
    const v = Float32Array.from({ length: 7 * 5 }, (_, i) => ((i * 37) % 23) - 5);
    const pad = Uint8Array.from(v, (_, i) => (i % 6 === 0 ? 1 : 0));
    for (const normalize of [{ kind: 'percentile' as const, lo: 10, hi: 90 }, { kind: 'minmax' as const }]) {
      for (const fit of ['pad', 'stretch', 'crop'] as const) {
        for (const invert of [false, true]) {
          const r = frameToImage(v.slice(), pad, { ...facts(7, 5, invert) }, { size: 3, fit, normalize });
          const want = quantize(resizeArea(toUnit(v, pad, { lo: r.normLo, hi: r.normHi }, invert), 7, 5, 3, fit));
          r.image.forEach((x, i) => expect(Math.abs(x - want[i]!), `${normalize.kind} ${fit} ${invert} #${i}`).toBeLessThanOrEqual(1));
        }
      }
    }
  });

  it('inversion rule: MONOCHROME1 or INVERSE, applied once', () => {
    expect(needsInversion('MONOCHROME1', null)).toBe(true);
    expect(needsInversion('MONOCHROME1', 'INVERSE')).toBe(true);
    expect(needsInversion('MONOCHROME2', 'INVERSE')).toBe(true);
    expect(needsInversion('MONOCHROME2', 'IDENTITY')).toBe(false);
    expect(pixelHash(new Uint8Array(0))).toBe('e3b0c44298fc1c14');
  });
});
