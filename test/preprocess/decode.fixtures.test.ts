import { describe, expect, it } from 'vitest';
import { decodeDicom, DicomError, isSkip, readDicomHeader, type DecodedDicom, type DecodeOptions } from '../../src/preprocess/decode/index.ts';
import {
  buildDicom,
  encodeHtj2k,
  encodeJ2k,
  encodeJpeg8,
  encodeJpegLs,
  encodeRle,
  exactBuffer,
  rlePlanes,
  testImage,
  TS,
  withEncapsulatedPixelData,
  type FixtureSpec,
} from './fixtures/dicomFixtures.ts';
import jpeg12 from './fixtures/jpegExtended-dcmtk.json' with { type: 'json' };
import { decodeJpegDct } from '../../src/preprocess/decode/jpegDct.ts';

const W = 40;
const H = 24;

async function decodeErr(bytes: Uint8Array, options?: DecodeOptions): Promise<DicomError> {
  const r = await decodeDicom(bytes, options).then(
    (d: DecodedDicom) => d,
    (e: unknown) => e,
  );
  expect(r).toBeInstanceOf(DicomError);
  return r as DicomError;
}

/** Container array of stored values for bits allocated / signedness. */
function container(stored: Int32Array, ba: number, signed: boolean): Uint8Array | Uint16Array | Int16Array | Uint32Array | Int32Array {
  if (ba === 8) return Uint8Array.from(stored, (v) => v & 0xff);
  if (ba === 16) return signed ? Int16Array.from(stored) : Uint16Array.from(stored, (v) => v & 0xffff);
  return signed ? Int32Array.from(stored) : Uint32Array.from(stored, (v) => v >>> 0);
}

function expectValues(actual: Float32Array, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  let bad = -1;
  for (let i = 0; i < expected.length; i++) {
    if (actual[i] !== Math.fround(expected[i]!)) {
      bad = i;
      break;
    }
  }
  expect(bad === -1 ? 'all equal' : `first mismatch at ${bad}: ${actual[bad]} vs ${expected[bad]}`).toBe('all equal');
}

const grey = (over: Partial<FixtureSpec> & Pick<FixtureSpec, 'transferSyntax' | 'pixelData' | 'bitsAllocated' | 'bitsStored' | 'pixelRepresentation'>): Uint8Array =>
  buildDicom({ rows: H, columns: W, ...over });

