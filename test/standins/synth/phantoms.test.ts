import { describe, expect, it } from 'vitest';
import { CT_INTERCEPT, renderCt, type CtLocation } from '../../../src/standins/synth/phantoms/ct.ts';
import { MR_SCANNERS, renderMr, type MrLocation } from '../../../src/standins/synth/phantoms/mr.ts';

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
    for (const location of ['brain', 'chest', 'abdomen', 'knee'] as MrLocation[]) {
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
});
