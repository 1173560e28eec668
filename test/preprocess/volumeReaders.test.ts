import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageFile, isPng16 } from '../../src/preprocess/imageFile.ts';
import { readNifti } from '../../src/preprocess/import/nifti.ts';
import { readNpy, readNpyHeader } from '../../src/preprocess/import/npy.ts';
import { walkFolders } from '../../src/preprocess/import/walk.ts';
import { forEachBounded } from '../../src/preprocess/pool.ts';
import { encodeJpeg, encodeNifti, encodeNpy, encodePng16 } from '../../src/standins/external/encode.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'volumes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** 2 slices × 3 rows × 4 cols, value = 100·s + 10·r + c (C order). */
const SHAPE = [2, 3, 4];
const VALUES = Array.from({ length: 24 }, (_, i) => 100 * Math.floor(i / 12) + 10 * Math.floor((i % 12) / 4) + (i % 4));
const slice = (s: number) => VALUES.slice(s * 12, s * 12 + 12);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('.npy reader', () => {
  it.each([
    ['v1 uint8 C order', encodeNpy(VALUES, SHAPE, '|u1')],
    ['v2 int16 Fortran order', encodeNpy(VALUES, SHAPE, '<i2', { version: 2, fortran: true })],
    ['v3 big-endian int16', encodeNpy(VALUES, SHAPE, '>i2', { version: 3 })],
    ['float64', encodeNpy(VALUES, SHAPE, '<f8')],
  ])('%s: slices in (row, col) order with exact values', (_name, bytes) => {
    const v = readNpy(bytes);
    expect([v.slices, v.rows, v.cols]).toEqual(SHAPE);
    expect(Array.from(v.slice(0))).toEqual(slice(0));
    expect(Array.from(v.slice(1))).toEqual(slice(1));
  });

  it('2-D is one slice; the header is read as numpy writes it (data 64-byte aligned)', () => {
    const bytes = encodeNpy(slice(1), [3, 4], '<f4');
    expect(readNpyHeader(bytes)).toMatchObject({ version: '1.0', descr: '<f4', fortranOrder: false, shape: [3, 4], dataOffset: 128 });
    expect(Array.from(readNpy(bytes).slice(0))).toEqual(slice(1));
  });

  it('truncated data, a malformed header, a wrong rank, an unknown dtype: data errors with codes', () => {
    const good = encodeNpy(VALUES, SHAPE, '<i2');
    expect(codeOf(() => readNpy(good.subarray(0, good.length - 3)))).toBe('NPY_TRUNCATED');
    expect(codeOf(() => readNpy(good.subarray(0, 30)))).toBe('NPY_MALFORMED');
    expect(codeOf(() => readNpy(Buffer.from('PK\x03\x04 not npy')))).toBe('NPY_MALFORMED');
    const bad = Buffer.from(good);
    bad.write("{'descr': '<i2', 'fortran_order': Maybe, 'shape': (2, 3, 4), }", 10, 'latin1');
    expect(codeOf(() => readNpy(bad))).toBe('NPY_MALFORMED');
    expect(codeOf(() => readNpy(encodeNpy([1, 2, 3, 4], [1, 1, 2, 2], '|u1')))).toBe('NPY_SHAPE');
    const complex = Buffer.from(good);
    complex.write("'<c8'", complex.indexOf("'<i2'"), 'latin1');
    expect(codeOf(() => readNpy(complex))).toBe('NPY_MALFORMED');
  });
});