describe('native transfer syntaxes round-trip', () => {
  const configs = [
    { ba: 16, bs: 16, pr: 1 as const, lo: -2000, hi: 3000 },
    { ba: 16, bs: 12, pr: 0 as const, lo: 0, hi: 4095 },
    { ba: 8, bs: 8, pr: 0 as const, lo: 0, hi: 255 },
    { ba: 32, bs: 32, pr: 1 as const, lo: -100000, hi: 100000 },
    { ba: 32, bs: 32, pr: 0 as const, lo: 0, hi: 3_000_000_000 },
  ];
  for (const ts of [TS.implicit, TS.explicit, TS.deflated, TS.bigEndian]) {
    for (const c of configs) {
      it(`${ts} ${c.ba}-bit (stored ${c.bs}, ${c.pr ? 'signed' : 'unsigned'})`, async () => {
        const stored = c.ba === 32 && c.pr === 0 ? Float64Array.from(testImage(W, H, 0, 30000), (v) => v * 100000) : testImage(W, H, c.lo, c.hi);
        const arr = c.ba === 32 && c.pr === 0 ? Uint32Array.from(stored) : container(stored as Int32Array, c.ba, c.pr === 1);
        const file = grey({
          transferSyntax: ts,
          bitsAllocated: c.ba,
          bitsStored: c.bs,
          pixelRepresentation: c.pr,
          attributes: { RescaleSlope: 1, RescaleIntercept: -1024 },
          pixelData: [exactBuffer(arr)],
        });
        const d = await decodeDicom(file);
        expect(d.header.transferSyntaxUid).toBe(ts);
        expectValues(d.frames[0]!.values, Array.from(stored, (v) => v - 1024));
      });
    }
  }

  it('big endian 8-bit samples in an OW value are word-swapped (PS3.5); mislabelled 3-sample YBR_FULL_422 reads as YBR', async () => {
    const stored = Uint8Array.from(testImage(W, H, 0, 255));
    const file = grey({ transferSyntax: TS.bigEndian, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, vrMap: { PixelData: 'OW' }, pixelData: [exactBuffer(stored)] });
    const { default: dicomParser } = await import('dicom-parser');
    const px = dicomParser.parseDicom(file).elements.x7fe00010!;
    expect(px.vr).toBe('OW');
    for (let i = px.dataOffset; i + 1 < px.dataOffset + px.length; i += 2) file.subarray(i, i + 2).reverse();
    expectValues((await decodeDicom(file)).frames[0]!.values, stored);
    const ybr = Uint8Array.from({ length: W * H * 3 }, (_, k) => (k % 3 === 0 ? stored[k / 3]! : 128));
    const mislabelled = grey({ transferSyntax: TS.explicit, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, samplesPerPixel: 3, photometric: 'YBR_FULL_422', pixelData: [exactBuffer(ybr)] });
    expectValues((await decodeDicom(mislabelled)).frames[0]!.values, stored);
  });

  it('decodes from a Buffer at an odd byteOffset (unaligned 16-bit PixelData)', async () => {
    const stored = testImage(W, H, -1000, 1000);
    const file = grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [exactBuffer(Int16Array.from(stored))] });
    const big = Buffer.alloc(file.length + 1);
    big.set(file, 1);
    const d = await decodeDicom(big.subarray(1));
    expectValues(d.frames[0]!.values, stored);
    expect(big.subarray(1).equals(Buffer.from(file))).toBe(true); // input untouched
  });

  it('files without the 128-byte preamble: File Meta only, and a bare implicit data set', async () => {
    const stored = testImage(W, H, 0, 4095);
    const file = grey({ transferSyntax: TS.implicit, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, pixelData: [exactBuffer(Uint16Array.from(stored))] });
    expectValues((await decodeDicom(file.subarray(132))).frames[0]!.values, stored);
    const meta = readDicomHeader(file);
    const metaLen = new DataView(file.buffer, file.byteOffset).getUint32(132 + 8, true) + 132 + 12;
    const bare = file.subarray(metaLen);
    const d = await decodeDicom(bare);
    expect(d.header.transferSyntaxUid).toBe(TS.implicit);
    expect(d.header.sopInstanceUid).toBe(meta.sopInstanceUid);
    expectValues(d.frames[0]!.values, stored);
  });

  it('bare explicit big-endian data set, and File Meta lacking TransferSyntaxUID (syntax guessed)', async () => {
    const stored = testImage(W, H, -1000, 1000);
    const be = grey({ transferSyntax: TS.bigEndian, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [exactBuffer(Int16Array.from(stored))] });
    const metaLen = (f: Uint8Array): number => new DataView(f.buffer, f.byteOffset).getUint32(132 + 8, true) + 132 + 12;
    const bare = await decodeDicom(be.subarray(metaLen(be)));
    expect(bare.header.transferSyntaxUid).toBe(TS.bigEndian);
    expectValues(bare.frames[0]!.values, stored);
    const le = Uint8Array.prototype.slice.call(grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [exactBuffer(Int16Array.from(stored))] })) as Uint8Array;
    const at = Buffer.from(le).indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49])); // (0002,0010) UI
    le[at + 2] = 0x18; // → (0002,0018), so the meta has no TransferSyntaxUID
    const guessed = await decodeDicom(le);
    expect(guessed.header.transferSyntaxUid).toBe(TS.explicit);
    expectValues(guessed.frames[0]!.values, stored);
  });
});

