import { describe, expect, it } from 'vitest';
import { decodeDicom, decodeDicomStored, isStoredFrame, type StoredGreyFrame } from '../../src/preprocess/decode/index.ts';
import type { NormalizeSpec } from '../../src/preprocess/normalize.ts';
import { storedMinMax } from '../../src/preprocess/normalize.ts';
import type { Fit } from '../../src/preprocess/resize.ts';
import { frameToImage, needsInversion, storedFrameToImage, type ImageResult } from '../../src/preprocess/toImage.ts';
import { buildDicom, encodeRle, exactBuffer, rlePlanes, testImage, TS, type FixtureSpec } from './fixtures/dicomFixtures.ts';

/**
 * The preprocess worker's fast path (decodeDicomStored → storedFrameToImage on 16-bit integers)
 * must give exactly what decodeDicom → frameToImage gives on Float32 values: same pixels, same
 * range, same errors, for every bit layout, rescale, padding rule, normalisation and fit.
 */

const W = 61;
const H = 47;

function stored16(values: Int32Array, signed: boolean, junk = 0): ArrayBuffer {
  const a = signed ? Int16Array.from(values) : Uint16Array.from(values, (v) => (v | junk) & 0xffff);
  return exactBuffer(a);
}

/** A padded disc: pixels outside the disc set to `pad` (stored). */
function padded(values: Int32Array, pad: number, w = W, h = H): Int32Array {
  const out = values.slice();
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (Math.hypot(x - w / 2, y - h / 2) > Math.min(w, h) / 2.2) out[y * w + x] = pad;
  return out;
}

type Spec = Partial<FixtureSpec> & Pick<FixtureSpec, 'pixelData' | 'bitsAllocated' | 'bitsStored' | 'pixelRepresentation'>;
const file = (s: Spec): Uint8Array => buildDicom({ transferSyntax: TS.explicit, rows: H, columns: W, modality: 'CT', ...s });

const CASES: Array<{ name: string; bytes: Uint8Array }> = [
  {
    name: 'int16 CT, intercept −1024, padding −2000',
    bytes: file({
      bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1,
      attributes: { RescaleIntercept: -1024, RescaleSlope: 1, PixelPaddingValue: -2000 }, vrMap: { PixelPaddingValue: 'SS' },
      pixelData: [stored16(padded(testImage(W, H, -1000, 3000, 2), -2000), true)],
    }),
  },
  {
    name: 'int16, no padding, fractional rescale',
    bytes: file({ bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, attributes: { RescaleIntercept: -7.3, RescaleSlope: 0.37 }, pixelData: [stored16(testImage(W, H, -30000, 30000, 3), true)] }),
  },
  {
    name: 'uint16 BitsStored 12 with junk high bits, padding 0 (bottom)',
    bytes: file({
      bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, modality: 'MR',
      attributes: { RescaleIntercept: 3, RescaleSlope: 1.5, PixelPaddingValue: 0 }, vrMap: { PixelPaddingValue: 'US' },
      pixelData: [stored16(padded(testImage(W, H, 1, 4095, 4), 0), false, 0xa000)],
    }),
  },
  {
    name: 'signed BitsStored 12, HighBit 13 (shifted), negative slope',
    bytes: file({
      bitsAllocated: 16, bitsStored: 12, highBit: 13, pixelRepresentation: 1, attributes: { RescaleIntercept: 100, RescaleSlope: -2 },
      pixelData: [exactBuffer(Uint16Array.from(testImage(W, H, -2048, 2047, 5), (v) => (((v & 0xfff) << 2) | 0x8001) & 0xffff))],
    }),
  },
  {
    name: 'padding range in the middle of the values (PixelPaddingRangeLimit)',
    bytes: file({
      bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1,
      attributes: { PixelPaddingValue: 100, PixelPaddingRangeLimit: 400 }, vrMap: { PixelPaddingValue: 'SS', PixelPaddingRangeLimit: 'SS' },
      pixelData: [stored16(testImage(W, H, -500, 1500, 6), true)],
    }),
  },
  {
    name: 'big endian uint16, MONOCHROME1',
    bytes: file({ transferSyntax: TS.bigEndian, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, photometric: 'MONOCHROME1', modality: 'DX', pixelData: [stored16(testImage(W, H, 0, 65535, 7), false)] }),
  },
  {
    name: 'multi-frame int16 (3 frames)',
    bytes: file({
      bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, frames: 3, attributes: { RescaleIntercept: -1024 },
      pixelData: [exactBuffer(Int16Array.from([...testImage(W, H, -1000, 2000, 8), ...testImage(W, H, 0, 10, 9), ...new Int32Array(W * H).fill(5)]))],
    }),
  },
  {
    name: 'every pixel padding',
    bytes: file({
      bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, attributes: { PixelPaddingValue: -2000 }, vrMap: { PixelPaddingValue: 'SS' },
      pixelData: [stored16(new Int32Array(W * H).fill(-2000), true)],
    }),
  },
  {
    name: 'RLE int16 with padding',
    bytes: file({
      transferSyntax: TS.rle, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1,
      attributes: { RescaleIntercept: -1024, PixelPaddingValue: -2000 }, vrMap: { PixelPaddingValue: 'SS' },
      pixelData: [encodeRle(rlePlanes(Uint16Array.from(padded(testImage(W, H, -1000, 3000, 10), -2000)), 1, 2))],
    }),
  },
];

