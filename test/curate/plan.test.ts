import { describe, expect, it } from 'vitest';
import { planFromCatalog, planJson } from '../../src/curate/plan.ts';
import type { CatalogSnapshot, TciaSeriesRow } from '../../src/core/catalog.ts';
import { seededRandom, shuffleInPlace } from '../../src/core/hash.ts';

function row(collection: string, n: number, patient: string, modality: string, images: number, extra: Partial<TciaSeriesRow> = {}): TciaSeriesRow {
  return {
    SeriesInstanceUID: `1.2.3.${collection.length}.${n}`,
    StudyInstanceUID: `1.2.4.${n}`,
    Modality: modality,
    Collection: collection,
    PatientID: patient,
    BodyPartExamined: 'CHEST',
    ImageCount: images,
    FileSize: images * 1000,
    ...extra,
  };
}

function snapshot(collection: string, series: TciaSeriesRow[]): CatalogSnapshot {
  return { version: 1, collection, fetchedAt: '2026-01-01T00:00:00.000Z', apiUrl: 'http://x', series };
}

const alpha = snapshot('Alpha', [
  row('Alpha', 1, 'A-2', 'CT', 40),
  row('Alpha', 2, 'A-1', 'CT', 50),
  row('Alpha', 3, 'A-2', 'SEG', 1),
  row('Alpha', 4, 'A-2', 'CT', 30),
  row('Alpha', 5, 'A-1', 'MR', 70, { BodyPartExamined: undefined }),
  row('Alpha', 6, 'A-3', 'CR', 2),
  row('Alpha', 7, 'A-1', 'CT', 20),
  row('Alpha', 8, 'A-3', 'US', 9),
]);
const beta = snapshot('Beta', [row('Beta', 1, 'B-1', 'MG', 4), row('Beta', 2, 'B-1', 'PT', 300), row('Beta', 3, 'B-2', 'DX', 1)]);
const gamma = snapshot('Gamma', Array.from({ length: 40 }, (_, i) => row('Gamma', i + 1, `G-${i % 7}`, i % 3 ? 'CT' : 'MR', 10 + i)));

const base = { name: 't', apiUrl: 'http://x', caps: { CT: 100, MR: 60 } };

