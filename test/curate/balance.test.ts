import { describe, expect, it } from 'vitest';
import { balanceSplits, type CountCell } from '../../src/curate/balance.ts';
import type { Split } from '../../src/core/types.ts';

/** 12 CT datasets over 4 locations and 9 MR datasets over 3, with varied sizes. */
function cells(): CountCell[] {
  const out: CountCell[] = [];
  const ctLocs = ['chest', 'abdomen', 'head', 'pelvis'];
  for (let i = 0; i < 12; i++) out.push({ dataset: `CT-${i}`, label: 'CT', location: ctLocs[i % 4]!, images: 1000 + ((i * 737) % 900) });
  const mrLocs = ['brain', 'knee', 'prostate'];
  for (let i = 0; i < 9; i++) out.push({ dataset: `MR-${i}`, label: 'MR', location: mrLocs[i % 3]!, images: 500 + ((i * 311) % 400) });
  return out;
}

function fractions(c: CountCell[], a: Record<string, Split>, label: string): Record<Split, number> {
  const tot = c.filter((x) => x.label === label).reduce((s, x) => s + x.images, 0);
  const f = { train: 0, validate: 0, test: 0 };
  for (const x of c) if (x.label === label) f[a[x.dataset]!] += x.images / tot;
  return f;
}

describe('auto split balancer', () => {
  it('meets the target fractions and ≥ 2 locations per class in every split (without the unseen-pair goal)', () => {
    const c = cells();
    const r = balanceSplits({ cells: c, assigned: {}, targets: [0.7, 0.15, 0.15], seed: 1, unseenPairs: false });
    expect(r.search).toBe('greedy+local');
    for (const label of ['CT', 'MR']) {
      const f = fractions(c, r.proposed, label);
      expect(Math.abs(f.train - 0.7)).toBeLessThan(0.08);
      expect(Math.abs(f.validate - 0.15)).toBeLessThan(0.08);
      expect(Math.abs(f.test - 0.15)).toBeLessThan(0.08);
      for (const s of ['train', 'validate', 'test'] as const) expect(r.perClass[label]!.locations[s]).toBeGreaterThanOrEqual(2);
    }
  });

  it('by default gives validate and test each a class × location pair train lacks, keeping ≥ 2 train locations per class', () => {
    const c = cells();
    const r = balanceSplits({ cells: c, assigned: {}, targets: [0.7, 0.15, 0.15], seed: 1 });
    expect(r.unseen.validate.length).toBeGreaterThanOrEqual(1);
    expect(r.unseen.test.length).toBeGreaterThanOrEqual(1);
    const trainPairs = new Set(c.filter((x) => r.proposed[x.dataset] === 'train').map((x) => `${x.label} ${x.location}`));
    for (const pair of [...r.unseen.validate, ...r.unseen.test]) expect(trainPairs.has(pair)).toBe(false);
    for (const label of ['CT', 'MR']) {
      expect(r.perClass[label]!.locations.train).toBeGreaterThanOrEqual(2);
      // Holding out a whole location costs some balance: fractions stay within 0.15 of the targets.
      const f = fractions(c, r.proposed, label);
      expect(Math.abs(f.train - 0.7)).toBeLessThan(0.15);
    }
    // Without a class at ≥ 3 locations no pair can be held out while train keeps 2: no such goal.
    const two = c.filter((x) => ['chest', 'abdomen', 'brain', 'knee'].includes(x.location));
    expect(balanceSplits({ cells: two, assigned: {}, targets: [0.7, 0.15, 0.15], seed: 1 }).unseen).toEqual({ validate: [], test: [] });
  });

  it('never moves an assigned dataset and proposes only for the others', () => {
    const c = cells();
    const assigned: Record<string, Split> = { 'CT-0': 'test', 'CT-1': 'test', 'MR-0': 'validate' };
    const r = balanceSplits({ cells: c, assigned, targets: [0.7, 0.15, 0.15], seed: 2 });
    expect(Object.keys(r.proposed)).not.toContain('CT-0');
    expect(Object.keys(r.proposed)).not.toContain('MR-0');
    expect(Object.keys(r.proposed)).toHaveLength(21 - 3);
    // The fixed test datasets already fill CT's test share, so the balancer puts no other CT there.
    const f = fractions(c, { ...r.proposed, ...assigned }, 'CT');
    expect(Math.abs(f.test - 0.15)).toBeLessThan(0.08);
  });

  it('is deterministic for a seed and uses exhaustive search for few datasets', () => {
    const small = cells().filter((x) => x.label === 'MR');
    const a = balanceSplits({ cells: small, assigned: {}, targets: [0.7, 0.15, 0.15], seed: 5 });
    const b = balanceSplits({ cells: small, assigned: {}, targets: [0.7, 0.15, 0.15], seed: 5 });
    expect(a.search).toBe('exhaustive');
    expect(a.proposed).toEqual(b.proposed);
    for (const s of ['train', 'validate', 'test'] as const) expect(a.perClass.MR!.locations[s]).toBeGreaterThanOrEqual(2);
  });

  it('asks for only as many locations as the data has', () => {
    const one = [0, 1, 2, 3].map((i) => ({ dataset: `PT-${i}`, label: 'PT', location: 'whole-body', images: 100 }));
    const r = balanceSplits({ cells: one, assigned: {}, targets: [0.5, 0.25, 0.25], seed: 0 });
    expect(r.perClass.PT!.locationsWanted).toBe(1);
    expect(Object.values(r.proposed).sort()).toEqual(['test', 'train', 'train', 'validate']);
  });
});
