import { describe, expect, it } from 'vitest';
import { fitGeometry, parseFit, resizeArea } from '../../src/preprocess/resize.ts';
import { ConfigError } from '../../src/core/errors.ts';

const grid = (rows: number, cols: number, f: (y: number, x: number) => number) =>
  Float32Array.from({ length: rows * cols }, (_, i) => f(Math.floor(i / cols), i % cols));

describe('resizeArea', () => {
  it('averages 2×2 blocks of a 4×4 exactly', () => {
    const src = grid(4, 4, (y, x) => y * 4 + x); // 0..15
    // blocks: (0+1+4+5)/4 = 2.5, (2+3+6+7)/4 = 4.5, (8+9+12+13)/4 = 10.5, (10+11+14+15)/4 = 12.5
    expect(Array.from(resizeArea(src, 4, 4, 2, 'stretch'))).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('weights fractional edges for a non-integer ratio (3 → 2)', () => {
    const src = Float32Array.from([0, 3, 6, 0, 3, 6, 0, 3, 6]); // 3×3, columns 0, 3, 6
    // output column 0 covers source [0, 1.5): (0·1 + 3·0.5)/1.5 = 1; column 1 covers [1.5, 3): (3·0.5 + 6)/1.5 = 5
    const out = Array.from(resizeArea(src, 3, 3, 2, 'stretch'));
    out.forEach((v, i) => expect(v).toBeCloseTo([1, 5, 1, 5][i]!, 5));
  });

  it('keeps the mean of a 512² image when shrinking to 224²', () => {
    const src = grid(512, 512, (y, x) => (x * 7 + y * 13) % 101);
    const mean = (a: Float32Array) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(resizeArea(src, 512, 512, 224, 'stretch'))).toBeCloseTo(mean(src), 2);
  });

  it('the unrolled and the mapped vertical passes agree (identity map, values in [0, 1])', () => {
    for (const [rows, cols, size] of [[512, 512, 224], [300, 170, 64], [20, 33, 7], [9, 9, 40]] as const) {
      const src = grid(rows, cols, (y, x) => ((x * 7 + y * 13) % 101) / 100);
      const a = resizeArea(src, rows, cols, size, 'stretch');
      const b = resizeArea(src, rows, cols, size, 'stretch', { a: 1, b: 0, padding: null });
      let max = 0;
      for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
      expect(max, `${rows}×${cols}→${size}`).toBeLessThan(1e-5);
    }
  });

  it('upscales a constant image to the same constant', () => {
    const out = resizeArea(new Float32Array(16 * 16).fill(0.25), 16, 16, 40, 'stretch');
    expect(out.every((v) => Math.abs(v - 0.25) < 1e-6)).toBe(true);
  });

  it('pad letterboxes in black and crop takes the centre square', () => {
    // 2 rows × 4 cols, left half 1, right half 0.5
    const src = grid(2, 4, (_y, x) => (x < 2 ? 1 : 0.5));
    expect(fitGeometry(2, 4, 4, 'pad')).toEqual({ srcX: 0, srcY: 0, srcW: 4, srcH: 2, dstX: 0, dstY: 1, dstW: 4, dstH: 2 });
    expect(Array.from(resizeArea(src, 2, 4, 4, 'pad'))).toEqual([0, 0, 0, 0, 1, 1, 0.5, 0.5, 1, 1, 0.5, 0.5, 0, 0, 0, 0]);
    expect(fitGeometry(2, 4, 2, 'crop')).toEqual({ srcX: 1, srcY: 0, srcW: 2, srcH: 2, dstX: 0, dstY: 0, dstW: 2, dstH: 2 });
    expect(Array.from(resizeArea(src, 2, 4, 2, 'crop'))).toEqual([1, 0.5, 1, 0.5]);
    // stretch squeezes: columns average pairs
    expect(Array.from(resizeArea(src, 2, 4, 2, 'stretch'))).toEqual([1, 0.5, 1, 0.5]);
    // tall image, pad: centred horizontally
    expect(fitGeometry(300, 100, 224, 'pad')).toMatchObject({ dstW: 75, dstH: 224, dstX: 74, dstY: 0 });
  });

  it('parseFit accepts the three policies only', () => {
    expect(parseFit('crop')).toBe('crop');
    expect(() => parseFit('contain')).toThrow(ConfigError);
  });
});