const CONFIGS: Array<{ size: number; fit: Fit; normalize: NormalizeSpec }> = [
  { size: 32, fit: 'stretch', normalize: { kind: 'minmax' } },
  { size: 16, fit: 'stretch', normalize: { kind: 'minmax' } },
  { size: 100, fit: 'stretch', normalize: { kind: 'minmax' } },
  { size: 7, fit: 'stretch', normalize: { kind: 'minmax' } },
  { size: 24, fit: 'crop', normalize: { kind: 'dtype-range' } },
  { size: 24, fit: 'crop', normalize: { kind: 'minmax' } },
  { size: 24, fit: 'pad', normalize: { kind: 'minmax' } },
  { size: 24, fit: 'stretch', normalize: { kind: 'dtype-range' } },
  { size: 24, fit: 'stretch', normalize: { kind: 'percentile', lo: 1, hi: 99 } },
  { size: 24, fit: 'stretch', normalize: { kind: 'window', windows: { CT: [-200, 400] } } },
];

function outcome(f: () => ImageResult): { image?: number[]; normLo?: number; normHi?: number; error?: string } {
  try {
    const r = f();
    return { image: [...r.image], normLo: r.normLo, normHi: r.normHi };
  } catch (e) {
    return { error: `${(e as { code?: string }).code}: ${(e as Error).message}` };
  }
}

describe('stored fast path (decodeDicomStored → storedFrameToImage) equals decodeDicom → frameToImage', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ref = await decodeDicom(c.bytes);
      const fast = await decodeDicomStored(c.bytes);
      const h = ref.header;
      expect(fast.frames.length).toBe(ref.frames.length);
      const facts = (slope: number, intercept: number) => ({
        rows: h.rows, cols: h.columns, invert: needsInversion(h.photometric, h.presentationLutShape), modality: h.modality,
        bitsAllocated: h.bitsAllocated, pixelRepresentation: h.pixelRepresentation, slope, intercept,
      });
      let errors = 0;
      ref.frames.forEach((rf, k) => {
        const ff = fast.frames[k]!;
        expect(isStoredFrame(ff)).toBe(true);
        const sf = ff as StoredGreyFrame;
        expect([sf.slope, sf.intercept]).toEqual([rf.slope, rf.intercept]);
        for (const config of CONFIGS) {
          const want = outcome(() => frameToImage(rf.values.slice(), rf.padding, facts(rf.slope, rf.intercept), config));
          const got = outcome(() => storedFrameToImage(sf, facts(sf.slope, sf.intercept), config));
          expect(got, `${c.name} frame ${k} ${config.fit} ${config.normalize.kind} ${config.size}`).toEqual(want);
          if (want.error) errors++;
        }
      });
      if (c.name.startsWith('every pixel')) expect(errors).toBe(CONFIGS.length);
    });
  }

  it('a constant frame gives the same CONSTANT_IMAGE error on both paths', async () => {
    const bytes = CASES.find((c) => c.name.startsWith('multi-frame'))!.bytes;
    const fast = await decodeDicomStored(bytes, { frames: [2] });
    const err = outcome(() =>
      storedFrameToImage(fast.frames[0] as StoredGreyFrame, { rows: H, cols: W, invert: false, modality: 'CT', bitsAllocated: 16, pixelRepresentation: 1, slope: 1, intercept: -1024 }, CONFIGS[0]!),
    );
    expect(err.error).toBe('CONSTANT_IMAGE: constant image: every non-padding pixel is -1019');
  });

  it('aligned little-endian native data is not copied; masked data is', async () => {
    const full = CASES[0]!.bytes;
    const a = (await decodeDicomStored(full)).frames[0] as StoredGreyFrame;
    expect(a.stored).toBeInstanceOf(Int16Array);
    expect(a.stored.buffer).toBe(full.buffer);
    const b = (await decodeDicomStored(CASES[2]!.bytes)).frames[0] as StoredGreyFrame;
    expect(b.stored).toBeInstanceOf(Uint16Array);
    expect(b.stored.buffer).not.toBe(CASES[2]!.bytes.buffer);
    expect(Math.max(...b.stored)).toBeLessThan(4096);
  });

  it('8-bit and colour frames stay as values', async () => {
    const eight = buildDicom({ transferSyntax: TS.explicit, rows: 4, columns: 4, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, pixelData: [exactBuffer(new Uint8Array(16).map((_, i) => i))] });
    const d = await decodeDicomStored(eight);
    expect(isStoredFrame(d.frames[0]!)).toBe(false);
  });
});

