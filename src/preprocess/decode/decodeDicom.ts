import type { DataSet, Element, Fragment } from 'dicom-parser';
import { decodeJpegLossless, decodeWasm, type CodecOutput } from './codecs.ts';
import { decodeJpegDct } from './jpegDct.ts';
import { decodeRleFrame } from './rle.ts';
import { colourBits, paletteToLuma, readPalette, rgbToLuma, ybr422ToLuma, ybrToLuma, type PaletteLuma } from './colour.ts';
import { fragmentBytes, frameFragments } from './encapsulated.ts';
import { DicomError, thrownMessage } from './errors.ts';
import { errorFor, isColour, skipReason } from './skipReason.ts';
import { sopClassLabel } from './sopClasses.ts';
import { j2kSize, jpegSize, type CodestreamSize } from './frameHeader.ts';
import { functionalGroup, headerFromDataSet, item, num, str, us } from './header.ts';
import { parseDicomBytes } from './parse.ts';
import { greyFromStored, storedGrey16, type Container, type ModalityLut, type PaddingRange, type StoredBits } from './pixelSemantics.ts';
import { TRANSFER_SYNTAXES, unsupportedReason, type TransferSyntax } from './transferSyntaxes.ts';
import type { DecodedDicom, DecodedDicomStored, DecodedFrame, DecodeOptions, DicomHeader, StoredGreyFrame } from './types.ts';

/** Largest single frame we decode (8192² pixels); larger is treated as a corrupt header. */
export const MAX_FRAME_PIXELS = 8192 * 8192;
/** Largest total output of one call (Float32 values), 1 GiB; ask for fewer frames beyond that. */
export const MAX_OUTPUT_BYTES = 1 << 30;

interface Geometry {
  pixels: number;
  bytesPerSample: number;
  sb: StoredBits;
}

function geometry(h: DicomHeader, err: ReturnType<typeof errorFor>): Geometry {
  const { rows, columns, frames, samplesPerPixel: spp, bitsAllocated: ba, bitsStored: bs, highBit } = h;
  if (!(rows >= 1 && columns >= 1)) throw err('BAD_GEOMETRY', `bad geometry: Rows ${rows} × Columns ${columns}`);
  if (!(Number.isInteger(frames) && frames >= 1)) throw err('BAD_GEOMETRY', `bad geometry: NumberOfFrames ${frames}`);
  if (rows * columns > MAX_FRAME_PIXELS) {
    throw err('BAD_GEOMETRY', `bad geometry: ${rows}×${columns} frame exceeds ${MAX_FRAME_PIXELS} pixels`);
  }
  if (spp !== 1 && spp !== 3) throw err('DECODE_FAILED', `unsupported SamplesPerPixel ${spp} (photometric ${h.photometric || '?'})`);
  if (ba !== 8 && ba !== 16 && ba !== 32) throw err('BAD_GEOMETRY', `unsupported BitsAllocated ${ba}`);
  if (!(bs >= 1 && bs <= ba)) throw err('BAD_GEOMETRY', `BitsStored ${bs} not in 1..BitsAllocated ${ba}`);
  // HighBit beyond the container or below BitsStored−1 is a header error: assume the usual HighBit = BitsStored−1.
  const shift = highBit >= bs - 1 && highBit < ba ? highBit + 1 - bs : 0;
  return { pixels: rows * columns, bytesPerSample: ba / 8, sb: { shift, bits: bs, signed: h.pixelRepresentation === 1 } };
}

/** (0028,1052/1053) for one frame: per-frame functional group, shared group, then top level. */
function frameRescale(ds: DataSet, frame: number, h: DicomHeader): { slope: number; intercept: number } {
  const pvt = functionalGroup(ds, frame, 'x00289145');
  return {
    slope: (pvt && num(pvt, 'x00281053')) ?? h.rescaleSlope,
    intercept: (pvt && num(pvt, 'x00281052')) ?? h.rescaleIntercept,
  };
}

function readModalityLut(ds: DataSet, signed: boolean): ModalityLut | null {
  const m = item(ds, 'x00283000');
  if (!m) return null;
  const n0 = us(m, 'x00283002', false, 0);
  const first = us(m, 'x00283002', signed, 1);
  const el = m.elements.x00283006;
  if (n0 === null || first === null || !el) return null;
  const n = n0 === 0 ? 65536 : n0;
  if (el.length < 2 * n) return null;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = m.uint16('x00283006', i) ?? 0;
  return { first, data };
}

