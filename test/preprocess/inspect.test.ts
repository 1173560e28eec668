import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectDicom } from '../../src/preprocess/inspect.ts';
import { formatInspect } from '../../src/preprocess/inspectFormat.ts';
import { InputError } from '../../src/core/errors.ts';
import { ctSlice, srObject } from './preprocessFixtures.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inspect-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('inspectDicom', () => {
  const file = path.join(tmp, 'ct.dcm');
  fs.writeFileSync(file, ctSlice({ seriesUid: '2.25.1', sopUid: '2.25.1.1', instanceNumber: 1, rows: 24, cols: 40, padding: true }));

  it('reports header facts, per-frame stats, a preview PNG and raw float32 of all frames', async () => {
    const png = path.join(tmp, 'p.png');
    const raw = path.join(tmp, 'v.f32');
    const r = await inspectDicom(file, { png, raw });
    expect(r.header).toMatchObject({ rows: 24, columns: 40, frames: 1, modality: 'CT', rescaleIntercept: -1024 });
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0]!.paddingPixels).toBeGreaterThan(0);
    expect(r.frames[0]!.min).toBe(-2000 - 1024);
    expect(fs.statSync(raw).size).toBe(24 * 40 * 1 * 4);
    // A small file's Buffer may be a view into Node's shared pool: copy exactly its bytes.
    const bytes = fs.readFileSync(raw);
    const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(values[0]).toBe(-3024); // padded corner, modality units
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height, meta.channels, meta.format]).toEqual([40, 24, 1, 'png']);
    expect(formatInspect(r)).toMatch(/geometry\s+24×40, 1 frame/);
  });

  it('non-image objects: header, no pixels, and why', async () => {
    const sr = path.join(tmp, 'sr.dcm');
    fs.writeFileSync(sr, srObject('2.25.2', '2.25.2.1'));
    const r = await inspectDicom(sr);
    expect(r.skipped?.code).toBe('NON_IMAGE');
    expect(r.frames).toEqual([]);
    expect(formatInspect(r)).toMatch(/pixels\s+none: non-image object/);
  });

  it('unreadable files are InputErrors (exit 2)', async () => {
    const bad = path.join(tmp, 'bad.dcm');
    fs.writeFileSync(bad, Buffer.alloc(300, 1));
    await expect(inspectDicom(bad)).rejects.toBeInstanceOf(InputError);
    await expect(inspectDicom(path.join(tmp, 'missing.dcm'))).rejects.toThrow(/cannot read/);
  });

  it('CLI: --json on stdout, exit 0 for a skip, exit 2 for garbage', () => {
    const etl = path.resolve('bin/etl.js');
    const out = execFileSync('node', [etl, 'dicom', 'inspect', file, '--json'], { encoding: 'utf8' });
    const j = JSON.parse(out) as { header: { rows: number }; frames: Array<{ min: number; max: number; mean: number }> };
    expect(j.header.rows).toBe(24);
    expect(Object.keys(j.frames[0]!)).toEqual(expect.arrayContaining(['min', 'max', 'mean']));
    const bad = spawnSync('node', [etl, 'dicom', 'inspect', path.join(tmp, 'bad.dcm')], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/NOT_DICOM|not DICOM/);
  });
});

const samples = path.resolve('../shared/dicom-samples');
describe.skipIf(!fs.existsSync(samples))('inspect on the shared samples', () => {
  it('--raw is rows×cols×frames×4 bytes on a multi-frame sample', async () => {
    const f = path.join(samples, 'synth-SC-JLS-3frames.dcm');
    if (!fs.existsSync(f)) return;
    const raw = path.join(tmp, 'mf.f32');
    const r = await inspectDicom(f, { raw });
    expect(r.frames).toHaveLength(3);
    expect(fs.statSync(raw).size).toBe(r.header.rows * r.header.columns * 3 * 4);
  });
});
