import { describe, expect, it } from 'vitest';
import { confusionMatrix, groupAccuracy, summarize } from '../../src/train/metrics.ts';
import { cosineLr, plateauStep, type PlateauState } from '../../src/train/sgd.ts';
import { chunksOf } from '../../src/train/hostBatches.ts';
import { confusionSvg, curvesSvg } from '../../src/train/charts.ts';
import type { EpochMetrics } from '../../src/train/trainState.ts';

describe('classification metrics', () => {
  // rows: true CT, MR, PT, XR; columns: predicted
  const cm = [
    [50, 2, 3, 0],
    [4, 30, 0, 1],
    [10, 0, 5, 0],
    [0, 0, 0, 0],
  ];
  const names = ['CT', 'MR', 'PT', 'XR'];

  it('match hand calculations on a fixed confusion matrix', () => {
    const s = summarize(cm, names);
    expect(s.images).toBe(105);
    expect(s.correct).toBe(85);
    expect(s.accuracy).toBeCloseTo(85 / 105, 12);
    // recalls: CT 50/55, MR 30/35, PT 5/15; XR has no rows and is left out of the mean
    expect(s.balancedAccuracy).toBeCloseTo((50 / 55 + 30 / 35 + 5 / 15) / 3, 12);
    const ct = s.perClass[0]!;
    expect(ct.precision).toBeCloseTo(50 / 64, 12);
    expect(ct.recall).toBeCloseTo(50 / 55, 12);
    expect(ct.f1).toBeCloseTo((2 * (50 / 64) * (50 / 55)) / (50 / 64 + 50 / 55), 12);
    const xr = s.perClass[3]!;
    expect(xr).toMatchObject({ support: 0, predicted: 1, precision: 0, recall: null, f1: null });
    expect(s.perClass[2]!.precision).toBeCloseTo(5 / 8, 12);
  });

  it('builds the confusion matrix from labels and predictions', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 0, 2, 2], 3);
    expect(m).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ]);
    expect(() => confusionMatrix([0, 5], [0, 1], 3)).toThrow(/out of range/);
  });

  it('groups accuracy per dataset, location and true modality (paper Table 3)', () => {
    const g = groupAccuracy([0, 0, 0, 3, 3], [0, 1, 0, 3, 0], ['A', 'A', 'A', 'B', 'B'], names, (d) => (d === 'A' ? 'chest' : 'unknown'));
    expect(g).toEqual([
      { dataset: 'A', location: 'chest', modality: 'CT', images: 3, correct: 2, accuracy: 2 / 3, topConfusion: { className: 'MR', images: 1 } },
      { dataset: 'B', location: 'unknown', modality: 'XR', images: 2, correct: 1, accuracy: 0.5, topConfusion: { className: 'CT', images: 1 } },
    ]);
  });

  it('renders the confusion matrix as SVG with every count', () => {
    const svg = confusionSvg(cm, names);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const n of [50, 30, 10, 5, 4]) expect(svg).toContain(`>${n}<`);
  });

  it('draws loss and accuracy side by side as a chart that stands alone, with each epoch\'s learning rate', () => {
    const epoch = (e: number, lr: number) => ({ epoch: e, lr, trainLoss: 1 / e, trainAccuracy: 0.5 + e / 10, valLoss: 1.2 / e, valAccuracy: 0.4 + e / 10 });
    const svg = curvesSvg([epoch(1, 0.01), epoch(2, 0.001)] as unknown as EpochMetrics[], 'run');
    expect(svg).toMatch(/^<svg[^>]*><style>/); // its own stylesheet: the .svg file and the PNG look like the report
    expect(svg.match(/class="ctitle">(loss|accuracy)</g)).toHaveLength(2);
    expect(svg).toContain('1:0.01  2:0.001');
  });
});

describe('learning-rate plateau schedule (PyTorch ReduceLROnPlateau, patience 2)', () => {
  it('divides the LR by 10 at the third epoch without improvement', () => {
    let st: PlateauState = { best: null, badEpochs: 0 };
    let lr = 0.1;
    const lrs: number[] = [];
    for (const loss of [1.0, 0.8, 0.8, 0.81, 0.85, 0.7, 0.7, 0.7, 0.7]) {
      const r = plateauStep(st, loss, 2, lr);
      st = r.state;
      lr = r.lr;
      lrs.push(lr);
    }
    expect(lrs.map((x) => Number(x.toPrecision(3)))).toEqual([0.1, 0.1, 0.1, 0.1, 0.01, 0.01, 0.01, 0.01, 0.001]);
  });

  it('cosine schedule: the full rate in epoch 1, half at mid-run, near zero in the last epoch, never negative', () => {
    const lrs = Array.from({ length: 8 }, (_, e) => cosineLr(0.02, e, 8));
    expect(lrs[0]).toBe(0.02);
    expect(lrs[4]).toBeCloseTo(0.01, 10);
    expect(lrs[7]!).toBeLessThan(0.001);
    expect(lrs[7]!).toBeGreaterThan(0);
    for (let e = 1; e < 8; e++) expect(lrs[e]!).toBeLessThan(lrs[e - 1]!);
    expect(cosineLr(0.02, 8, 8)).toBe(0);
  });

  it('splits shard batches into micro-batches', () => {
    expect(chunksOf(128, 128)).toEqual([[0, 128]]);
    expect(chunksOf(70, 32)).toEqual([[0, 32], [32, 64], [64, 70]]);
  });
});
