import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeDicom, DicomError, readDicomHeader } from '../../src/preprocess/decode/index.ts';
import { buildDicom, encodeJpegLs, exactBuffer, TS } from './fixtures/dicomFixtures.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.resolve(repoRoot, '../shared/dicom-samples');
const present = fs.existsSync(path.join(dir, 'index.csv'));

/** Decode and classify: 'ok', a DicomError code, or the offending non-DicomError (a test failure). */
async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    await decodeDicom(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof DicomError) return e.code;
    return `NOT A DicomError: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
  }
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe('garbage input never crashes, hangs or allocates without bound', () => {
  it('empty, zero and random bytes → NOT_DICOM (or another DicomError)', async () => {
    expect(await outcome(new Uint8Array(0))).toBe('NOT_DICOM');
    expect(await outcome(new Uint8Array(1000))).toBe('NOT_DICOM');
    const rnd = lcg(42);
    for (const n of [1, 7, 131, 132, 500, 4096, 70_000]) {
      const b = Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
      const o = await outcome(b);
      expect(o, `random ${n}`).not.toMatch(/^NOT A DicomError|^ok$/);
      // The same with a valid-looking preamble and magic.
      const p = Uint8Array.from({ length: n + 132 }, () => Math.floor(rnd() * 256));
      p.set([0x44, 0x49, 0x43, 0x4d], 128);
      expect(await outcome(p), `DICM + random ${n}`).not.toMatch(/^NOT A DicomError|^ok$/);
    }
    expect(() => readDicomHeader(new Uint8Array(10))).toThrow(DicomError);
  });

  it('absurd declared geometry → BAD_GEOMETRY without allocating it', async () => {
    const px = exactBuffer(new Uint16Array(64 * 64));
    const base = { transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0 as const, pixelData: [px] };
    const before = process.memoryUsage().arrayBuffers;
    const huge = await decodeDicom(buildDicom({ ...base, rows: 65535, columns: 65535 })).catch((e: unknown) => e);
    expect((huge as DicomError).code).toBe('BAD_GEOMETRY');
    const manyNative = await decodeDicom(buildDicom({ ...base, rows: 64, columns: 64, frames: 1_000_000 })).catch((e: unknown) => e);
    expect((manyNative as DicomError).code).toBe('BAD_GEOMETRY');
    const stream = await encodeJpegLs(new Uint16Array(64 * 64), 64, 64, 12);
    const manyJls = await decodeDicom(buildDicom({ ...base, transferSyntax: TS.jpegLs, bitsStored: 12, rows: 64, columns: 64, frames: 1_000_000, pixelData: [stream] })).catch((e: unknown) => e);
    expect((manyJls as DicomError).code).toBe('BAD_GEOMETRY');
    const absurd = await decodeDicom(buildDicom({ ...base, rows: 64, columns: 64, frames: 2_000_000_000 })).catch((e: unknown) => e);
    expect((absurd as DicomError).code).toBe('BAD_GEOMETRY');
    const big = await decodeDicom(buildDicom({ ...base, rows: 8192, columns: 8192 })).catch((e: unknown) => e);
    expect((big as DicomError).code).toBe('BAD_GEOMETRY'); // declared length 8 KB < 128 MB needed
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a native PixelData length field larger than the file → TRUNCATED', async () => {
    const file = buildDicom({ transferSyntax: TS.explicit, rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, pixelData: [exactBuffer(new Uint16Array(32 * 32))] });
    expect(await outcome(file.subarray(0, file.length - 100))).toMatch(/TRUNCATED/);
    const implicit = buildDicom({ transferSyntax: TS.implicit, rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, pixelData: [exactBuffer(new Uint16Array(32 * 32))] });
    expect(await outcome(implicit.subarray(0, implicit.length - 100))).toBe('TRUNCATED');
  });
});

describe.skipIf(!present)('truncations and byte flips of real files', () => {
  const read = (f: string): Buffer => fs.readFileSync(path.join(dir, f));

  for (const [file, step] of [['pydicom-MR_small.dcm', 1], ['pydicom-MR_small_RLE.dcm', 11], ['pydicom-MR_small_jpeg_ls_lossless.dcm', 23], ['pydicom-MR_small_jp2klossless.dcm', 23]] as const) {
    it(`${file}: ${step === 1 ? 'every' : `every ${step}th`} truncation point → DicomError (or, past the pixels, the exact image)`, async () => {
      const full = read(file);
      const reference = (await decodeDicom(full)).frames[0]!.values;
      const counts = new Map<string, number>();
      for (let n = 0; n < full.length; n += step) {
        // Copy: the decoder must work on a short buffer, not a view onto the full file.
        const cut = Uint8Array.prototype.slice.call(full, 0, n);
        let o: string;
        try {
          const d = await decodeDicom(cut);
          o = d.frames[0]!.values.every((v, i) => v === reference[i]) ? 'ok-identical' : 'ok-DIFFERENT';
        } catch (e) {
          o = e instanceof DicomError ? e.code : `NOT A DicomError at ${n}: ${String(e instanceof Error ? e.message : e)}`;
        }
        counts.set(o, (counts.get(o) ?? 0) + 1);
      }
      const kinds = [...counts.keys()];
      expect(kinds.filter((k) => k.startsWith('NOT A') || k === 'ok-DIFFERENT')).toEqual([]);
      expect(counts.get('TRUNCATED') ?? 0).toBeGreaterThan(0);
    });
  }

  it('random byte flips in headers and pixel data → a result or a DicomError, never another exception', async () => {
    const rnd = lcg(7);
    const seen = new Set<string>();
    for (const file of ['pydicom-MR_small.dcm', 'pydicom-MR_small_RLE.dcm', 'pydicom-MR_small_jpeg_ls_lossless.dcm', 'pydicom-MR_small_jp2klossless.dcm', 'pydicom-CT_small.dcm', 'synth-SC-JLS-3frames.dcm']) {
      const full = read(file);
      for (let k = 0; k < 60; k++) {
        const b = Uint8Array.prototype.slice.call(full) as Uint8Array;
        const flips = 1 + Math.floor(rnd() * 8);
        // Half the trials hit the first 1 KB (header), the rest anywhere.
        for (let j = 0; j < flips; j++) {
          const at = Math.floor(rnd() * (k % 2 ? b.length : Math.min(1024, b.length)));
          b[at] = b[at]! ^ (1 << Math.floor(rnd() * 8));
        }
        seen.add(await outcome(b));
      }
    }
    expect([...seen].filter((s) => s.startsWith('NOT A'))).toEqual([]);
    expect(seen.has('ok')).toBe(true);
  });
});

describe('header-only reads of a prefix', () => {
  it('an implicit-VR prefix cut inside an element → TRUNCATED, not a silently partial header', () => {
    const file = buildDicom({ transferSyntax: TS.implicit, rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, attributes: { ImageComments: 'x'.repeat(400) }, pixelData: [exactBuffer(new Uint16Array(32 * 32))] });
    const full = readDicomHeader(file);
    expect(full).toMatchObject({ rows: 32, columns: 32, hasPixelData: true });
    const at = Buffer.from(file).indexOf('xxxxxxxxxx');
    expect(() => readDicomHeader(file.subarray(0, at + 100))).toThrow(expect.objectContaining({ code: 'TRUNCATED' }));
    // A prefix that stops inside PixelData is a complete header.
    expect(readDicomHeader(file.subarray(0, file.length - 1000))).toMatchObject({ rows: 32, hasPixelData: true });
  });
});

describe('truncated deflated file', () => {
  it('every 5th truncation point → DicomError, mostly TRUNCATED', async () => {
    const stored = Int16Array.from({ length: 32 * 32 }, (_, i) => (i * 37) % 2000);
    const file = buildDicom({ transferSyntax: TS.deflated, rows: 32, columns: 32, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [exactBuffer(stored)] });
    expect((await decodeDicom(file)).frames[0]!.values[5]).toBe(stored[5]);
    const counts = new Map<string, number>();
    for (let n = 0; n < file.length - 1; n += 5) {
      const o = await outcome(Uint8Array.prototype.slice.call(file, 0, n));
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    expect([...counts.keys()].filter((k) => k.startsWith('NOT A') || k === 'ok')).toEqual([]);
    expect(counts.get('TRUNCATED') ?? 0).toBeGreaterThan(counts.get('NOT_DICOM') ?? 0);
  });
});
