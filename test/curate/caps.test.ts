import { describe, expect, it } from 'vitest';
import { applyCap, capSequence, parseCaps } from '../../src/curate/caps.ts';
import { ConfigError } from '../../src/core/errors.ts';

// TCIA order: A(p2,40) B(p1,50) C(p2,30) D(p1,20) E(p3,5)
const items = [
  { index: 0, patientId: 'p2', imageCount: 40, id: 'A' },
  { index: 1, patientId: 'p1', imageCount: 50, id: 'B' },
  { index: 2, patientId: 'p2', imageCount: 30, id: 'C' },
  { index: 3, patientId: 'p1', imageCount: 20, id: 'D' },
  { index: 4, patientId: 'p3', imageCount: 5, id: 'E' },
];
const keepById = (m: Map<number, number>) => Object.fromEntries(items.map((i) => [i.id, m.get(i.index)]));

describe('caps', () => {
  it('tcia order takes series as listed; the straddling series keeps the remainder, later ones are dropped', () => {
    // 40 + 50 = 90, C straddles 100 → keeps 10; D and E (even the 5-image one) come after the cap.
    expect(keepById(applyCap(items, 100, 'tcia'))).toEqual({ A: 40, B: 50, C: 10, D: 0, E: 0 });
  });

  it('spread order round-robins over patients sorted by PatientID, series in TCIA order', () => {
    expect(capSequence(items, 'spread').map((i) => i.id)).toEqual(['B', 'A', 'E', 'D', 'C']);
    // B 50, A 40 (90), E 5 (95), D straddles → 5, C dropped.
    expect(keepById(applyCap(items, 100, 'spread'))).toEqual({ A: 40, B: 50, C: 0, D: 5, E: 5 });
  });

  it('an exact fit keeps the whole series and nothing after it; no cap keeps everything', () => {
    expect(keepById(applyCap(items, 90, 'tcia'))).toEqual({ A: 40, B: 50, C: 0, D: 0, E: 0 });
    expect(keepById(applyCap(items, undefined, 'tcia'))).toEqual({ A: 40, B: 50, C: 30, D: 20, E: 5 });
  });

  it('parses --cap lists and refuses bad ones', () => {
    expect(parseCaps('CT=50000,MR=100000')).toEqual({ CT: 50000, MR: 100000 });
    expect(parseCaps(['CT=5', 'XR=7'], ['CT', 'MR', 'PT', 'XR'])).toEqual({ CT: 5, XR: 7 });
    expect(parseCaps(undefined)).toBeUndefined();
    expect(() => parseCaps('CT=0')).toThrow(ConfigError);
    expect(() => parseCaps('CT:5')).toThrow(/CLASS=IMAGES/);
    expect(() => parseCaps('CR=5', ['CT', 'MR', 'PT', 'XR'])).toThrow(/unknown class "CR"/);
  });
});
