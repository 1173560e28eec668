import { createRequire } from 'node:module';
import type { DataSet } from 'dicom-parser';
import { DicomError, thrownMessage } from './errors.ts';

/**
 * dicom-parser (CommonJS), required on the first parse: every command that imports preprocess/
 * without reading DICOM on its main thread (shard, verify, fetch, train…) skips it, and `require`
 * skips the scan node's ESM loader makes of a CommonJS module for its export names (and the JIT
 * compiling that scanner): `etl shard`'s modules load 11–15 ms sooner (0.26–0.28 s, medians of 15
 * alternating runs on the 2-core dev machine). A worker requires it on its first DICOM (~5 ms).
 */
let loaded: typeof import('dicom-parser') | undefined;
const dicomParser = (): typeof import('dicom-parser') => (loaded ??= createRequire(import.meta.url)('dicom-parser') as typeof import('dicom-parser'));

/**
 * dicom-parser with the rough edges filed off: files without the 128-byte preamble (with or
 * without a File Meta group), thrown strings and {exception, dataSet} objects, and the deflate
 * path (which needs a Node Buffer). Every failure becomes a DicomError (NOT_DICOM / TRUNCATED).
 */

export const IMPLICIT_LE = '1.2.840.10008.1.2';
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';

export interface Parsed {
  ds: DataSet;
  /** Transfer syntax of the data set (guessed for files without File Meta). */
  transferSyntaxUid: string;
  /** Whether the TS came from a File Meta group (false: guessed from the first element). */
  hasFileMeta: boolean;
}

const isUpper = (c: number | undefined): boolean => c !== undefined && c >= 0x41 && c <= 0x5a;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isTruncation(msg: string): boolean {
  return /overrun|past end|eof|end of (buffer|file|stream|data)|beyond|outside the bounds|out of range|offset is out/i.test(msg);
}

function parseError(err: unknown, what: string): DicomError {
  const msg = thrownMessage(err);
  if (isTruncation(msg)) return new DicomError('TRUNCATED', `${what} ends early: ${msg}`, {}, err);
  return new DicomError('NOT_DICOM', `${what} could not be parsed as DICOM: ${msg}`, {}, err);
}

const EXPLICIT_BE = '1.2.840.10008.1.2.2';

/**
 * Transfer syntax of a bare data set (no preamble, no File Meta), guessed from its first element:
 * explicit when bytes 4–5 are an upper-case VR, big endian when the group only makes sense
 * byte-swapped. Null when the bytes do not look like a data set at all.
 */
function guessBareSyntax(b: Uint8Array): string | null {
  if (b.length < 8) return null;
  const explicit = isUpper(b[4]) && isUpper(b[5]);
  const plausible = (g: number): boolean => g % 2 === 0 && g >= 0x0004 && g <= 0x0028;
  const groupLE = b[0]! | (b[1]! << 8);
  if (plausible(groupLE)) {
    if (!explicit) {
      const len = (b[4]! | (b[5]! << 8) | (b[6]! << 16) | (b[7]! << 24)) >>> 0;
      if (len !== 0xffffffff && len > b.length - 8) return null;
    }
    return explicit ? EXPLICIT_LE : IMPLICIT_LE;
  }
  if (explicit && plausible((b[0]! << 8) | b[1]!)) return EXPLICIT_BE;
  return null;
}

/**
 * Whether the value at `offset` opens with an Item (FFFE,E000) or Sequence Delimitation (FFFE,E0DD)
 * tag, in either byte order: the only content an undefined length may have (a sequence, possibly
 * private or as UN, or encapsulated pixel data).
 */
function startsWithItem(b: Uint8Array, offset: number | undefined): boolean {
  if (offset === undefined || offset + 4 > b.length) return false;
  const le = [b[offset]! | (b[offset + 1]! << 8), b[offset + 2]! | (b[offset + 3]! << 8)];
  const be = [(b[offset]! << 8) | b[offset + 1]!, (b[offset + 2]! << 8) | b[offset + 3]!];
  return [le, be].some(([g, e]) => g === 0xfffe && (e === 0xe000 || e === 0xe0dd));
}