/** Air in HU: CT padding lies below it, genuine CT data at or above it. */
const AIR_HU = -1024;

/**
 * Padding range in stored units (PixelPaddingValue, or the range to PixelPaddingRangeLimit).
 * Lossy compression smears the padding value (a J2K CT padded with −2000 decodes from −2315 to
 * −1661), so when the syntax is lossy (or LossyImageCompression is 01) and the padding is the
 * minimum of the stored range (signed and < 0, or unsigned and 0):
 *  - CT whose padding lies below air (−1024 HU): padding is every value at or below the midpoint
 *    between the padding and air, in HU (−2024 HU for −3024 HU padding);
 *  - otherwise: every value at or below the padding.
 */
function paddingRange(h: DicomHeader, lossy: boolean, slope: number, intercept: number): PaddingRange | null {
  const pv = h.pixelPaddingValue;
  if (pv === null || isColour(h)) return null;
  const limit = h.pixelPaddingRangeLimit;
  let lo = limit === null ? pv : Math.min(pv, limit);
  let hi = limit === null ? pv : Math.max(pv, limit);
  const isMinimum = h.pixelRepresentation === 1 ? lo < 0 : lo === 0;
  if (lossy && isMinimum) {
    lo = -Infinity;
    const hiHu = hi * slope + intercept;
    if (h.modality === 'CT' && slope > 0 && hiHu < AIR_HU) hi = Math.floor(((hiHu + AIR_HU) / 2 - intercept) / slope);
  }
  return { lo, hi };
}

/** Container view of `len` samples at byteArray[offset…]; copies when unaligned or big endian. */
function nativeView(bytes: Uint8Array, offset: number, count: number, bytesPerSample: number, bigEndian: boolean): Container {
  if (bytesPerSample === 1) return bytes.subarray(offset, offset + count);
  const abs = bytes.byteOffset + offset;
  if (!bigEndian && abs % bytesPerSample === 0) {
    return bytesPerSample === 2 ? new Uint16Array(bytes.buffer, abs, count) : new Uint32Array(bytes.buffer, abs, count);
  }
  // Uint8Array#slice copies; a Node Buffer's own slice would alias the file bytes.
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + count * bytesPerSample);
  if (bigEndian) {
    if (bytesPerSample === 2) {
      for (let i = 0; i < copy.length; i += 2) {
        const t = copy[i]!;
        copy[i] = copy[i + 1]!;
        copy[i + 1] = t;
      }
    } else {
      for (let i = 0; i < copy.length; i += 4) {
        const a = copy[i]!;
        const b = copy[i + 1]!;
        copy[i] = copy[i + 3]!;
        copy[i + 1] = copy[i + 2]!;
        copy[i + 2] = b;
        copy[i + 3] = a;
      }
    }
  }
  return bytesPerSample === 2 ? new Uint16Array(copy.buffer, 0, count) : new Uint32Array(copy.buffer, 0, count);
}

/** Raw samples of one frame before pixel semantics. */
interface RawFrame {
  src: Container;
  layout: 'interleaved' | 'planar' | 'pairs422';
  /** Codec has already converted YBR to RGB. */
  rgb: boolean;
}

const CODEC_NAMES: Record<string, string> = {
  jpeg: 'libjpeg-turbo (JPEG baseline/extended 8-bit)',
  jpeg12: 'built-in JPEG extended 12-bit (libjpeg islow-exact)',
  jpegLossless: 'jpeg-lossless-decoder-js',
  jpegls: 'CharLS (JPEG-LS)',
  j2k: 'OpenJPEG (JPEG 2000)',
  htj2k: 'OpenJPH (HTJ2K)',
  rle: 'RLE (built-in)',
};

/**
 * Decode a DICOM Part-10 file (or a bare data set) into modality values per frame. Every failure is
 * a DicomError; anything unexpected from a parser or codec becomes DECODE_FAILED with its cause.
 */
