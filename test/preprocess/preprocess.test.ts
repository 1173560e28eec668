import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { RejectBudgetError } from '../../src/core/errors.ts';
import type { StagingRecord } from '../../src/core/types.ts';
import { preprocess, preprocessDicomBytes } from '../../src/preprocess/preprocess.ts';
import { configHash, resolvePreprocessConfig } from '../../src/preprocess/preprocessConfig.ts';
import { readStaging } from '../../src/preprocess/staging.ts';
import { ctSeries, ctSlice, srObject, writeRawSeries } from './preprocessFixtures.ts';

const ctx = (dataDir: string): RunContext => createRunContext({ dataDir, rejectsInMemory: true, logger: memoryLogger(), tty: false });

describe('etl preprocess stage', () => {
  let dir: string;
  const A = '2.25.100';
  const B = '2.25.200';
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-'));
    // A: 4 good slices (with padding), a corrupt entry and a structured report.
    await writeRawSeries(dir, {
      collection: 'COLL-A',
      seriesUid: A,
      dataset: 'DS-A',
      bodyPart: 'LUNG',
      entries: [
        ...ctSeries(A, 4, { padding: true }),
        { name: '1-05.dcm', bytes: new Uint8Array(2000).fill(7) },
        { name: '1-06.dcm', bytes: srObject(A, `${A}.99`) },
      ],
    });
    // B: 6 slices stored in reverse instance order; the plan keeps 3 (→ instances 1, 2, 3).
    await writeRawSeries(dir, {
      collection: 'COLL-B',
      seriesUid: B,
      label: 'CT',
      keep: 3,
      compress: false,
      entries: ctSeries(B, 6).reverse(),
    });
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('stages every verified series with labels, provenance, keep limit and rejects', async () => {
    const c = ctx(dir);
    const r = await preprocess({ size: 32, workers: 1 }, c);
    expect(r).toMatchObject({ series: 2, staged: 2, skipped: 0, failed: 0, images: 7 });
    expect(r.configHash).toBe(configHash(resolvePreprocessConfig({ size: 32 })));

    const a = readStaging(c.paths.staging('COLL-A', A));
    expect(a.size).toBe(32);
    expect(a.metadata.configHash).toBe(r.configHash);
    expect(a.samples.map((s) => s.sopUid)).toEqual([1, 2, 3, 4].map((i) => `${A}.${i}`));
    for (const s of a.samples) {
      expect(s).toMatchObject({ dataset: 'DS-A', label: 'CT', bodyPart: 'LUNG', seriesUid: A, patientId: 'PAT-1', modality: 'CT', rows: 64, cols: 64, frame: 0 });
      expect(s.image.length).toBe(32 * 32);
      // padding excluded: the range starts at the air values, not −2000 − 1024
      expect(s.normLo).toBeGreaterThanOrEqual(-1000);
      expect(s.image[0]).toBe(0); // corner is padding → black
      expect(s.pixelHash).toMatch(/^[0-9a-f]{16}$/);
    }

    const b = readStaging(c.paths.staging('COLL-B', B));
    expect(b.samples.map((s) => s.sopUid)).toEqual([`${B}.1`, `${B}.2`, `${B}.3`]);
    expect(b.samples[0]!.bodyPart).toBe('CHEST');

    const side = JSON.parse(fs.readFileSync(c.paths.stagingSidecar('COLL-A', A), 'utf8')) as StagingRecord;
    const raw = JSON.parse(fs.readFileSync(c.paths.rawSidecar('COLL-A', A), 'utf8')) as { zipSha256: string };
    expect(side).toMatchObject({ version: 1, collection: 'COLL-A', seriesUid: A, configHash: r.configHash, inputSha256: raw.zipSha256, size: 32, samples: 4, rejects: 2 });

    // The corrupt entry counts against the budget, the structured report does not.
    const reasons = Object.fromEntries(c.rejects.byReason().map((x) => [x.reason, x.count]));
    expect(reasons['preprocess:NON_IMAGE']).toBe(1);
    expect(r.rejects).toBe(2);
    expect(r.budgetRejects).toBe(1);
    expect(r.imageFiles).toBe(r.files - 1);
  });

  it('a rerun does no work; a config change re-stages', async () => {
    const file = ctx(dir).paths.staging('COLL-A', A);
    const before = fs.statSync(file).mtimeMs;
    const again = await preprocess({ size: 32, workers: 0 }, ctx(dir));
    expect(again).toMatchObject({ staged: 0, skipped: 2, images: 0 });
    expect(fs.statSync(file).mtimeMs).toBe(before);

    // Same inputs and config, other worker count: byte-identical staging files.
    const bytes = fs.readFileSync(file);
    fs.rmSync(ctx(dir).paths.stagingSidecar('COLL-A', A));
    expect(await preprocess({ size: 32, workers: 2 }, ctx(dir))).toMatchObject({ staged: 1, skipped: 1 });
    expect(Buffer.compare(fs.readFileSync(file), bytes)).toBe(0);

    const c = ctx(dir);
    const changed = await preprocess({ size: 16, workers: 0, normalize: 'percentile:1,99' }, c);
    expect(changed).toMatchObject({ staged: 2, skipped: 0, images: 7 });
    expect(readStaging(file).size).toBe(16);
  });

  it('the same ZIP under a new plan entry (relabelled, new cap) is staged again with the new entry', async () => {
    const c = ctx(dir);
    const config = { size: 16, workers: 0, normalize: 'percentile:1,99' }; // as the test before left it
    expect(await preprocess(config, c)).toMatchObject({ staged: 0, skipped: 2 });
    // What `etl fetch` does when the plan changes but the data does not: it rewrites only `planned`.
    const rawFile = c.paths.rawSidecar('COLL-B', B);
    const raw = JSON.parse(fs.readFileSync(rawFile, 'utf8')) as { planned: { label: string; keep: number } };
    fs.writeFileSync(rawFile, JSON.stringify({ ...raw, planned: { ...raw.planned, label: 'MR', keep: 2 } }));
    expect(await preprocess(config, c)).toMatchObject({ staged: 1, skipped: 1 });
    const b = readStaging(c.paths.staging('COLL-B', B));
    expect(b.samples.map((s) => [s.sopUid, s.label])).toEqual([[`${B}.1`, 'MR'], [`${B}.2`, 'MR']]);
    fs.writeFileSync(rawFile, JSON.stringify(raw));
    expect(await preprocess(config, c)).toMatchObject({ staged: 1, skipped: 1 });
  });

  it('the staged image equals preprocessDicomBytes of the same file (classifier path)', async () => {
    const bytes = ctSlice({ seriesUid: A, sopUid: `${A}.1`, instanceNumber: 1, padding: true });
    const one = await preprocessDicomBytes(bytes, { size: 16, normalize: 'percentile:1,99' });
    const staged = readStaging(ctx(dir).paths.staging('COLL-A', A)).samples[0]!;
    expect(one.samples).toHaveLength(1);
    expect(one.samples[0]!.pixelHash).toBe(staged.pixelHash);
    expect(one.samples[0]!.label).toBe('CT');
    expect(one.header.rows).toBe(64);
  });

  it('partition i/P stages only its slice of the series', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-part-'));
    try {
      for (let k = 0; k < 6; k++) await writeRawSeries(d, { collection: 'C', seriesUid: `2.25.9${k}`, entries: ctSeries(`2.25.9${k}`, 1) });
      const p0 = await preprocess({ size: 8, workers: 0, partition: '0/2' }, ctx(d));
      const p1 = await preprocess({ size: 8, workers: 0, partition: '1/2' }, ctx(d));
      expect(p0.series + p1.series).toBe(6);
      expect(p0.staged).toBe(p0.series);
      expect(p1.staged).toBe(p1.series);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('constant slices are rejected; over the reject budget the run fails with exit code 3', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-budget-'));
    try {
      const S = '2.25.300';
      const entries = ctSeries(S, 24);
      entries[3] = { name: entries[3]!.name, bytes: ctSlice({ seriesUid: S, sopUid: `${S}.4`, instanceNumber: 4, constantHu: -1000 }) };
      entries[7] = { name: entries[7]!.name, bytes: entries[7]!.bytes.subarray(0, 3000) }; // truncated
      await writeRawSeries(d, { collection: 'C', seriesUid: S, entries });
      const c = ctx(d);
      let err: unknown;
      try {
        await preprocess({ size: 8, workers: 0, maxRejectRate: 0.01 }, c);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RejectBudgetError);
      expect((err as RejectBudgetError).exitCode).toBe(3);
      const codes = c.rejects.byReason().map((x) => x.reason);
      expect(codes).toContain('preprocess:CONSTANT_IMAGE');
      expect(codes.length).toBe(2);
      // The series itself was staged (22 images) before the budget check ended the run.
      expect(readStaging(c.paths.staging('C', S)).samples).toHaveLength(22);
      // A generous budget passes.
      fs.rmSync(path.join(d, 'staging'), { recursive: true });
      const ok = await preprocess({ size: 8, workers: 0, maxRejectRate: 0.1 }, ctx(d));
      expect(ok).toMatchObject({ images: 22, budgetRejects: 2 });
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  it('an unreadable ZIP is a series reject, not a crash; bad options are ConfigErrors', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-zip-'));
    try {
      await writeRawSeries(d, { collection: 'C', seriesUid: '2.25.1', entries: ctSeries('2.25.1', 2) });
      const c = ctx(d);
      fs.writeFileSync(c.paths.rawZip('C', '2.25.1'), 'not a zip');
      const r = await preprocess({ size: 8, workers: 0 }, c);
      expect(r).toMatchObject({ failed: 1, staged: 0 });
      expect(c.rejects.byReason()[0]!.reason).toBe('preprocess:ZIP_UNREADABLE');
      expect(fs.existsSync(c.paths.stagingSidecar('C', '2.25.1'))).toBe(false);
      await expect(preprocess({ size: 3 }, c)).rejects.toThrow(/`size`/);
      await expect(preprocess({ fit: 'zoom' }, c)).rejects.toThrow(/`fit`/);
      await expect(preprocess({ maxRejectRate: 2 }, c)).rejects.toThrow(/`maxRejectRate`/);
      await expect(preprocess({ partition: '3/2' }, c)).rejects.toThrow(/partition/);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});

const SAMPLES = path.resolve('../shared/dicom-samples');
describe.skipIf(!fs.existsSync(SAMPLES))('etl preprocess on real sample files in a series ZIP', () => {
  it('stages the images; non-images are recorded outside the budget; truncated files count', async () => {
    const names = ['pydicom-MR_small.dcm', 'pydicom-MR_small_RLE.dcm', 'pydicom-SEG-liver_1frame.dcm', 'pydicom-SR-test-SR.dcm', 'pydicom-MR_truncated.dcm', 'synth-CT-ELE-constant.dcm'];
    const present = names.filter((n) => fs.existsSync(path.join(SAMPLES, n)));
    if (present.length !== names.length) return;
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'preprocess-samples-'));
    try {
      await writeRawSeries(d, { collection: 'S', seriesUid: '2.25.42', label: 'MR', entries: present.map((n) => ({ name: n, bytes: fs.readFileSync(path.join(SAMPLES, n)) })) });
      const c = ctx(d);
      const r = await preprocess({ size: 16, workers: 0 }, c);
      expect(r.images).toBe(2);
      const staged = readStaging(c.paths.staging('S', '2.25.42')).samples;
      expect(staged[0]!.pixelHash).toBe(staged[1]!.pixelHash); // native and RLE decode to the same image
      const reasons = Object.fromEntries(c.rejects.byReason().map((x) => [x.reason, x.count]));
      expect(reasons['preprocess:TRUNCATED']).toBe(1);
      expect(reasons['preprocess:CONSTANT_IMAGE']).toBe(1);
      expect(r.rejects).toBe(4);
      expect(r.budgetRejects).toBe(2);
      expect(r.imageFiles).toBe(4);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