describe('pixel semantics', () => {
  it('rescale: stored 1064 with intercept −1024 → 40 HU; float slope/intercept applied as floats', async () => {
    const px = Int16Array.from({ length: W * H }, (_, i) => (i === 0 ? 1064 : i));
    const d = await decodeDicom(grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, modality: 'CT', attributes: { RescaleIntercept: -1024, RescaleSlope: 1 }, pixelData: [exactBuffer(px)] }));
    expect(d.frames[0]!.values[0]).toBe(40);
    const e = await decodeDicom(grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0, attributes: { RescaleIntercept: -10.25, RescaleSlope: 2.5 }, pixelData: [exactBuffer(Uint16Array.from(px))] }));
    expect(e.frames[0]!.values[0]).toBe(1064 * 2.5 - 10.25);
    expect(e.frames[0]!).toMatchObject({ slope: 2.5, intercept: -10.25 });
  });

  it('12-bit signed with junk in the unused high bits is masked and sign-extended', async () => {
    const vals = [-2048, -2000, -1, 0, 1, 2047, 1000, -1000];
    const px = new Uint16Array(W * H);
    const expected = new Float64Array(W * H);
    for (let i = 0; i < px.length; i++) {
      const v = vals[i % vals.length]!;
      px[i] = (v & 0x0fff) | (((i * 7) & 0xf) << 12); // overlay junk in bits 12–15
      expected[i] = v;
    }
    const d = await decodeDicom(grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1, pixelData: [exactBuffer(px)] }));
    expectValues(d.frames[0]!.values, expected);
  });

  it('13-bit signed with junk bits, through JPEG-LS (sign restored after the codec)', async () => {
    const vals = [-4096, -3000, -1, 0, 4095, 123];
    const pattern = Uint16Array.from({ length: W * H }, (_, i) => vals[i % vals.length]! & 0x1fff);
    const junk = Uint16Array.from(pattern, (v, i) => v | ((i & 1) << 14));
    const expected = Array.from({ length: W * H }, (_, i) => vals[i % vals.length]!);
    const native = await decodeDicom(grey({ transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 13, pixelRepresentation: 1, pixelData: [exactBuffer(junk)] }));
    expectValues(native.frames[0]!.values, expected);
    const jls = await decodeDicom(grey({ transferSyntax: TS.jpegLs, bitsAllocated: 16, bitsStored: 13, pixelRepresentation: 1, pixelData: [await encodeJpegLs(pattern, W, H, 13)] }));
    expectValues(jls.frames[0]!.values, expected);
  });

  it('enhanced multi-frame: per-frame rescale from PerFrameFunctionalGroupsSequence (−1024, −1000, −2048)', async () => {
    const frames = [1064, 1070, 2148];
    const px = new Int16Array(W * H * 3);
    frames.forEach((v, f) => px.fill(v, f * W * H, (f + 1) * W * H));
    const pvt = (intercept: number) => ({ PixelValueTransformationSequence: [{ RescaleIntercept: intercept, RescaleSlope: 1, RescaleType: 'HU' }] });
    const file = grey({
      transferSyntax: TS.explicit,
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2.1',
      modality: 'CT',
      frames: 3,
      bitsAllocated: 16,
      bitsStored: 16,
      pixelRepresentation: 1,
      attributes: {
        SharedFunctionalGroupsSequence: [{ PixelMeasuresSequence: [{ PixelSpacing: [1, 1], SliceThickness: 1 }] }],
        PerFrameFunctionalGroupsSequence: [pvt(-1024), pvt(-1000), pvt(-2048)],
      },
      pixelData: [exactBuffer(px)],
    });
    const d = await decodeDicom(file);
    expect(d.frames.map((f) => f.intercept)).toEqual([-1024, -1000, -2048]);
    expect(d.frames.map((f) => f.values[5])).toEqual([40, 70, 100]);
    expect(d.header.rescaleIntercept).toBe(0); // top level absent
    const one = await decodeDicom(file, { frames: [2] });
    expect(one.frames[0]!.values[0]).toBe(100);
  });

  it('shared functional group rescale applies to every frame', async () => {
    const px = new Int16Array(W * H * 2).fill(1000);
    const d = await decodeDicom(grey({
      transferSyntax: TS.explicit, frames: 2, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1,
      attributes: { SharedFunctionalGroupsSequence: [{ PixelValueTransformationSequence: [{ RescaleIntercept: -500, RescaleSlope: 2 }] }] },
      pixelData: [exactBuffer(px)],
    }));
    expect(d.frames.map((f) => f.values[0])).toEqual([1500, 1500]);
  });

  it('padding: single value (signed), range with PixelPaddingRangeLimit, none declared → null', async () => {
    const px = Int16Array.from({ length: W * H }, (_, i) => (i % 4 === 0 ? -2000 : i % 4 === 1 ? -1990 : i % 4 === 2 ? -1500 : 100));
    const base = { transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 as const, modality: 'CT', pixelData: [exactBuffer(px)] };
    const single = await decodeDicom(grey({ ...base, attributes: { PixelPaddingValue: -2000, RescaleIntercept: -1024 }, vrMap: { PixelPaddingValue: 'SS' } }));
    expect(single.header.pixelPaddingValue).toBe(-2000);
    expect(Array.from(single.frames[0]!.padding!.subarray(0, 4))).toEqual([1, 0, 0, 0]);
    const range = await decodeDicom(grey({ ...base, attributes: { PixelPaddingValue: -2000, PixelPaddingRangeLimit: -1990 }, vrMap: { PixelPaddingValue: 'SS', PixelPaddingRangeLimit: 'SS' } }));
    expect(Array.from(range.frames[0]!.padding!.subarray(0, 4))).toEqual([1, 1, 0, 0]);
    const none = await decodeDicom(grey(base));
    expect(none.frames[0]!.padding).toBeNull();
    // Implicit VR (no VR on the wire): still read as signed because PixelRepresentation is 1.
    const implicit = await decodeDicom(grey({ ...base, transferSyntax: TS.implicit, attributes: { PixelPaddingValue: -2000 }, vrMap: { PixelPaddingValue: 'SS' } }));
    expect(implicit.header.pixelPaddingValue).toBe(-2000);
    expect(implicit.frames[0]!.padding![0]).toBe(1);
  });

  it('lossy CT padding: values smeared around the padding value are still padding', async () => {
    // JPEG-LS near-lossless (.81) with NEAR=40 moves −2000 by up to ±40 stored units.
    const stored = Int32Array.from({ length: W * H }, (_, i) => ((i % W) < 10 ? -2000 : 30 + ((i * 37) % 900)));
    const pattern = Uint16Array.from(stored, (v) => v & 0xffff);
    const file = grey({ transferSyntax: TS.jpegLsNear, modality: 'CT', bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, attributes: { PixelPaddingValue: -2000, RescaleIntercept: -1024 }, vrMap: { PixelPaddingValue: 'SS' }, pixelData: [await encodeJpegLs(pattern, W, H, 16, 1, 40)] });
    const f = (await decodeDicom(file)).frames[0]!;
    let wrong = 0;
    for (let i = 0; i < stored.length; i++) {
      if ((f.padding![i] === 1) !== (stored[i] === -2000)) wrong++;
      expect(Math.abs(f.values[i]! - (stored[i]! - 1024))).toBeLessThanOrEqual(40);
    }
    expect(wrong).toBe(0);
  });

  it('Modality LUT Sequence replaces rescale', async () => {
    const px = Uint16Array.from({ length: W * H }, (_, i) => i % 8);
    const lutData = Uint16Array.from({ length: 4 }, (_, i) => 1000 + 10 * i);
    const d = await decodeDicom(grey({
      transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0,
      attributes: { ModalityLUTSequence: [{ LUTDescriptor: [4, 2, 16], ModalityLUTType: 'US', LUTData: exactBuffer(lutData) }] },
      vrMap: {},
      pixelData: [exactBuffer(px)],
    }));
    // stored 0,1,2 → clamp to entry 0; 3,4,5 → entries 1..3; beyond → last entry.
    expect(Array.from(d.frames[0]!.values.subarray(0, 8))).toEqual([1000, 1000, 1000, 1010, 1020, 1030, 1030, 1030]);
  });
});