export async function decodeDicom(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedDicom> {
  try {
    return (await decodeUnchecked(bytes, options, false)) as DecodedDicom;
  } catch (e) {
    if (e instanceof DicomError) throw e;
    throw new DicomError('DECODE_FAILED', `unexpected decoder error: ${thrownMessage(e)}`, {}, e);
  }
}

/**
 * `decodeDicom`, except that grey frames in 16-bit containers without a Modality LUT Sequence come
 * back as stored integers (StoredGreyFrame: no Float32 image, no padding mask; zero-copy for
 * aligned little-endian native data). For the preprocess worker, which needs only the range and a
 * resize: both are cheaper on the integers. Same errors as `decodeDicom`.
 */
export async function decodeDicomStored(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedDicomStored> {
  try {
    return await decodeUnchecked(bytes, options, true);
  } catch (e) {
    if (e instanceof DicomError) throw e;
    throw new DicomError('DECODE_FAILED', `unexpected decoder error: ${thrownMessage(e)}`, {}, e);
  }
}

/** Whether a DecodedDicomStored frame is in stored form. */
export function isStoredFrame(f: DecodedFrame | StoredGreyFrame): f is StoredGreyFrame {
  return (f as StoredGreyFrame).stored !== undefined;
}

async function decodeUnchecked(bytes: Uint8Array, options: DecodeOptions, keepStored: boolean): Promise<DecodedDicomStored> {
  const { ds, transferSyntaxUid } = parseDicomBytes(bytes);
  const header = headerFromDataSet(ds, transferSyntaxUid);
  const err = errorFor(header);

  if (!ds.elements.x7fe00010 && (ds.elements.x7fe00008 || ds.elements.x7fe00009)) {
    const kind = ds.elements.x7fe00008 ? 'Float Pixel Data (7FE0,0008)' : 'Double Float Pixel Data (7FE0,0009)';
    throw err('FLOAT_PIXELS', `${kind} in ${sopClassLabel(header.sopClassUid)} skipped by policy (float parametric maps are not modality images)`);
  }
  const skip = skipReason(header, options);
  if (skip) throw skip;
  const ts = TRANSFER_SYNTAXES.get(transferSyntaxUid);
  if (!ts) throw err('UNSUPPORTED_TRANSFER_SYNTAX', unsupportedReason(transferSyntaxUid) ?? transferSyntaxUid);
  const g = geometry(header, err);

  const count = options.frames?.length ?? header.frames;
  if (count * g.pixels * 4 > MAX_OUTPUT_BYTES) {
    throw err('BAD_GEOMETRY', `${count} frames of ${header.rows}×${header.columns} exceed the ${MAX_OUTPUT_BYTES} byte output limit; request fewer frames`);
  }
  const frameList = options.frames ?? Array.from({ length: header.frames }, (_, i) => i);
  for (const f of frameList) {
    if (!Number.isInteger(f) || f < 0 || f >= header.frames) {
      throw err('BAD_GEOMETRY', `frame ${f} requested but the file has ${header.frames} frame(s)`);
    }
  }

  const px = ds.elements.x7fe00010!;
  const palette = header.photometric === 'PALETTE COLOR' ? readPalette(ds, header.pixelRepresentation === 1) : null;
  if (typeof palette === 'string') throw err('DECODE_FAILED', palette);
  const lossy = ts.lossy === true || str(ds, 'x00282110') === '01';
  const lut = isColour(header) ? null : readModalityLut(ds, header.pixelRepresentation === 1);
  const getFrame = frameSource(ds, px, header, ts, g, err);

  const frames: Array<DecodedFrame | StoredGreyFrame> = [];
  const storedForm = keepStored && !lut && !isColour(header) && g.bytesPerSample === 2;
  for (const f of frameList) {
    const raw = await getFrame(f);
    const { slope, intercept } = lut ? { slope: 1, intercept: 0 } : frameRescale(ds, f, header);
    const pad = paddingRange(header, lossy, slope, intercept);
    if (storedForm && raw.src instanceof Uint16Array && raw.src.length === g.pixels) {
      const stored = storedGrey16(raw.src, g.sb);
      frames.push({ stored, slope, intercept, padLo: pad ? pad.lo : Infinity, padHi: pad ? pad.hi : -Infinity });
    } else frames.push(pixelsToValues(raw, header, g, slope, intercept, pad, lut, palette, err));
  }
  return { header, frames };
}

function frameSource(
  ds: DataSet,
  px: Element,
  h: DicomHeader,
  ts: TransferSyntax,
  g: Geometry,
  err: ReturnType<typeof errorFor>,
): (frame: number) => Promise<RawFrame> {
  const bytes = ds.byteArray;
  const encapsulated = px.encapsulatedPixelData === true || px.hadUndefinedLength === true;
  if (ts.codec === 'native') {
    if (encapsulated) throw err('DECODE_FAILED', `encapsulated (compressed) PixelData under the uncompressed transfer syntax ${ts.name}`);
    // YBR_*_422 is 2 samples per pixel when native; a file that stores 3 (mislabelled YBR_FULL) is read as such.
    const sub422 = h.samplesPerPixel === 3 && (h.photometric === 'YBR_FULL_422' || h.photometric === 'YBR_PARTIAL_422');
    const pairs422 = sub422 && px.length < 3 * g.pixels * g.bytesPerSample * h.frames;
    const samples = pairs422 ? 2 * g.pixels : h.samplesPerPixel * g.pixels;
    const frameBytes = samples * g.bytesPerSample;
    const expected = frameBytes * h.frames;
    const available = Math.max(0, bytes.length - px.dataOffset);
    if (px.length < expected) {
      throw err('BAD_GEOMETRY', `PixelData declares ${px.length} bytes but ${h.rows}×${h.columns}×${samples / g.pixels}×${h.frames} frames × ${g.bytesPerSample} bytes needs ${expected}`);
    }
    if (available < expected) throw err('TRUNCATED', `PixelData truncated: ${available} of ${expected} bytes present`);
    const layout = pairs422 ? 'pairs422' : h.planarConfiguration === 1 ? 'planar' : 'interleaved';
    if (ts.bigEndian && g.bytesPerSample === 1 && px.vr === 'OW') {
      // 8-bit samples in an OW value are byte-swapped in 16-bit words under big endian: undo that once.
      const copy = Uint8Array.prototype.slice.call(bytes, px.dataOffset, px.dataOffset + expected + (expected % 2)) as Uint8Array;
      for (let i = 0; i + 1 < copy.length; i += 2) {
        const t = copy[i]!;
        copy[i] = copy[i + 1]!;
        copy[i + 1] = t;
      }
      return async (f) => ({ src: copy.subarray(f * frameBytes, (f + 1) * frameBytes), layout, rgb: false });
    }
    return async (f) => ({ src: nativeView(bytes, px.dataOffset + f * frameBytes, samples, g.bytesPerSample, ts.bigEndian === true), layout, rgb: false });
  }

  if (!encapsulated) throw err('DECODE_FAILED', `${ts.name} declared but PixelData is not encapsulated`);
  const frags = px.fragments ?? [];
  for (const fr of frags) {
    if (fr.position + fr.length > bytes.length) throw err('TRUNCATED', `PixelData fragment at ${fr.position} (${fr.length} bytes) runs past the end of the file`);
  }
  const isJ2k = ts.codec === 'j2k' || ts.codec === 'htj2k';
  const startsFrame = (fr: Fragment): boolean => {
    const a = bytes[fr.position];
    const b = bytes[fr.position + 1];
    if (ts.codec === 'rle') return fr.length >= 64 && bytes[fr.position] === h.samplesPerPixel * g.bytesPerSample && bytes[fr.position + 1] === 0;
    return a === 0xff && (isJ2k ? b === 0x4f : b === 0xd8);
  };
  const groups = frameFragments(px, h.frames, startsFrame);
  if (typeof groups === 'string') throw err('BAD_GEOMETRY', groups);

  return async (f) => {
    const data = fragmentBytes(ds, groups[f]!);
    if (ts.codec === 'rle') {
      const out = new Uint8Array(g.pixels * h.samplesPerPixel * g.bytesPerSample);
      try {
        decodeRleFrame(data, out, g.pixels, h.samplesPerPixel, g.bytesPerSample);
      } catch (e) {
        throw err('DECODE_FAILED', `${CODEC_NAMES.rle} failed on frame ${f} (${ts.name}, ${h.transferSyntaxUid}): ${thrownMessage(e)}`, { frame: f }, e);
      }
      const src = g.bytesPerSample === 1 ? out : g.bytesPerSample === 2 ? new Uint16Array(out.buffer) : new Uint32Array(out.buffer);
      return { src, layout: 'planar', rgb: false };
    }
    const size: CodestreamSize | null = isJ2k ? j2kSize(data) : jpegSize(data);
    if (!size) throw err('DECODE_FAILED', `${CODEC_NAMES[ts.codec] ?? ts.codec}: frame ${f} has no ${isJ2k ? 'J2K SIZ' : 'JPEG SOF'} header (${ts.name}, ${h.transferSyntaxUid})`, { frame: f });
    if (size.width !== h.columns || size.height !== h.rows) {
      throw err('BAD_GEOMETRY', `frame ${f} codestream is ${size.width}×${size.height} but Columns×Rows is ${h.columns}×${h.rows}`, { frame: f });
    }
    // JPEG with 12-bit samples (.51, or a mislabelled .50): the exact TypeScript decoder. It returns
    // colour as coded (YCbCr, no conversion), so 3-component streams are only accepted as YBR_*.
    const jpeg12 = ts.codec === 'jpeg' && size.precision > 8;
    const codecName = CODEC_NAMES[jpeg12 ? 'jpeg12' : ts.codec] ?? ts.codec;
    if (jpeg12 && size.components !== 1 && !h.photometric.startsWith('YBR_')) {
      throw err('DECODE_FAILED', `${size.components}-component 12-bit JPEG with photometric ${h.photometric} is not supported (colour 12-bit JPEG is decoded only as YBR_*) (${ts.name}, ${h.transferSyntaxUid})`, { frame: f });
    }
    let out: CodecOutput;
    try {
      if (jpeg12) {
        const j = decodeJpegDct(data);
        out = { data: j.data, width: j.width, height: j.height, componentCount: j.components, bitsPerSample: j.precision };
      } else if (ts.codec === 'jpegLossless') out = decodeJpegLossless(data);
      else out = await decodeWasm(ts.codec as 'jpeg' | 'jpegls' | 'j2k' | 'htj2k', data);
    } catch (e) {
      throw err('DECODE_FAILED', `${codecName} failed on frame ${f} (${ts.name}, ${h.transferSyntaxUid}): ${thrownMessage(e)}`, { frame: f }, e);
    }
    if (out.width !== h.columns || out.height !== h.rows || out.componentCount !== h.samplesPerPixel) {
      throw err(
        'DECODE_FAILED',
        `${codecName} decoded frame ${f} as ${out.width}×${out.height}×${out.componentCount}, expected ${h.columns}×${h.rows}×${h.samplesPerPixel} (${ts.name}, ${h.transferSyntaxUid})`,
        { frame: f },
      );
    }
    return { src: out.data, layout: out.planar ? 'planar' : 'interleaved', rgb: !jpeg12 && ts.codecOutputsRgb === true };
  };
}

function pixelsToValues(
  raw: RawFrame,
  h: DicomHeader,
  g: Geometry,
  slope: number,
  intercept: number,
  pad: PaddingRange | null,
  lut: ModalityLut | null,
  palette: PaletteLuma | null,
  err: ReturnType<typeof errorFor>,
): DecodedFrame {
  const n = g.pixels;
  if (!isColour(h)) {
    const { values, padding } = greyFromStored(raw.src, 0, 1, n, g.sb, slope, intercept, pad, lut);
    return { values, padding, slope, intercept };
  }
  const bits = colourBits(g.sb.shift, g.sb.bits);
  const p = h.photometric;
  let luma: Float32Array;
  if (p === 'PALETTE COLOR' && palette) luma = paletteToLuma(raw.src, 0, n, palette, bits);
  else if (h.samplesPerPixel !== 3) throw err('DECODE_FAILED', `unsupported photometric interpretation ${p} with ${h.samplesPerPixel} sample(s)/pixel`);
  else if (raw.layout === 'pairs422') luma = ybr422ToLuma(raw.src, 0, n, bits);
  else if (p === 'RGB' || (raw.rgb && p.startsWith('YBR_'))) luma = rgbToLuma(raw.src, 0, n, raw.layout === 'planar', bits);
  else if (p.startsWith('YBR_')) luma = ybrToLuma(raw.src, 0, n, raw.layout === 'planar', bits);
  else throw err('DECODE_FAILED', `unsupported photometric interpretation ${p || '(none)'} with 3 samples/pixel`);
  if (slope !== 1 || intercept !== 0) for (let i = 0; i < n; i++) luma[i] = luma[i]! * slope + intercept;
  return { values: luma, padding: null, slope, intercept };
}