describe('storedMinMax', () => {
  const s = Int16Array.from([5, -2000, 7, -2000, -3000, 9]);
  it('no padding: min and max of everything', () => {
    expect(storedMinMax(s, Infinity, -Infinity)).toEqual({ lo: -3000, hi: 9, allLo: -3000, allHi: 9 });
  });
  it('padding below everything else, and padding with values beneath it', () => {
    expect(storedMinMax(Int16Array.from([5, -2000, 7, 9]), -2000, -2000)).toEqual({ lo: 5, hi: 9, allLo: -2000, allHi: 9 });
    expect(storedMinMax(s, -2000, -2000)).toEqual({ lo: -3000, hi: 9, allLo: -3000, allHi: 9 });
    expect(storedMinMax(s, -Infinity, -2000)).toEqual({ lo: 5, hi: 9, allLo: -3000, allHi: 9 });
  });
  it('padding in the middle, and all padding', () => {
    expect(storedMinMax(s, 6, 8)).toEqual({ lo: -3000, hi: 9, allLo: -3000, allHi: 9 });
    expect(storedMinMax(Int16Array.from([6, 7, 8]), 6, 8)).toEqual({ lo: Infinity, hi: -Infinity, allLo: 6, allHi: 8 });
    expect(storedMinMax(Uint16Array.from([0, 0]), 0, 0)).toMatchObject({ lo: Infinity, hi: -Infinity });
  });
  it('matches its definition on random data of every length (the SIMD lanes and the tail past them)', () => {
    // Definition: lo/hi over values outside [padLo, padHi] (±Infinity when none), allLo/allHi over all.
    const reference = (v: Int16Array | Uint16Array, padLo: number, padHi: number) => {
      let lo = Infinity, hi = -Infinity, allLo = Infinity, allHi = -Infinity;
      for (const x of v) {
        allLo = Math.min(allLo, x);
        allHi = Math.max(allHi, x);
        if (x < padLo || x > padHi) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
      }
      return { lo, hi, allLo, allHi };
    };
    let state = 7;
    const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
    let checked = 0;
    for (let t = 0; t < 400; t++) {
      const n = 1 + Math.floor(next() * 70) + (t % 10 === 0 ? 4096 : 0);
      const v = t % 2 ? new Int16Array(n) : new Uint16Array(n);
      const span = [50, 4096, 65536][t % 3]!;
      for (let i = 0; i < n; i++) v[i] = Math.floor(next() * span) - (t % 4 === 1 ? span >> 1 : 0);
      const pick = v[Math.floor(next() * n)]!;
      const pads: Array<[number, number]> = [[Infinity, -Infinity], [pick, pick], [-Infinity, pick], [pick - 3, pick], [-0x10001, 0x10000], [0, 0], [-1, -1], [65535, 65535]];
      for (const [padLo, padHi] of pads) {
        expect(storedMinMax(v, padLo, padHi)).toEqual(reference(v, padLo, padHi));
        checked++;
      }
    }
    expect(checked).toBe(3200);
  });
});
