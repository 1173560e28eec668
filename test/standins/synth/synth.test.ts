import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dicomParser from 'dicom-parser';
import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import charlsFactory from '@cornerstonejs/codec-charls/decodewasmjs';
import openjpegFactory from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { ConfigError } from '../../../src/core/errors.ts';
import { synthesize, synthesizeUpdate, type CollectionRecord, type SynthRecord, type SynthSummary } from '../../../src/standins/synth/index.ts';
import { planCollection, type SeriesPlan } from '../../../src/standins/synth/plan.ts';
import { presetSpecs } from '../../../src/standins/synth/presets.ts';
import { imageInstance } from '../../../src/standins/synth/images.ts';
import { TRANSFER_SYNTAXES, TS_NAMES } from '../../../src/standins/synth/dicom.ts';
import { encodeRle } from '../../../src/standins/synth/encode/rle.ts';
import { encodeJpegLossless } from '../../../src/standins/synth/encode/jpegLossless.ts';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-test-'));
const outA = path.join(tmpRoot, 'a');
let summary: SynthSummary;
const plans = presetSpecs('tiny').flatMap((s) => planCollection(s, 1));
const images = plans.filter((p) => p.kind === 'image');

beforeAll(async () => {
  summary = await synthesize({ preset: 'tiny', out: outA, seed: 1 });
});
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
const fileName = (n: number) => `${String(n).padStart(6, '0')}.dcm`;
const read = (p: SeriesPlan, n: number) => fs.readFileSync(path.join(outA, p.dir, fileName(n)));

/** Independent PackBits/RLE decoder (PS3.5 G.3.2), little-endian samples. */
function decodeRle(data: Uint8Array, pixels: number, bytesPerSample: number): Uint8Array {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const segments = dv.getUint32(0, true);
  expect(segments).toBe(bytesPerSample);
  const out = new Uint8Array(pixels * bytesPerSample);
  for (let s = 0; s < segments; s++) {
    const start = dv.getUint32(4 + 4 * s, true);
    const end = s + 1 < segments ? dv.getUint32(8 + 4 * s, true) : data.length;
    const byteIndex = bytesPerSample - 1 - s; // segment 0 holds the most significant bytes
    let o = 0;
    let i = start;
    while (i < end && o < pixels) {
      const h = data[i++]!;
      if (h < 128) {
        for (let k = 0; k <= h; k++) out[(o++) * bytesPerSample + byteIndex] = data[i++]!;
      } else if (h > 128) {
        const v = data[i++]!;
        for (let k = 0; k < 257 - h; k++) out[(o++) * bytesPerSample + byteIndex] = v;
      }
    }
    expect(o).toBe(pixels);
  }
  return out;
}

