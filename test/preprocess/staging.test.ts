import { describe, expect, it } from 'vitest';
import { decodeStaging, encodeStaging } from '../../src/preprocess/staging.ts';
import type { StagedSample } from '../../src/core/types.ts';

function sample(i: number, size: number): StagedSample {
  return {
    image: Uint8Array.from({ length: size * size }, (_, k) => (k * 7 + i) & 255),
    dataset: 'DS-A', patientId: `P${i}`, studyUid: '1.2.3', seriesUid: '1.2.3.4', sopUid: `1.2.3.4.${i}`,
    frame: i % 2, modality: 'CT', label: 'CT', bodyPart: 'CHEST', rows: 512, cols: 512,
    normLo: -1024 + i, normHi: 3071.5, pixelHash: `hash${i}`,
  };
}

describe('staging files', () => {
  it('round-trip every column and every pixel', () => {
    const samples = [0, 1, 2].map((i) => sample(i, 8));
    const back = decodeStaging(encodeStaging(samples, 8, { configHash: 'abc' }));
    expect(back.size).toBe(8);
    expect(back.metadata.configHash).toBe('abc');
    expect(back.samples).toHaveLength(3);
    back.samples.forEach((s, i) => {
      const want = samples[i]!;
      expect(Array.from(s.image)).toEqual(Array.from(want.image));
      expect({ ...s, image: null }).toEqual({ ...want, image: null });
    });
  });

  it('write an empty series as a valid file with zero rows', () => {
    expect(decodeStaging(encodeStaging([], 8)).samples).toEqual([]);
  });

  it('reject bytes that are not a staging file with a clear code', () => {
    expect(() => decodeStaging(new Uint8Array([1, 2, 3]), 'x.arrow')).toThrow(/x.arrow/);
  });
});
