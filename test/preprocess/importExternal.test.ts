import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { ConfigError, InputError } from '../../src/core/errors.ts';
import type { StagedSample } from '../../src/core/types.ts';
import { importExternal, type ExternalFormatName } from '../../src/preprocess/import/index.ts';
import { readStaging } from '../../src/preprocess/staging.ts';
import { generateExternal, type GeneratedExternal } from '../../src/standins/external/index.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-ext-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ctx = (dataDir: string) => createRunContext({ dataDir, logger: memoryLogger(), tty: false });

function staged(dataDir: string, dataset: string): StagedSample[] {
  const dir = path.join(dataDir, 'staging', dataset);
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.arrow'))
    .flatMap((f) => readStaging(path.join(dir, f)).samples);
}

function rejects(dataDir: string): Array<{ code: string; file: string; reason: string }> {
  const f = path.join(dataDir, 'rejects.jsonl');
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : [];
}

/** Policy skips a correct import also records (not broken files). */
const SKIP_CODES = new Set(['CONSTANT_SLICE', 'NOT_AN_IMAGE']);

const CASES: Array<{ format: ExternalFormatName; label: string; locations: string[]; workers: number; modality?: string }> = [
  { format: 'chexpert', label: 'XR', locations: ['chest'], workers: 0 },
  { format: 'nih-cxr14', label: 'XR', locations: ['chest'], workers: 0 },
  { format: 'rsna-bone-age', label: 'XR', locations: ['hand'], workers: 0 },
  { format: 'mura', label: 'XR', locations: ['elbow', 'finger', 'forearm'], workers: 0 },
  // OAI is DICOM: label, patient and series from the headers (the DICOM folder importer).
  { format: 'oai', label: 'XR', locations: ['knee'], workers: 0 },
  // Volume formats also run through the worker pool (the NIfTI library loads inside a worker).
  { format: 'mrnet', label: 'MR', locations: ['knee'], workers: 1 },
  { format: 'brats20', label: 'MR', locations: ['head'], workers: 1 },
  { format: 'nifti', label: 'MR', locations: ['UNKNOWN'], workers: 0, modality: 'MR' },
  { format: 'npy', label: 'CT', locations: ['UNKNOWN'], workers: 0, modality: 'CT' },
];

