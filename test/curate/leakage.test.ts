import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LeakageCollector } from '../../src/curate/leakage.ts';
import { LeakageError, splitDatasets } from '../../src/curate/split.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

describe('leakage check', () => {
  it('finds a patient shared by datasets on different sides, not on the same side', () => {
    const c = new LeakageCollector();
    c.add('NSCLC-Radiomics', 'LUNG1-001', 'h1', 'a');
    c.add('NSCLC-Interobserver', 'LUNG1-001', 'h2', 'b');
    c.add('Other', 'X-1', 'h3', 'c');
    expect(c.report({ 'NSCLC-Radiomics': 'train', 'NSCLC-Interobserver': 'train', Other: 'test' }).clean).toBe(true);
    const r = c.report({ 'NSCLC-Radiomics': 'train', 'NSCLC-Interobserver': 'test', Other: 'test' });
    expect(r.sharedPatients.count).toBe(1);
    expect(r.sharedPatients.examples[0]).toEqual({
      patientId: 'LUNG1-001',
      sides: [{ dataset: 'NSCLC-Interobserver', split: 'test' }, { dataset: 'NSCLC-Radiomics', split: 'train' }],
    });
  });

  it('finds identical pixels on different sides (planted duplicate in staging) and fails with --strict', async () => {
    const dir = tempDataDir();
    await stageSeries(dir, [
      { dataset: 'A', label: 'CT', images: 4 },
      { dataset: 'B', label: 'CT', images: 3, copyPixelsFrom: 'A#0' },
      { dataset: 'C', label: 'MR', images: 2, patient: 'A-P0' },
    ]);
    const mf = writeManifest(path.join(dir, 'm.json'), 'm', [
      { name: 'A', split: 'train' }, { name: 'B', split: 'test' }, { name: 'C', split: 'validate' },
    ]);
    const ctx = quietContext(dir);
    const r = await splitDatasets({ manifest: mf }, ctx);
    expect(r.result.leakage.duplicateImages.count).toBe(3);
    expect(r.result.leakage.duplicateImages.examples[0]!.sides.map((s) => s.split)).toEqual(['test', 'train']);
    expect(r.result.leakage.sharedPatients.count).toBe(1);
    expect(r.result.leakage.sharedPatients.examples[0]!.patientId).toBe('A-P0');
    expect(r.text).toMatch(/3 identical image/);
    const err = await splitDatasets({ manifest: mf, strict: true }, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LeakageError);
    expect((err as LeakageError).exitCode).toBe(2);
  });
});