describe('NIfTI reader', () => {
  // NIfTI order is x fastest: a 4 (x) × 3 (y) × 2 (z) volume of the same numbers.
  const DIMS: [number, number, number] = [4, 3, 2];

  it.each([
    ['NIfTI-1 int16 gzip', encodeNifti(VALUES, DIMS, { datatype: 4 }), 'a.nii.gz'],
    ['NIfTI-2 uint16 plain', encodeNifti(VALUES, DIMS, { datatype: 512, version: 2, gzip: false }), 'a.nii'],
    ['NIfTI-1 float32 big-endian', encodeNifti(VALUES, DIMS, { datatype: 16, littleEndian: false }), 'a.nii.gz'],
    ['NIfTI-2 uint8 big-endian', encodeNifti(VALUES, DIMS, { datatype: 2, version: 2, littleEndian: false }), 'a.nii.gz'],
  ])('%s: axial slices, row = y, column = x', async (_name, bytes, name) => {
    const v = await readNifti(bytes, name);
    expect([v.slices, v.rows, v.cols]).toEqual([2, 3, 4]);
    expect(Array.from(v.slice(0))).toEqual(slice(0));
    expect(Array.from(v.slice(1))).toEqual(slice(1));
  });

  it('scl_slope and scl_inter are applied; slope 0 means unscaled', async () => {
    const scaled = await readNifti(encodeNifti(VALUES, DIMS, { datatype: 4, sclSlope: 0.5, sclInter: -10 }), 'a.nii.gz');
    expect(Array.from(scaled.slice(1))).toEqual(slice(1).map((x) => x * 0.5 - 10));
    const unscaled = await readNifti(encodeNifti(VALUES, DIMS, { datatype: 4, sclSlope: 0, sclInter: 99 }), 'a.nii.gz');
    expect(Array.from(unscaled.slice(0))).toEqual(slice(0));
  });

  it('not gzip, broken gzip, truncated data, not NIfTI, an unhandled datatype: data errors with codes', async () => {
    const code = (p: Promise<unknown>) => p.then(() => undefined, (e: { code?: string }) => e.code);
    expect(await code(readNifti(Buffer.from('plain text, not gzip'), 'x.nii.gz'))).toBe('NIFTI_NOT_GZIP');
    const gz = encodeNifti(VALUES, DIMS, { datatype: 4 });
    expect(await code(readNifti(gz.subarray(0, gz.length - 20), 'x.nii.gz'))).toBe('NIFTI_GZIP_BROKEN');
    const raw = encodeNifti(VALUES, DIMS, { datatype: 4, gzip: false });
    expect(await code(readNifti(raw.subarray(0, raw.length - 2), 'x.nii'))).toBe('NIFTI_TRUNCATED');
    expect(await code(readNifti(zlib.gzipSync(Buffer.alloc(400)), 'x.nii.gz'))).toBe('NIFTI_MALFORMED');
    const complex = Buffer.from(raw);
    complex.writeInt16LE(32, 70); // DT_COMPLEX64
    expect(await code(readNifti(complex, 'x.nii'))).toBe('NIFTI_DATATYPE');
    // A plain NIfTI misnamed .nii.gz is still a NIfTI.
    expect((await readNifti(raw, 'x.nii.gz')).slices).toBe(2);
  });
});

describe('PNG/JPEG decoding', () => {
  it('a 16-bit PNG keeps its exact values (sharp would divide them by 256)', async () => {
    const values = Uint16Array.from({ length: 12 }, (_, i) => i * 5000 + 7);
    const png = encodePng16(values, 4, 3);
    expect(isPng16(png)).toBe(true);
    const g = await decodeImageFile(png);
    expect(g).toMatchObject({ rows: 3, cols: 4, bits: 16 });
    expect(Array.from(g.values)).toEqual(Array.from(values));
  });

  it('an RGB JPEG becomes one grey channel', async () => {
    const w = 16;
    const rgb = new Uint8Array(w * w * 3);
    for (let i = 0; i < w * w; i++) rgb.set([200, 200, 200], i * 3);
    for (let i = 0; i < w * 8; i++) rgb.set([20, 20, 20], i * 3);
    const g = await decodeImageFile(await encodeJpeg(rgb, w, w, 3));
    expect(g).toMatchObject({ rows: w, cols: w, bits: 8, values: expect.any(Float32Array) });
    expect(g.values.length).toBe(w * w);
    expect(Math.abs(g.values[0]! - 20)).toBeLessThan(8);
    expect(Math.abs(g.values[w * w - 1]! - 200)).toBeLessThan(8);
  });
});

describe('streaming', () => {
  it('walkFolders yields each folder in sorted chunks, skipping hidden entries and unaccepted names', async () => {
    const root = path.join(tmp, 'walk');
    for (let i = 0; i < 7; i++) {
      fs.mkdirSync(path.join(root, 'a'), { recursive: true });
      fs.writeFileSync(path.join(root, 'a', `f${i}.npy`), 'x');
    }
    fs.writeFileSync(path.join(root, 'a', '.hidden.npy'), 'x');
    fs.writeFileSync(path.join(root, 'a', 'notes.txt'), 'x');
    fs.mkdirSync(path.join(root, 'b/c'), { recursive: true });
    fs.writeFileSync(path.join(root, 'b/c/z.npy'), 'x');
    const chunks: string[][] = [];
    for await (const c of walkFolders(root, (n) => n.endsWith('.npy'), 3)) chunks.push(c.files.map((f) => f.rel));
    const a = chunks.filter((c) => c[0]!.startsWith('a/'));
    expect(a.map((c) => c.length)).toEqual([3, 3, 1]);
    expect(a.flat().sort()).toEqual(Array.from({ length: 7 }, (_, i) => `a/f${i}.npy`));
    for (const c of a) expect(c).toEqual([...c].sort());
    expect(chunks).toContainEqual(['b/c/z.npy']);
  });

  it('forEachBounded reads a stream only as fast as calls finish', async () => {
    let pulled = 0;
    let done = 0;
    let maxAhead = 0;
    async function* items() {
      for (let i = 0; i < 200; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - done);
        yield i;
      }
    }
    await forEachBounded(items(), 4, async () => {
      await new Promise((r) => setImmediate(r));
      done++;
    });
    expect(done).toBe(200);
    expect(maxAhead).toBeLessThanOrEqual(5);
  });
});