describe('colour to grey', () => {
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) {
    rgb[3 * i] = (i * 3) & 0xff;
    rgb[3 * i + 1] = (i * 5) & 0xff;
    rgb[3 * i + 2] = (i * 11) & 0xff;
  }
  const luma = Array.from({ length: W * H }, (_, i) => 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!);
  const planar = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) for (let c = 0; c < 3; c++) planar[c * W * H + i] = rgb[3 * i + c]!;
  const spec = { bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0 as const, samplesPerPixel: 3, photometric: 'RGB' };

  it('RGB interleaved and planar, native and big endian', async () => {
    for (const ts of [TS.explicit, TS.bigEndian]) {
      expectValues((await decodeDicom(grey({ ...spec, transferSyntax: ts, planarConfiguration: 0, pixelData: [exactBuffer(rgb)] }))).frames[0]!.values, luma);
      expectValues((await decodeDicom(grey({ ...spec, transferSyntax: ts, planarConfiguration: 1, pixelData: [exactBuffer(planar)] }))).frames[0]!.values, luma);
    }
  });

  it('RGB RLE (PlanarConfiguration ignored), J2K lossless RGB, JPEG baseline RGB (approx)', async () => {
    const rle = encodeRle(rlePlanes(rgb, 3, 1));
    expectValues((await decodeDicom(grey({ ...spec, transferSyntax: TS.rle, planarConfiguration: 0, pixelData: [rle] }))).frames[0]!.values, luma);
    const j2k = await encodeJ2k(rgb, W, H, 8, false, 3);
    expectValues((await decodeDicom(grey({ ...spec, transferSyntax: TS.j2kLossless, pixelData: [j2k] }))).frames[0]!.values, luma);
    const smooth = Uint8Array.from({ length: W * H * 3 }, (_, k) => 60 + ((Math.floor(k / 3) % W) * 3 + (k % 3) * 20));
    const smoothLuma = Array.from({ length: W * H }, (_, i) => 0.299 * smooth[3 * i]! + 0.587 * smooth[3 * i + 1]! + 0.114 * smooth[3 * i + 2]!);
    const jpg = await encodeJpeg8(smooth, W, H, 3, 95);
    const v = (await decodeDicom(grey({ ...spec, photometric: 'YBR_FULL_422', transferSyntax: TS.jpegBaseline, pixelData: [jpg] }))).frames[0]!.values;
    let sum = 0;
    for (let i = 0; i < v.length; i++) sum += Math.abs(v[i]! - smoothLuma[i]!);
    expect(sum / v.length).toBeLessThan(3);
  });

  it('JPEG-LS RGB in every interleave mode (0 = planes, 1 = line, 2 = sample); 16- and 32-bit RGB native', async () => {
    for (const mode of [0, 1, 2]) {
      const stream = await encodeJpegLs(mode === 0 ? planar : rgb, W, H, 8, 3, 0, mode);
      const d = await decodeDicom(grey({ ...spec, transferSyntax: TS.jpegLs, pixelData: [stream] }));
      expectValues(d.frames[0]!.values, luma);
    }
    const rgb32 = Uint32Array.from(rgb, (v) => v * 16_000_000 + 7);
    const d32 = await decodeDicom(grey({ ...spec, bitsAllocated: 32, bitsStored: 32, transferSyntax: TS.explicit, pixelData: [exactBuffer(rgb32)] }));
    expectValues(d32.frames[0]!.values, Array.from({ length: W * H }, (_, i) => 0.299 * rgb32[3 * i]! + 0.587 * rgb32[3 * i + 1]! + 0.114 * rgb32[3 * i + 2]!));
    const rgb16 = Uint16Array.from(rgb, (v) => v * 200);
    const d16 = await decodeDicom(grey({ ...spec, bitsAllocated: 16, bitsStored: 16, transferSyntax: TS.bigEndian, pixelData: [exactBuffer(rgb16)] }));
    expectValues(d16.frames[0]!.values, Array.from({ length: W * H }, (_, i) => 0.299 * rgb16[3 * i]! + 0.587 * rgb16[3 * i + 1]! + 0.114 * rgb16[3 * i + 2]!));
  });

  it('YBR_FULL native → Y; YBR_FULL_422 native (Y1 Y2 Cb Cr pairs) → Y', async () => {
    const ybr = Uint8Array.from(rgb);
    const y = Array.from({ length: W * H }, (_, i) => ybr[3 * i]!);
    expectValues((await decodeDicom(grey({ ...spec, photometric: 'YBR_FULL', transferSyntax: TS.explicit, pixelData: [exactBuffer(ybr)] }))).frames[0]!.values, y);
    const pairs = new Uint8Array(W * H * 2);
    for (let p = 0; p < (W * H) / 2; p++) pairs.set([y[2 * p]!, y[2 * p + 1]!, 128, 128], 4 * p);
    expectValues((await decodeDicom(grey({ ...spec, photometric: 'YBR_FULL_422', transferSyntax: TS.explicit, pixelData: [exactBuffer(pairs)] }))).frames[0]!.values, y);
  });

  it('segmented PALETTE COLOR (discrete + linear segments) is expanded', async () => {
    const idx = Uint8Array.from({ length: W * H }, (_, i) => i & 0xff);
    const red = Uint16Array.from([0, 2, 0, 256, 1, 254, 65280]);
    const flat = Uint16Array.from([0, 1, 0, 1, 255, 0]);
    const desc = [256, 0, 16];
    const file = grey({
      transferSyntax: TS.explicit, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometric: 'PALETTE COLOR',
      attributes: {
        RedPaletteColorLookupTableDescriptor: desc, GreenPaletteColorLookupTableDescriptor: desc, BluePaletteColorLookupTableDescriptor: desc,
        SegmentedRedPaletteColorLookupTableData: exactBuffer(red), SegmentedGreenPaletteColorLookupTableData: exactBuffer(flat), SegmentedBluePaletteColorLookupTableData: exactBuffer(flat),
      },
      vrMap: { RedPaletteColorLookupTableDescriptor: 'US', GreenPaletteColorLookupTableDescriptor: 'US', BluePaletteColorLookupTableDescriptor: 'US' },
      pixelData: [exactBuffer(idx)],
    });
    const v = (await decodeDicom(file)).frames[0]!.values;
    expect([v[0], v[1], v[128], v[255]]).toEqual([0, 256, 32768, 65280].map((r) => Math.fround(0.299 * r)));
  });

  it('PALETTE COLOR → luma of the LUT entry; colour: skip → COLOUR_SKIPPED', async () => {
    const idx = Uint8Array.from({ length: W * H }, (_, i) => i & 0xff);
    const red = Uint16Array.from({ length: 256 }, (_, i) => i * 256);
    const zero = new Uint16Array(256);
    const file = grey({
      transferSyntax: TS.explicit, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, photometric: 'PALETTE COLOR',
      attributes: {
        RedPaletteColorLookupTableDescriptor: [256, 0, 16], GreenPaletteColorLookupTableDescriptor: [256, 0, 16], BluePaletteColorLookupTableDescriptor: [256, 0, 16],
        RedPaletteColorLookupTableData: exactBuffer(red), GreenPaletteColorLookupTableData: exactBuffer(zero), BluePaletteColorLookupTableData: exactBuffer(zero),
      },
      vrMap: { RedPaletteColorLookupTableDescriptor: 'US', GreenPaletteColorLookupTableDescriptor: 'US', BluePaletteColorLookupTableDescriptor: 'US' },
      pixelData: [exactBuffer(idx)],
    });
    expectValues((await decodeDicom(file)).frames[0]!.values, Array.from(idx, (i) => 0.299 * i * 256));
    expect((await decodeErr(file, { colour: 'skip' })).code).toBe('COLOUR_SKIPPED');
  });
});

