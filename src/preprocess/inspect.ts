import fs from 'node:fs';
import os from 'node:os';
import { InputError, isEtlError, messageOf } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fsAtomic.ts';
import { decodeDicom, isSkip, readDicomHeader, type DecodedFrame, type DicomHeader } from './decode/index.ts';
import { parseNormalize, type NormalizeSpec } from './normalize.ts';
import { loadSharp } from './imageFile.ts';
import { DEFAULT_PREPROCESS_CONFIG } from './preprocessConfig.ts';
import { frameToPreview, needsInversion } from './toImage.ts';

/**
 * `etl dicom inspect`: what the decoder makes of one file: header facts, per-frame statistics of
 * the modality values, an 8-bit preview PNG (the same normalisation as staging, native size) and
 * the raw float32 values of every frame for cross-checking against other decoders.
 */

export interface FrameStats {
  frame: number;
  min: number;
  max: number;
  mean: number;
  paddingPixels: number;
  slope: number;
  intercept: number;
}

export interface InspectResult {
  file: string;
  bytes: number;
  header: DicomHeader;
  /** Why there are no pixels (non-image object, policy skip); absent when decoded. */
  skipped?: { code: string; reason: string };
  frames: FrameStats[];
  png?: { file: string; frame: number; normLo: number; normHi: number } | { file: string; frame: number; notWritten: string };
  raw?: { file: string; bytes: number };
}

export interface InspectOptions {
  png?: string;
  raw?: string;
  /** Frame shown in the PNG (default 0). */
  frame?: number;
  normalize?: NormalizeSpec | string;
}

function stats(fr: DecodedFrame, frame: number): FrameStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  const v = fr.values;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  let pad = 0;
  if (fr.padding) for (let i = 0; i < fr.padding.length; i++) pad += fr.padding[i]!;
  return { frame, min, max, mean: v.length ? sum / v.length : NaN, paddingPixels: pad, slope: fr.slope, intercept: fr.intercept };
}

/** Throws InputError (exit 2) for missing or unreadable files, and for decode failures. */
export async function inspectDicom(file: string, options: InspectOptions = {}): Promise<InspectResult> {
  const normalize = typeof options.normalize === 'string' ? parseNormalize(options.normalize) : (options.normalize ?? DEFAULT_PREPROCESS_CONFIG.normalize);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new InputError('FILE_NOT_FOUND', `cannot read ${file}: ${messageOf(err)}`, { hint: 'give the path of a DICOM file' });
  }
  let header: DicomHeader;
  try {
    header = readDicomHeader(bytes);
  } catch (err) {
    throw unreadable(file, err);
  }
  const result: InspectResult = { file, bytes: bytes.length, header, frames: [] };
  let frames: DecodedFrame[];
  try {
    // Show what is there: mosaics as one image, colour as luma.
    frames = (await decodeDicom(bytes, { colour: 'grey', mosaic: 'keep' })).frames;
  } catch (err) {
    if (isSkip(err) && isEtlError(err)) {
      result.skipped = { code: err.code, reason: err.message };
      return result;
    }
    throw unreadable(file, err, header);
  }
  result.frames = frames.map(stats);
  if (options.raw) {
    const n = frames.reduce((s, f) => s + f.values.length, 0);
    const out = Buffer.alloc(n * 4);
    let off = 0;
    for (const f of frames) {
      if (os.endianness() === 'LE') Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength).copy(out, off);
      else for (let i = 0; i < f.values.length; i++) out.writeFloatLE(f.values[i]!, off + i * 4);
      off += f.values.byteLength;
    }
    await writeFileAtomic(options.raw, out);
    result.raw = { file: options.raw, bytes: out.length };
  }
  if (options.png) {
    const frame = options.frame ?? 0;
    const fr = frames[frame];
    if (!fr) throw new InputError('BAD_FRAME', `\`frame\` ${frame}: the file has ${frames.length} frame(s)`, { hint: 'frames count from 0' });
    try {
      const img = frameToPreview(fr.values.slice(), fr.padding, {
        rows: header.rows, cols: header.columns, invert: needsInversion(header.photometric, header.presentationLutShape),
        modality: header.modality, bitsAllocated: header.bitsAllocated, pixelRepresentation: header.pixelRepresentation,
        slope: fr.slope, intercept: fr.intercept,
      }, normalize);
      const sharp = await loadSharp();
      const png = await sharp(img.image, { raw: { width: header.columns, height: header.rows, channels: 1 } }).toColourspace('b-w').png().toBuffer();
      await writeFileAtomic(options.png, png);
      result.png = { file: options.png, frame, normLo: img.normLo, normHi: img.normHi };
    } catch (err) {
      if (!isEtlError(err) || err.code !== 'CONSTANT_IMAGE') throw err;
      result.png = { file: options.png, frame, notWritten: err.message };
    }
  }
  return result;
}

function unreadable(file: string, err: unknown, header?: DicomHeader): InputError {
  const code = isEtlError(err) ? err.code : 'DECODE_FAILED';
  return new InputError(code, `${file}: ${messageOf(err)}`, {
    hint: header ? `header read (transfer syntax ${header.transferSyntaxUid || '?'}), pixels could not be decoded` : 'the file is not a readable DICOM Part-10 file',
    details: { file },
  });
}