describe('planFromCatalog', () => {
  it('maps modalities to classes, excludes the rest, and caps per dataset and class in TCIA order', () => {
    const { plan, excluded } = planFromCatalog({ ...base, catalogs: [alpha, beta] });
    const a = plan.series.filter((s) => s.dataset === 'Alpha');
    expect(a.map((s) => [s.seriesUid.split('.').pop(), s.label, s.keep])).toEqual([
      ['1', 'CT', 40],
      ['2', 'CT', 50],
      ['4', 'CT', 10], // straddles: 90 + 30 > 100 → remainder 10
      ['5', 'MR', 60], // MR cap 60 < 70
      ['6', 'XR', 2],
    ]);
    expect(a.find((s) => s.label === 'MR')!.bodyPart).toBe('UNKNOWN');
    expect(plan.series.filter((s) => s.dataset === 'Beta').map((s) => s.label)).toEqual(['XR', 'PT', 'XR']);
    expect(plan.summary).toContainEqual({ dataset: 'Alpha', label: 'CT', series: 3, images: 100, cappedFrom: 140 });
    expect(plan.summary).toContainEqual({ dataset: 'Beta', label: 'PT', series: 1, images: 300, cappedFrom: 300 });
    expect(excluded).toContainEqual({ dataset: 'Alpha', modality: 'SEG', reason: 'modality-not-mapped', series: 1, images: 1 });
    expect(excluded).toContainEqual({ dataset: 'Alpha', modality: 'US', reason: 'modality-not-mapped', series: 1, images: 9 });
    expect(excluded).toContainEqual({ dataset: 'Alpha', modality: 'CT', reason: 'over-cap', series: 1, images: 20 });
    expect(plan.inputs.collections).toEqual(['Alpha', 'Beta']);
    expect(plan.inputs.capOrder).toBe('tcia');
  });

  it('spread order keeps a different, hand-computed set', () => {
    const { plan } = planFromCatalog({ ...base, capOrder: 'spread', catalogs: [alpha] });
    // CT candidates: 1(A-2,40) 2(A-1,50) 4(A-2,30) 7(A-1,20). Spread: A-1 then A-2 per round: 2,1,7,4.
    // 50 + 40 = 90, series 7 straddles → 10, series 4 dropped.
    const ct = plan.series.filter((s) => s.label === 'CT').map((s) => [s.seriesUid.split('.').pop(), s.keep]);
    expect(ct).toEqual([['1', 40], ['2', 50], ['7', 10]]);
  });

  it('manifest datasets set name, location and modality filter; the global --modality filter applies too', () => {
    const { plan, excluded } = planFromCatalog({
      ...base,
      catalogs: [alpha, beta],
      datasets: [
        { name: 'beta-xr', collection: 'Beta', location: 'breast', modalities: ['MG', 'DX'] },
        { name: 'alpha', collection: 'ALPHA', location: 'chest' },
      ],
      modalities: ['MG', 'CT', 'MR'],
    });
    expect(plan.series.map((s) => `${s.dataset}:${s.modality}:${s.bodyPart}`)).toEqual([
      'beta-xr:MG:breast', 'alpha:CT:chest', 'alpha:CT:chest', 'alpha:CT:chest', 'alpha:MR:chest',
    ]);
    expect(excluded).toContainEqual({ dataset: 'beta-xr', modality: 'DX', reason: 'modality-filtered', series: 1, images: 1 });
  });

  it('is byte-identical whatever order the catalogs arrive in', () => {
    const ref = planJson(planFromCatalog({ ...base, catalogs: [alpha, beta, gamma] }).plan);
    const rnd = seededRandom(7);
    for (let i = 0; i < 5; i++) {
      const shuffled = shuffleInPlace([gamma, alpha, beta], rnd);
      expect(planJson(planFromCatalog({ ...base, catalogs: shuffled }).plan)).toBe(ref);
    }
  });

  it('partitions after caps: the union of the partitions is the whole plan, and summaries add up', () => {
    const whole = planFromCatalog({ ...base, catalogs: [alpha, beta, gamma] }).plan;
    const parts = [0, 1, 2].map((i) => planFromCatalog({ ...base, catalogs: [alpha, beta, gamma], partition: { index: i, count: 3 } }).plan);
    const key = (s: { seriesUid: string; keep: number; dataset: string }) => `${s.dataset}/${s.seriesUid}/${s.keep}`;
    const union = parts.flatMap((p) => p.series.map(key)).sort();
    expect(union).toEqual(whole.series.map(key).sort());
    expect(new Set(union).size).toBe(union.length);
    expect(parts.every((p) => p.series.length < whole.series.length)).toBe(true);
    const images = (p: typeof whole) => p.summary.reduce((n, s) => n + s.images, 0);
    expect(parts.reduce((n, p) => n + images(p), 0)).toBe(images(whole));
    expect(parts.map((p) => p.inputs.partition)).toEqual(['0/3', '1/3', '2/3']);
  });

  it('tolerates rows with missing columns and drops rows without a UID or images', () => {
    const odd = snapshot('Odd', [{ Modality: 'CT', ImageCount: 3 }, { SeriesInstanceUID: '1.9', Modality: 'CT' }, { SeriesInstanceUID: '1.8', Modality: 'ct', ImageCount: 2 }]);
    const { plan, excluded } = planFromCatalog({ ...base, catalogs: [odd] });
    expect(plan.series).toEqual([
      { dataset: 'Odd', collection: 'Odd', patientId: '', studyUid: '', seriesUid: '1.8', modality: 'CT', label: 'CT', bodyPart: 'UNKNOWN', imageCount: 2, keep: 2 },
    ]);
    expect(excluded.map((e) => e.reason).sort()).toEqual(['invalid-row', 'no-images']);
  });

  it('catalogSha256 ignores fetch time but follows the rows', () => {
    const a = planFromCatalog({ ...base, catalogs: [alpha] }).plan.inputs.catalogSha256;
    const b = planFromCatalog({ ...base, catalogs: [{ ...alpha, fetchedAt: '2030-01-01T00:00:00Z' }] }).plan.inputs.catalogSha256;
    const c = planFromCatalog({ ...base, catalogs: [{ ...alpha, series: alpha.series.slice(1) }] }).plan.inputs.catalogSha256;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