describe('compressed transfer syntaxes round-trip', () => {
  const s16 = testImage(W, H, -2000, 3000, 7);
  const u12 = testImage(W, H, 0, 4095, 9);
  const u8 = testImage(W, H, 0, 255, 11);

  it('RLE 8, 16 (signed) and 32-bit', async () => {
    for (const [stored, ba, pr] of [[u8, 8, 0], [s16, 16, 1], [Int32Array.from(s16, (v) => v * 1000), 32, 1]] as const) {
      const arr = container(stored, ba, pr === 1);
      const planes = rlePlanes(new Uint32Array(Array.from(arr, (v) => v >>> 0)), 1, ba / 8);
      const d = await decodeDicom(grey({ transferSyntax: TS.rle, bitsAllocated: ba, bitsStored: ba, pixelRepresentation: pr, pixelData: [encodeRle(planes)] }));
      expectValues(d.frames[0]!.values, stored);
    }
  });

  it('JPEG-LS lossless: 16-bit signed, 12-bit, 8-bit', async () => {
    const a = await decodeDicom(grey({ transferSyntax: TS.jpegLs, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [await encodeJpegLs(Uint16Array.from(s16, (v) => v & 0xffff), W, H, 16)] }));
    expectValues(a.frames[0]!.values, s16);
    const b = await decodeDicom(grey({ transferSyntax: TS.jpegLs, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, pixelData: [await encodeJpegLs(Uint16Array.from(u12), W, H, 12)] }));
    expectValues(b.frames[0]!.values, u12);
    const c = await decodeDicom(grey({ transferSyntax: TS.jpegLs, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, pixelData: [await encodeJpegLs(Uint8Array.from(u8), W, H, 8)] }));
    expectValues(c.frames[0]!.values, u8);
  });

  it('JPEG-LS near-lossless (.81) stays within NEAR', async () => {
    const d = await decodeDicom(grey({ transferSyntax: TS.jpegLsNear, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, pixelData: [await encodeJpegLs(Uint16Array.from(u12), W, H, 12, 1, 3)] }));
    let maxDiff = 0;
    for (let i = 0; i < u12.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d.frames[0]!.values[i]! - u12[i]!));
    expect(maxDiff).toBeLessThanOrEqual(3);
  });

  it('JPEG 2000 lossless: signed 16-bit; unsigned 12-bit codestream with PixelRepresentation 1 is sign-extended', async () => {
    const a = await decodeDicom(grey({ transferSyntax: TS.j2kLossless, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [await encodeJ2k(Int16Array.from(s16), W, H, 16, true)] }));
    expectValues(a.frames[0]!.values, s16);
    const s12 = testImage(W, H, -2048, 2047, 5);
    const mismatch = await decodeDicom(grey({ transferSyntax: TS.j2kLossless, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 1, pixelData: [await encodeJ2k(Uint16Array.from(s12, (v) => v & 0xfff), W, H, 12, false)] }));
    expectValues(mismatch.frames[0]!.values, s12);
    const b = await decodeDicom(grey({ transferSyntax: TS.j2k, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, pixelData: [await encodeJ2k(Uint8Array.from(u8), W, H, 8, false)] }));
    expectValues(b.frames[0]!.values, u8);
  });

  it('HTJ2K (.201, .203): signed 16-bit and unsigned 12-bit', async () => {
    const a = await decodeDicom(grey({ transferSyntax: TS.htj2kLossless, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1, pixelData: [await encodeHtj2k(Int16Array.from(s16), W, H, 16, true)] }));
    expectValues(a.frames[0]!.values, s16);
    const b = await decodeDicom(grey({ transferSyntax: TS.htj2k, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, pixelData: [await encodeHtj2k(Uint16Array.from(u12), W, H, 12, false)] }));
    expectValues(b.frames[0]!.values, u12);
  });

  it('JPEG baseline 8-bit grey (lossy, approximately equal)', async () => {
    const smooth = Uint8Array.from({ length: W * H }, (_, i) => 40 + (i % W) * 4 + Math.floor(i / W));
    const d = await decodeDicom(grey({ transferSyntax: TS.jpegBaseline, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, pixelData: [await encodeJpeg8(smooth, W, H, 1, 95)] }));
    let maxDiff = 0;
    for (let i = 0; i < smooth.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d.frames[0]!.values[i]! - smooth[i]!));
    expect(maxDiff).toBeLessThanOrEqual(6);
  });
});