/** Parse `bytes`; `headerOnly` stops at PixelData (7FE0,0010) without reading it. */
export function parseDicomBytes(bytes: Uint8Array, headerOnly = false): Parsed {
  let buf = asBuffer(bytes);
  const opts: { untilTag?: string; TransferSyntaxUID?: string } = headerOnly ? { untilTag: 'x7fe00010' } : {};
  let hasFileMeta = true;
  const part10 = buf.length >= 132 && buf[128] === 0x44 && buf[129] === 0x49 && buf[130] === 0x43 && buf[131] === 0x4d;
  if (!part10) {
    if (buf.length < 8) throw new DicomError('NOT_DICOM', `not DICOM: only ${buf.length} bytes`);
    const group = buf[0]! | (buf[1]! << 8);
    if (group === 0x0002 && isUpper(buf[4]) && isUpper(buf[5])) {
      // File Meta without the preamble: give dicom-parser the preamble it insists on.
      const withPreamble = Buffer.alloc(buf.length + 132);
      withPreamble.write('DICM', 128, 'latin1');
      buf.copy(withPreamble, 132);
      buf = withPreamble;
    } else {
      // Bare data set (no preamble, no File Meta): plausible only if it opens with a low, even group.
      const guess = guessBareSyntax(buf);
      if (!guess) throw new DicomError('NOT_DICOM', 'not DICOM: no DICM prefix at byte 128 and the first bytes are not a DICOM element');
      opts.TransferSyntaxUID = guess;
      hasFileMeta = false;
    }
  }
  let ds: DataSet;
  try {
    ds = dicomParser().parseDicom(buf, opts);
  } catch (err) {
    // File Meta without (0002,0010): guess the syntax of the data set that follows it.
    if (hasFileMeta && /0002,0010/.test(thrownMessage(err))) {
      let rest: Buffer;
      try {
        const meta = dicomParser().readPart10Header(buf) as unknown as { position: number };
        rest = buf.subarray(meta.position);
      } catch (e) {
        throw parseError(e, 'file meta');
      }
      const guess = guessBareSyntax(rest);
      if (!guess) throw new DicomError('NOT_DICOM', 'File Meta has no TransferSyntaxUID (0002,0010) and the data set that follows is not recognisable');
      try {
        ds = dicomParser().parseDicom(rest, { ...opts, TransferSyntaxUID: guess });
      } catch (e) {
        throw parseError(e, 'file');
      }
      opts.TransferSyntaxUID = guess;
      hasFileMeta = false;
    } else {
      throw parseError(err, 'file');
    }
  }
  // Implicit-VR parsing does not throw when an element runs past the end (it just stops): catch it here.
  const end = ds.byteArray.length;
  for (const el of Object.values(ds.elements)) {
    if (el.tag !== 'x7fe00010' && el.length !== 0xffffffff && el.dataOffset !== undefined && el.dataOffset + el.length > end) {
      throw new DicomError('TRUNCATED', `file ends early: element (${el.tag.slice(1, 5)},${el.tag.slice(5)}) declares ${el.length} bytes at offset ${el.dataOffset} but the data ends at ${end}`);
    }
  }
  const undefinedLength = Object.values(ds.elements).find((el) => el.hadUndefinedLength && !el.items && el.tag !== 'x7fe00010' && !startsWithItem(ds.byteArray, el.dataOffset));
  if (undefinedLength) {
    // dicom-parser scans such an element to the next item delimiter or the end of the file, swallowing
    // whatever follows (PixelData included): the file would pass for a non-image and be lost silently.
    const t = undefinedLength.tag;
    throw new DicomError('MALFORMED', `malformed DICOM: element (${t.slice(1, 5)},${t.slice(5)}) has an undefined length but is not a sequence or encapsulated pixel data`);
  }
  const ts = hasFileMeta ? (ds.string('x00020010') ?? '').replace(/\0/g, '').trim() : (opts.TransferSyntaxUID ?? IMPLICIT_LE);
  if (!hasFileMeta && !ds.elements.x00080016 && !ds.elements.x00280010 && !ds.elements.x00080060) {
    throw new DicomError('NOT_DICOM', 'not DICOM: no preamble, and the guessed data set has no SOP Class, Rows or Modality');
  }
  return { ds, transferSyntaxUid: ts, hasFileMeta };
}