describe('synth tiny: layout (the contract the stand-in server reads)', () => {
  it('writes synth.json last-style record, collection.json per collection and the folder tree', () => {
    const rec = JSON.parse(fs.readFileSync(path.join(outA, 'synth.json'), 'utf8')) as SynthRecord;
    expect(rec).toMatchObject({ preset: 'tiny', seed: 1, releases: [] });
    expect(rec.summary).toEqual(summary);
    const labels = new Set(summary.collections.map((c) => c.label));
    expect([...labels].sort()).toEqual(['CT', 'MR', 'PT', 'XR']);
    expect(summary.collections.length).toBeGreaterThanOrEqual(4);
    expect(summary.collections.length).toBeLessThanOrEqual(6);
    const files = walk(outA).map((f) => path.relative(outA, f));
    expect(files.filter((f) => f.endsWith('.dcm'))).toHaveLength(summary.files);
    expect(files.some((f) => /tmp/.test(f))).toBe(false);
    for (const c of summary.collections) {
      const coll = JSON.parse(fs.readFileSync(path.join(outA, c.collection, 'collection.json'), 'utf8')) as CollectionRecord;
      expect(coll.collection).toBe(c.collection);
      expect(coll.licenseName).toMatch(/Creative Commons/);
      expect(coll.licenseUri).toMatch(/^https:\/\//);
      expect(coll.dataDescriptionUri).toMatch(/^https:\/\/doi\.org\//);
      expect(coll.site.length).toBeGreaterThan(0);
      const seriesDirs = files.filter((f) => f.startsWith(c.collection + '/') && f.endsWith('.dcm')).map((f) => f.split('/'));
      for (const parts of seriesDirs) {
        expect(parts).toHaveLength(5);
        expect(parts[1]).toMatch(new RegExp(`^${c.collection}-\\d{3}$`));
        expect(parts[2]).toMatch(/^2\.25\.\d+$/);
        expect(parts[3]).toMatch(/^2\.25\.\d+$/);
        expect(parts[4]).toMatch(/^\d{6}\.dcm$/);
      }
      const uids = new Set(seriesDirs.map((p) => p[3]!));
      expect(Object.keys(coll.series).sort()).toEqual([...uids].sort());
      expect(uids.size).toBe(c.series);
      for (const s of Object.values(coll.series)) {
        expect(s.dateReleased).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(s.maxSubmissionTimestamp <= s.dateReleased).toBe(true);
      }
    }
  });

  it('spreads release dates over time and covers every transfer syntax, non-image type and corrupt kind', () => {
    const dates = new Set(plans.map((p) => p.dateReleased));
    expect(dates.size).toBeGreaterThan(5);
    expect(new Set(images.map((p) => p.ts))).toEqual(new Set(TS_NAMES));
    expect(plans.filter((p) => p.kind !== 'image').map((p) => p.kind).sort()).toEqual(['RTSTRUCT', 'SEG', 'SR']);
    expect(images.flatMap((p) => p.corrupt).sort()).toEqual(['random', 'truncated']);
    expect(summary.corrupt).toBe(2);
    expect(summary.nonImage).toBe(3);
  });
});

describe('synth tiny: DICOM content', () => {
  const required = ['x00080060', 'x00180015', 'x00100020', 'x00100040', 'x00101010', 'x00080020', 'x00081030', 'x00080021', 'x0008103e', 'x00200011',
    'x00080070', 'x00081090', 'x00181020', 'x00181030', 'x00200013', 'x00200012', 'x00080016', 'x00080018'];

  it('every image parses with dicom-parser and carries the declared modality, size, syntax and TCIA fields', () => {
    for (const p of images) {
      for (let n = 1; n <= p.instances; n++) {
        const buf = read(p, n);
        const ds = dicomParser.parseDicom(buf);
        for (const tag of required) expect(ds.elements[tag], `${p.modality} ${tag}`).toBeDefined();
        expect(ds.string('x00080060')).toBe(p.modality);
        expect(ds.string('x00020010')).toBe(TRANSFER_SYNTAXES[p.ts]);
        expect(ds.uint16('x00280010')).toBe(p.rows);
        expect(ds.uint16('x00280011')).toBe(p.cols);
        expect(ds.string('x00100020')).toBe(p.patientId);
        expect(ds.string('x0020000d')).toBe(p.studyUid);
        expect(ds.string('x0020000e')).toBe(p.seriesUid);
        expect(ds.intString('x00200013')).toBe(n);
        expect(ds.string('x00080018')).toBe(ds.string('x00020003'));
        expect(ds.elements.x7fe00010).toBeDefined();
      }
    }
  });

  it('class-specific pixel formats: CT int16 −1024, MR/PT uint16 with slopes, XR 12–14 bit MONOCHROME1/2', () => {
    const photometrics = new Set<string>();
    const ptSlopes = new Set<string>();
    for (const p of images) {
      const ds = dicomParser.parseDicom(read(p, 1));
      if (p.modality === 'CT') {
        expect(ds.uint16('x00280103')).toBe(1);
        expect(ds.floatString('x00281052')).toBe(-1024);
        expect(ds.floatString('x00281053')).toBe(1);
      } else {
        expect(ds.uint16('x00280103')).toBe(0);
      }
      if (p.modality === 'PT') {
        for (let n = 1; n <= p.instances; n++) ptSlopes.add(dicomParser.parseDicom(read(p, n)).string('x00281053')!);
      }
      if (['CR', 'DX', 'MG'].includes(p.modality)) {
        const bits = ds.uint16('x00280101')!;
        expect(bits).toBeGreaterThanOrEqual(12);
        expect(bits).toBeLessThanOrEqual(14);
        expect(ds.uint16('x00280102')).toBe(bits - 1);
        if (p.modality === 'MG') expect(bits).toBe(12);
        photometrics.add(ds.string('x00280004')!);
      }
    }
    expect(ptSlopes.size).toBeGreaterThan(1); // slope varies per image
    for (const s of ptSlopes) expect(Number.isInteger(Number(s))).toBe(false);
    expect(photometrics.size).toBeGreaterThanOrEqual(1);
  });

  it('CT stored values give plausible HU: air ≈ −1000 outside the body, bone > 300, −2000 stored outside the field of view', () => {
    for (const p of images.filter((q) => q.modality === 'CT' && q.ts === 'explicit')) {
      const buf = read(p, 1);
      const ds = dicomParser.parseDicom(buf);
      const px = ds.elements.x7fe00010!;
      const v = new Int16Array(buf.buffer.slice(buf.byteOffset + px.dataOffset, buf.byteOffset + px.dataOffset + px.length));
      const hu = (i: number) => v[i]! - 1024;
      const w = p.cols;
      // Just inside the FOV circle, left of centre at mid-height: outside the body.
      const air = hu(Math.floor(p.rows / 2) * w + Math.floor(w * 0.04));
      expect(air).toBeGreaterThan(-1100);
      expect(air).toBeLessThan(-900);
      let max = -Infinity;
      for (let i = 0; i < v.length; i++) if (v[i]! !== -2000 && hu(i) > max) max = hu(i);
      expect(max).toBeGreaterThan(300);
      // Outside the reconstruction circle: the padding value, or −3024 HU where no padding is declared,
      // so that the circle shows after min–max on every CT slice.
      expect(v[0]).toBe(-2000);
      if (ds.elements.x00280120) expect(ds.int16('x00280120')).toBe(-2000);
    }
  });

  it('compressed frames decode back to exactly the encoded values (RLE, JPEG lossless, JPEG-LS, JPEG 2000)', async () => {
    const charls = await charlsFactory({ print() {}, printErr() {} });
    const openjpeg = await openjpegFactory({ print() {}, printErr() {} });
    const seen = new Set<string>();
    let multiFragment = 0;
    for (const p of images.filter((q) => q.ts !== 'explicit' && q.ts !== 'implicit')) {
      for (let n = 1; n <= p.instances; n++) {
        const buf = read(p, n);
        const ds = dicomParser.parseDicom(buf);
        // Copy: on a Buffer, slice() is a view, and the decoders want an ArrayBuffer of the frame alone.
        const px = ds.elements.x7fe00010!;
        if (p.fragmented && buf.length > 30000) expect(px.fragments!.length).toBeGreaterThan(1);
        if (!p.fragmented) expect(px.fragments).toHaveLength(1);
        if (px.fragments!.length > 1) multiFragment++;
        const frame = Uint8Array.from(dicomParser.readEncapsulatedImageFrame(ds, px, 0));
        const refBuf = await imageInstance({ ...p, ts: 'explicit' }, n - 1);
        const ref = dicomParser.parseDicom(refBuf);
        const rp = ref.elements.x7fe00010!;
        const expected = new Uint8Array(refBuf.buffer.slice(refBuf.byteOffset + rp.dataOffset, refBuf.byteOffset + rp.dataOffset + rp.length));
        let got: Uint8Array;
        if (p.ts === 'rle') got = decodeRle(frame, p.rows * p.cols, 2);
        else if (p.ts === 'jpegLossless') {
          const d = new JpegLosslessDecoder().decode(frame.buffer, 0, frame.length);
          got = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
        } else {
          const dec = p.ts === 'jpegLs' ? new charls.JpegLSDecoder() : new openjpeg.J2KDecoder();
          dec.getEncodedBuffer(frame.length).set(frame);
          dec.decode();
          got = dec.getDecodedBuffer().slice();
          dec.delete();
        }
        expect(Buffer.from(got).equals(Buffer.from(expected)), `${p.ts} ${p.modality} #${n}`).toBe(true);
        seen.add(p.ts);
      }
    }
    expect([...seen].sort()).toEqual(['j2k', 'jpegLossless', 'jpegLs', 'rle']);
    expect(multiFragment).toBeGreaterThan(0); // frames split over fragments occur too
  });

  it('non-image series: SEG with BitsAllocated 1, RTSTRUCT without PixelData, SR', () => {
    for (const p of plans.filter((q) => q.kind !== 'image')) {
      const ds = dicomParser.parseDicom(read(p, 1));
      expect(ds.string('x00080060')).toBe(p.kind);
      if (p.kind === 'SEG') {
        expect(ds.uint16('x00280100')).toBe(1);
        expect(ds.intString('x00280008')).toBe(p.ref!.sopUids.length);
        const px = ds.elements.x7fe00010!;
        expect(px.length).toBeGreaterThanOrEqual(Math.ceil((p.rows * p.cols * p.ref!.sopUids.length) / 8));
      } else {
        expect(ds.elements.x7fe00010).toBeUndefined();
      }
      if (p.kind === 'RTSTRUCT') expect(ds.elements.x30060039?.items?.length).toBe(1);
    }
  });

  it('corrupt files sit in image series folders and fail to parse as complete DICOM', () => {
    for (const p of images.filter((q) => q.corrupt.length > 0)) {
      const buf = read(p, p.instances + 1);
      let complete = true;
      try {
        const ds = dicomParser.parseDicom(buf);
        const px = ds.elements.x7fe00010;
        complete = !!px && px.dataOffset + (px.length ?? 0) <= buf.length;
      } catch {
        complete = false;
      }
      expect(complete, `${p.corrupt.join()} in ${p.dir}`).toBe(false);
    }
  });
});

describe('synth: determinism, refusal, releases', () => {
  const digest = (root: string) =>
    walk(root)
      .map((f) => `${path.relative(root, f)} ${crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex')}`)
      .sort();

  it('same seed gives byte-identical output (also with worker threads); another seed differs', async () => {
    const outB = path.join(tmpRoot, 'b');
    await synthesize({ preset: 'tiny', out: outB, seed: 1, workers: 2 });
    expect(digest(outB)).toEqual(digest(outA));
    const outC = path.join(tmpRoot, 'c');
    const c = await synthesize({ preset: 'tiny', out: outC, seed: 2 });
    expect(c.collections.map((x) => x.collection)).toEqual(summary.collections.map((x) => x.collection));
    const a = new Set(digest(outA).map((l) => l.split(' ')[1]));
    expect(digest(outC).filter((l) => a.has(l.split(' ')[1])).length).toBe(0);
  });

  it('refuses a non-empty folder that is not a synth output, and regenerates over a previous one', async () => {
    const foreign = path.join(tmpRoot, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'keep.txt'), 'mine');
    await expect(synthesize({ preset: 'tiny', out: foreign })).rejects.toBeInstanceOf(ConfigError);
    expect(fs.readdirSync(foreign)).toEqual(['keep.txt']);
    const again = path.join(tmpRoot, 'again');
    await synthesize({ preset: 'tiny', out: again, seed: 2 });
    fs.writeFileSync(path.join(again, 'stale.txt'), 'x');
    await synthesize({ preset: 'tiny', out: again, seed: 1 });
    expect(digest(again)).toEqual(digest(outA));
    expect(fs.readdirSync(tmpRoot).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('an aborted run leaves nothing behind, and stale temporary folders of dead runs are removed', async () => {
    const out = path.join(tmpRoot, 'aborted');
    const ac = new AbortController();
    ac.abort(new Error('interrupted'));
    await expect(synthesize({ preset: 'tiny', out, signal: ac.signal })).rejects.toThrow('interrupted');
    expect(fs.existsSync(out)).toBe(false);
    const stale = `${out}.synth-999999999-abcdef.tmp`;
    fs.mkdirSync(stale);
    let calls = 0;
    await synthesize({ preset: 'tiny', out, onProgress: (done, total) => { calls++; expect(done).toBeLessThanOrEqual(total); } });
    expect(calls).toBe(plans.length);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readdirSync(tmpRoot).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('synthesizeUpdate adds released series to a collection and updates collection.json and synth.json', async () => {
    const outU = path.join(tmpRoot, 'u');
    await synthesize({ preset: 'tiny', out: outU, seed: 1 });
    const r = await synthesizeUpdate(outU, { collection: 'SYN-BrainMR', series: 2, dateReleased: '2025-06-01' });
    expect(r.series).toHaveLength(2);
    const coll = JSON.parse(fs.readFileSync(path.join(outU, 'SYN-BrainMR', 'collection.json'), 'utf8')) as CollectionRecord;
    for (const uid of r.series) expect(coll.series[uid]?.dateReleased).toBe('2025-06-01');
    const after = digest(outU);
    expect(after.filter((l) => l.includes(r.patientId + '/') && l.endsWith('')).length).toBe(r.images);
    const rec = JSON.parse(fs.readFileSync(path.join(outU, 'synth.json'), 'utf8')) as SynthRecord;
    expect(rec.releases).toEqual([{ collection: 'SYN-BrainMR', series: r.series, dateReleased: '2025-06-01' }]);
    expect(rec.summary.collections.find((c) => c.collection === 'SYN-BrainMR')!.images).toBe(
      summary.collections.find((c) => c.collection === 'SYN-BrainMR')!.images + r.images,
    );
    // Deterministic: the same release on a fresh copy gives the same series.
    const outV = path.join(tmpRoot, 'v');
    await synthesize({ preset: 'tiny', out: outV, seed: 1 });
    const r2 = await synthesizeUpdate(outV, { collection: 'SYN-BrainMR', series: 2, dateReleased: '2025-06-01' });
    expect(r2.series).toEqual(r.series);
    expect(digest(outV)).toEqual(after);
  });
});

describe('synth encoders', () => {
  it('RLE round-trips runs, literals, odd widths and 8-bit data', () => {
    const rows = 7;
    const cols = 301;
    const v = new Uint16Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = i % 97 < 40 ? 1234 : (i * 2654435761) >>> 20;
    const enc = encodeRle(v, rows, cols);
    expect(enc.length % 2).toBe(0);
    expect(Buffer.from(decodeRle(enc, v.length, 2)).equals(Buffer.from(v.buffer))).toBe(true);
    const b = new Uint8Array(rows * cols).map((_, i) => (i % 5 === 0 ? 7 : i & 0xff));
    expect(Buffer.from(decodeRle(encodeRle(b, rows, cols), b.length, 1)).equals(Buffer.from(b))).toBe(true);
  });

  it('JPEG lossless (SV1) round-trips extreme signed 16-bit and 12-bit data through an independent decoder', () => {
    const rows = 33;
    const cols = 47;
    const s = new Int16Array(rows * cols);
    for (let i = 0; i < s.length; i++) s[i] = i % 3 === 0 ? -32768 : i % 3 === 1 ? 32767 : ((i * 7919) % 65536) - 32768;
    const d16 = new JpegLosslessDecoder().decode(encodeJpegLossless(s, rows, cols, 16).slice().buffer);
    expect(Array.from(new Int16Array(d16.buffer, d16.byteOffset, s.length))).toEqual(Array.from(s));
    const u = new Uint16Array(rows * cols);
    for (let i = 0; i < u.length; i++) u[i] = (i * 131) % 4096;
    const d12 = new JpegLosslessDecoder().decode(encodeJpegLossless(u, rows, cols, 12).slice().buffer);
    expect(Array.from(d12)).toEqual(Array.from(u));
    const flat = new Uint16Array(rows * cols).fill(100);
    const df = new JpegLosslessDecoder().decode(encodeJpegLossless(flat, rows, cols, 12).slice().buffer);
    expect(Array.from(df)).toEqual(Array.from(flat));
  });
});