describe('JPEG extended (.51): bit-exact with DCMTK/libjpeg', () => {
  const { streams } = jpeg12 as { streams: Array<{ name: string; width: number; height: number; bitsStored: number; jpeg: string; dcmtk: string }> };
  for (const s of streams) {
    it(`${s.name} (${s.width}×${s.height}, ${s.bitsStored}-bit) decodes to DCMTK's pixels exactly`, async () => {
      const jpeg = Buffer.from(s.jpeg, 'base64');
      const ref = Buffer.from(s.dcmtk, 'base64');
      const expected = new Uint16Array(ref.buffer, ref.byteOffset, ref.length / 2);
      const ba = s.bitsStored > 8 ? 16 : 8;
      const file = buildDicom({ transferSyntax: TS.jpeg12, rows: s.height, columns: s.width, bitsAllocated: ba, bitsStored: s.bitsStored, pixelRepresentation: 0, pixelData: [exactBuffer(jpeg)] });
      expectValues((await decodeDicom(file)).frames[0]!.values, expected);
    });
  }

  it('restart intervals (DRI/RSTn) decode exactly (libjpeg-turbo djpeg reference)', () => {
    const r = (jpeg12 as unknown as { restart: { width: number; height: number; jpeg: string; djpeg: string } }).restart;
    const out = decodeJpegDct(new Uint8Array(Buffer.from(r.jpeg, 'base64')));
    const ref = Buffer.from(r.djpeg, 'base64');
    expect([out.width, out.height]).toEqual([r.width, r.height]);
    expectValues(Float32Array.from(out.data), new Uint16Array(ref.buffer, ref.byteOffset, ref.length / 2));
  });

  it('12-bit colour JPEG → DECODE_FAILED with the reason', async () => {
    const s = streams[0]!;
    const jpeg = new Uint8Array(Buffer.from(s.jpeg, 'base64'));
    // Patch the SOF1 component count to 3: colour 12-bit JPEG is accepted only as YBR_*, not RGB.
    for (let i = 2; i < jpeg.length - 1; i++) {
      if (jpeg[i] === 0xff && jpeg[i + 1] === 0xc1) {
        jpeg[i + 9] = 3;
        break;
      }
    }
    const err = await decodeErr(buildDicom({ transferSyntax: TS.jpeg12, rows: s.height, columns: s.width, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, samplesPerPixel: 3, photometric: 'RGB', pixelData: [exactBuffer(jpeg)] }));
    expect(err.code).toBe('DECODE_FAILED');
    expect(err.message).toContain('12-bit');
  });
});

