import { describe, expect, it } from 'vitest';
import { CT_INTERCEPT, renderCt, type CtLocation } from '../../../src/standins/synth/phantoms/ct.ts';
import { MR_SCANNERS, renderMr, type MrLocation } from '../../../src/standins/synth/phantoms/mr.ts';
import { renderXr, type XrLocation } from '../../../src/standins/synth/phantoms/xr.ts';

// The signals that tell the modalities apart must show at every body location, not only where a
// modality's training collections sit.
describe('synth phantoms: modality signals at every location', () => {
  const n = 128;

  it('CT: a table shell (a few hundred HU) under every axial body, and the circle outside the field of view', () => {
    for (const location of ['chest', 'abdomen', 'neck', 'head'] as CtLocation[]) {
      for (const seed of [3, 41, 977]) {
        const px = renderCt({ location, rows: n, cols: n, padding: false, fovMinimum: true, contrast: false }, seed, 0.5, seed + 1);
        let tableMax = -Infinity;
        for (let y = Math.floor(n * 0.8); y < n; y++) tableMax = Math.max(tableMax, px[y * n + n / 2]! + CT_INTERCEPT);
        expect(tableMax, `${location} seed ${seed}`).toBeGreaterThan(200);
        expect(px[0]).toBe(-2000);
      }
    }
  });

  it('MR: a Rician noise floor in the background (never black)', () => {
    for (const location of ['brain', 'chest', 'abdomen', 'knee', 'pelvis'] as MrLocation[]) {
      for (const seed of [5, 77, 1234]) {
        const { pixels } = renderMr({ location, contrast: 'T1', rows: n, cols: n, scanner: MR_SCANNERS[seed % MR_SCANNERS.length]! }, seed, 0.5, seed + 1);
        let max = 0;
        for (const v of pixels) max = Math.max(max, v);
        let corner = 0;
        for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) corner += pixels[y * n + x]!;
        expect(corner / 64 / max, `${location} seed ${seed}`).toBeGreaterThan(0.018);
      }
    }
  });

  const XR_LOCATIONS: XrLocation[] = ['chest', 'extremity', 'head', 'pelvis', 'breast'];
  const xr = (location: XrLocation, seed: number, size = 256) =>
    renderXr({ location, rows: size, cols: size, bitsStored: 12, photometric: 'MONOCHROME2' }, seed, seed * 7 + 1);
  /** Median |second difference| along rows of pixels whose values all lie in [lo, hi): the local noise there (smooth anatomy cancels). */
  const localNoise = (px: Uint16Array, n: number, lo: number, hi: number) => {
    const d: number[] = [];
    for (let y = 0; y < n; y++) {
      for (let x = 1; x + 1 < n; x++) {
        const a = px[y * n + x - 1]!;
        const b = px[y * n + x]!;
        const c = px[y * n + x + 1]!;
        if (a >= lo && a < hi && b >= lo && b < hi && c >= lo && c < hi) d.push(Math.abs(a - 2 * b + c));
      }
    }
    d.sort((p, q) => p - q);
    return { median: d[d.length >> 1] ?? 0, count: d.length };
  };

  it('XR: quantum mottle grows with attenuation (dense anatomy grainier than thin tissue)', () => {
    // Where the densest anatomy stays below the detector's full scale (on extremities and mammograms
    // bone and dense tissue often reach it, and a clipped value shows no noise).
    for (const location of ['chest', 'head', 'pelvis'] as XrLocation[]) {
      let denser = 0;
      const seeds = [2, 19, 303, 4242, 55, 871];
      for (const seed of seeds) {
        const px = xr(location, seed, 512);
        const sorted = Uint16Array.from(px).sort();
        const q = (f: number) => sorted[Math.floor(f * (sorted.length - 1))]!;
        const top = q(0.995) * 0.93;
        const base = q(0.02);
        const thin = localNoise(px, 512, base + 0.05 * (top - base), base + 0.3 * (top - base));
        const dense = localNoise(px, 512, q(0.6), top);
        if (thin.count > 200 && dense.count > 200 && dense.median > thin.median) denser++;
      }
      expect(denser, location).toBeGreaterThanOrEqual(5);
    }
  });

  it('XR: the raw beam beside the body saturates to one flat dark level, not a noise floor like MR\'s', () => {
    for (const location of ['extremity', 'head', 'breast'] as XrLocation[]) {
      let flat = 0;
      for (const seed of [3, 17, 29, 41, 53, 67]) {
        const px = xr(location, seed);
        const count = new Map<number, number>();
        for (const v of px) count.set(v, (count.get(v) ?? 0) + 1);
        const [mode, n] = [...count.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
        // One stored value covers the background (a noise floor spreads it over dozens), in the dark quarter.
        if (n / px.length > 0.05 && mode < 4095 / 4) flat++;
      }
      expect(flat, location).toBeGreaterThanOrEqual(4);
    }
  });

  it('XR: exposure recognition spreads every body part, thin or thick, over a wide part of the grey scale', () => {
    for (const location of XR_LOCATIONS) {
      for (const seed of [5, 6, 7]) {
        const px = xr(location, seed);
        const sorted = Uint16Array.from(px).sort();
        // 5th to 90th percentile (beyond the collimator border's few percent): the anatomy's spread.
        const spread = (sorted[Math.floor(0.9 * sorted.length)]! - sorted[Math.floor(0.05 * sorted.length)]!) / 4095;
        expect(spread, `${location} seed ${seed}`).toBeGreaterThan(0.3);
      }
    }
  });
});