describe('etl import <format>: real layouts with broken files', () => {
  it.each(CASES)('$format: every good image staged with its patient, each broken file a reject with a reason, rerun does nothing', async (c) => {
    const g: GeneratedExternal = await generateExternal(c.format, path.join(tmp, `src-${c.format}`), { seed: 7, scale: 1, bad: true, size: 32 });
    expect(g.bad.length).toBeGreaterThan(0);
    const dataDir = path.join(tmp, `data-${c.format}`);
    const dataset = `DS-${c.format}`;
    const options = { format: c.format, dir: g.dir, dataset, size: 16, workers: c.workers, maxRejectRate: 1, ...(c.modality ? { modality: c.modality } : {}) };
    const r = await importExternal(ctx(dataDir), options);

    expect(r.images).toBe(g.images);
    const samples = staged(dataDir, dataset);
    expect(samples).toHaveLength(g.images);
    expect(new Set(samples.map((s) => s.label))).toEqual(new Set([c.label]));
    expect([...new Set(samples.map((s) => s.patientId))].sort()).toEqual([...new Set(g.patients)].sort());
    expect([...new Set(samples.map((s) => s.bodyPart))].sort()).toEqual(c.locations);
    expect(samples.every((s) => s.image.length === 256 && s.dataset === dataset && s.sopUid.startsWith('2.25.'))).toBe(true);
    // No two samples share a provenance key.
    expect(new Set(samples.map((s) => `${s.sopUid}#${s.frame}`)).size).toBe(samples.length);

    const found = rejects(dataDir).filter((x) => !SKIP_CODES.has(x.code));
    expect(found.map((x) => `${x.file} ${x.code}`).sort()).toEqual(g.bad.map((b) => `${b.file} ${b.code}`).sort());
    for (const x of found) expect(x.reason.length).toBeGreaterThan(10);
    expect(r.budgetRejects).toBe(g.bad.length);

    const again = await importExternal(ctx(dataDir), options);
    expect(again).toMatchObject({ staged: 0, skipped: r.series, images: 0 });
  });

  it('brats20: the seg label map is skipped as not an image; empty slices are skips; slices keep their index', async () => {
    const g = await generateExternal('brats20', path.join(tmp, 'src-brats-2'), { seed: 2, scale: 0.5, size: 24 });
    const dataDir = path.join(tmp, 'data-brats-2');
    const r = await importExternal(ctx(dataDir), { format: 'brats20', dir: g.dir, dataset: 'BraTS20', size: 8, workers: 0 });
    expect(r.budgetRejects).toBe(0);
    const codes = rejects(dataDir).map((x) => x.code);
    expect(codes.filter((x) => x === 'NOT_AN_IMAGE')).toHaveLength(1);
    // 4 sequences × 2 empty slices (one at each end).
    expect(codes.filter((x) => x === 'CONSTANT_SLICE')).toHaveLength(8);
    const frames = staged(dataDir, 'BraTS20').map((s) => s.frame);
    expect([...new Set(frames)].sort()).toEqual([1, 2, 3, 4]);
  });

  it('mura: --location overrides the body part of the folder', async () => {
    const g = await generateExternal('mura', path.join(tmp, 'src-mura-2'), { seed: 3, scale: 0.5, size: 16 });
    const dataDir = path.join(tmp, 'data-mura-2');
    await importExternal(ctx(dataDir), { format: 'mura', dir: g.dir, dataset: 'MURA', size: 8, workers: 0, location: 'bone' });
    expect(new Set(staged(dataDir, 'MURA').map((s) => s.bodyPart))).toEqual(new Set(['bone']));
  });

  it('a touched file re-stages only its series', async () => {
    const g = await generateExternal('mrnet', path.join(tmp, 'src-mrnet-2'), { seed: 4, scale: 1, size: 16 });
    const dataDir = path.join(tmp, 'data-mrnet-2');
    const o = { format: 'mrnet' as const, dir: g.dir, dataset: 'MRNet', size: 8, workers: 0 };
    const first = await importExternal(ctx(dataDir), o);
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(g.dir, 'train/axial/0000.npy'), t, t);
    expect(await importExternal(ctx(dataDir), o)).toMatchObject({ staged: 1, skipped: first.series - 1 });
  });

  it('bad options and missing layouts are clear errors before any work', async () => {
    const d = path.join(tmp, 'data-errors');
    await expect(importExternal(ctx(d), { format: 'nifti', dir: tmp, dataset: 'X' })).rejects.toThrow(ConfigError);
    await expect(importExternal(ctx(d), { format: 'npy', dir: tmp, dataset: 'X', modality: 'US' })).rejects.toThrow(/maps to no class/);
    await expect(importExternal(ctx(d), { format: 'mrnet', dir: path.join(tmp, 'nope'), dataset: 'X' })).rejects.toThrow(/not a folder/);
    await expect(importExternal(ctx(d), { format: 'mrnet', dir: tmp, dataset: 'a/b' })).rejects.toThrow(/plain name/);
    await expect(importExternal(ctx(d), { format: 'bogus' as never, dir: tmp, dataset: 'X' })).rejects.toThrow(/unknown external format/);
    const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
    await expect(importExternal(ctx(d), { format: 'nih-cxr14', dir: empty, dataset: 'X', workers: 0 })).rejects.toThrow(InputError);
    await expect(importExternal(ctx(d), { format: 'chexpert', dir: empty, dataset: 'X', workers: 0 })).rejects.toThrow(/train\.csv/);
  });
});