describe('encapsulated frame layouts', () => {
  const frames = [0, 1, 2].map((f) => testImage(W, H, 0, 4095, 20 + f));
  const spec = { transferSyntax: TS.j2kLossless, frames: 3, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0 as const };
  let streams: Uint8Array[] = [];
  const template = async (): Promise<Uint8Array> => {
    streams = await Promise.all(frames.map(async (f) => new Uint8Array(await encodeJ2k(Uint16Array.from(f), W, H, 12, false))));
    return grey({ ...spec, pixelData: streams.map((s) => exactBuffer(s)) });
  };
  const check = async (file: Uint8Array): Promise<void> => {
    const d = await decodeDicom(file);
    expect(d.frames).toHaveLength(3);
    d.frames.forEach((f, i) => expectValues(f.values, frames[i]!));
  };
  const even = (s: Uint8Array): number => s.length + (s.length % 2) + 8;

  it('BOT (dcmjs), empty BOT, broken BOT, and two fragments per frame without BOT', async () => {
    const file = await template();
    await check(file);
    await check(withEncapsulatedPixelData(file, streams, null));
    await check(withEncapsulatedPixelData(file, streams, [0, 7, 99])); // wrong offsets → one fragment per frame
    const split = streams.flatMap((s) => [s.subarray(0, 100), s.subarray(100)]);
    await check(withEncapsulatedPixelData(file, split, null)); // grouped at J2K SOC markers
    const offsets = [0, even(split[0]!) + even(split[1]!), even(split[0]!) + even(split[1]!) + even(split[2]!) + even(split[3]!)];
    await check(withEncapsulatedPixelData(file, split, offsets)); // correct BOT over split fragments
  });

  it('fewer fragments than frames → BAD_GEOMETRY, never a partial decode', async () => {
    const file = await template();
    const err = await decodeErr(withEncapsulatedPixelData(file, streams.slice(0, 2), null));
    expect(err.code).toBe('BAD_GEOMETRY');
  });

  it('multi-frame RLE with a BOT', async () => {
    const rle = frames.map((f) => encodeRle(rlePlanes(Uint16Array.from(f), 1, 2)));
    await check(grey({ ...spec, transferSyntax: TS.rle, pixelData: rle }));
  });
});

describe('policies and rejections', () => {
  const px = exactBuffer(new Uint16Array(W * H).fill(7));
  const base = { transferSyntax: TS.explicit, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 0 as const, pixelData: [px] };

  it('Siemens mosaic: skipped by default, decoded as one image with mosaic: keep', async () => {
    const file = grey({ ...base, attributes: { ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'NORM', 'MOSAIC'] } });
    const err = await decodeErr(file);
    expect(err.code).toBe('MOSAIC_SKIPPED');
    expect(isSkip(err)).toBe(true);
    expect((await decodeDicom(file, { mosaic: 'keep' })).frames[0]!.values[0]).toBe(7);
  });

  it('BitsAllocated 1 → BITMASK_PIXELS (skip)', async () => {
    const err = await decodeErr(grey({ ...base, bitsAllocated: 1, bitsStored: 1, pixelData: [new ArrayBuffer((W * H) / 8)] }));
    expect(err.code).toBe('BITMASK_PIXELS');
    expect(isSkip(err)).toBe(true);
  });

  it('Float Pixel Data → FLOAT_PIXELS (skip)', async () => {
    const file = buildDicom({ ...base, rows: H, columns: W, bitsAllocated: 32, bitsStored: 32, sopClassUid: '1.2.840.10008.5.1.4.1.1.30', pixelData: [] });
    const { default: dicomParser } = await import('dicom-parser');
    const ds = dicomParser.parseDicom(file);
    // Rename the (empty) PixelData element's tag to (7FE0,0008) Float Pixel Data.
    const el = ds.elements.x7fe00010!;
    const at = el.dataOffset - 12;
    file[at + 2] = 0x08;
    const err = await decodeErr(file);
    expect(err.code).toBe('FLOAT_PIXELS');
    expect(isSkip(err)).toBe(true);
  });

  it('unsupported transfer syntaxes name the UID and the reason', async () => {
    const mpeg = await decodeErr(grey({ ...base, transferSyntax: '1.2.840.10008.1.2.4.100', pixelData: [new Uint8Array([0, 0, 1, 0xb3]).buffer] }));
    expect(mpeg.code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect(mpeg.message).toContain('1.2.840.10008.1.2.4.100');
    expect(mpeg.message).toContain('MPEG2');
    expect(isSkip(mpeg)).toBe(false);
    const priv = await decodeErr(grey({ ...base, transferSyntax: '1.2.3.4.5', pixelData: [new Uint8Array([0xff, 0xd8]).buffer] }));
    expect(priv.code).toBe('UNSUPPORTED_TRANSFER_SYNTAX');
    expect(priv.message).toContain('1.2.3.4.5');
    expect(priv.details.transferSyntaxUid).toBe('1.2.3.4.5');
  });

  it('codestream whose size disagrees with Rows/Columns → BAD_GEOMETRY before decoding', async () => {
    const stream = await encodeJpegLs(new Uint16Array(16 * 16), 16, 16, 12);
    const err = await decodeErr(grey({ ...base, transferSyntax: TS.jpegLs, bitsStored: 12, pixelData: [stream] }));
    expect(err.code).toBe('BAD_GEOMETRY');
    expect(err.message).toContain('16×16');
  });

  it('corrupt codestreams → DECODE_FAILED naming the codec and transfer syntax', async () => {
    let failures = 0;
    for (const [ts, name] of [[TS.jpegLs, 'CharLS'], [TS.j2kLossless, 'OpenJPEG'], [TS.htj2kLossless, 'OpenJPH'], [TS.jpegBaseline, 'libjpeg'], [TS.jpegLossless, 'jpeg-lossless']] as const) {
      const good = ts === TS.jpegLs ? await encodeJpegLs(new Uint16Array(W * H).fill(100), W, H, 12)
        : ts === TS.jpegBaseline || ts === TS.jpegLossless ? await encodeJpeg8(new Uint8Array(W * H).fill(100), W, H, 1)
        : ts === TS.htj2kLossless ? await encodeHtj2k(new Uint16Array(W * H).fill(100), W, H, 12, false)
        : await encodeJ2k(new Uint16Array(W * H).fill(100), W, H, 12, false);
      // Keep the header (so the size check passes), destroy the entropy-coded data.
      const bad = new Uint8Array(good).slice(0, Math.min(good.byteLength, 200));
      for (let i = 120; i < bad.length; i++) bad[i] = 0xff;
      const r = await decodeDicom(grey({ ...base, bitsStored: ts === TS.jpegBaseline || ts === TS.jpegLossless ? 8 : 12, transferSyntax: ts, pixelData: [bad.buffer] })).catch((e: unknown) => e);
      // Some codecs conceal damage instead of failing; what matters is that failures are typed.
      if (r instanceof Error) {
        failures++;
        expect(r).toBeInstanceOf(DicomError);
        expect(['DECODE_FAILED', 'BAD_GEOMETRY']).toContain((r as DicomError).code);
        if ((r as DicomError).code === 'DECODE_FAILED') {
          expect((r as DicomError).message).toContain(name);
          expect((r as DicomError).message).toContain(ts);
        }
      }
    }
    expect(failures).toBeGreaterThanOrEqual(3);
  });
});
