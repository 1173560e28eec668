import dcmjs from 'dcmjs';
import { uid } from './uid.ts';
import { encodeRle } from './encode/rle.ts';
import { encodeJpegLossless } from './encode/jpegLossless.ts';
import { encodeJ2k, encodeJpegLs } from './encode/wasm.ts';

dcmjs.log.setLevel('error');
const { DicomDict, DicomMetaDictionary } = dcmjs.data;

/** Transfer syntaxes the synthesizer writes (never explicit big endian: dcmjs does not swap PixelData). */
export const TRANSFER_SYNTAXES = {
  explicit: '1.2.840.10008.1.2.1',
  implicit: '1.2.840.10008.1.2',
  rle: '1.2.840.10008.1.2.5',
  jpegLossless: '1.2.840.10008.1.2.4.70',
  jpegLs: '1.2.840.10008.1.2.4.80',
  j2k: '1.2.840.10008.1.2.4.90',
} as const;
export type TsName = keyof typeof TRANSFER_SYNTAXES;
export const TS_NAMES = Object.keys(TRANSFER_SYNTAXES) as TsName[];

export const SOP_CLASSES = {
  CT: '1.2.840.10008.5.1.4.1.1.2',
  MR: '1.2.840.10008.5.1.4.1.1.4',
  PT: '1.2.840.10008.5.1.4.1.1.128',
  CR: '1.2.840.10008.5.1.4.1.1.1',
  DX: '1.2.840.10008.5.1.4.1.1.1.1',
  MG: '1.2.840.10008.5.1.4.1.1.1.2',
  SEG: '1.2.840.10008.5.1.4.1.1.66.4',
  RTSTRUCT: '1.2.840.10008.5.1.4.1.1.481.3',
  SR: '1.2.840.10008.5.1.4.1.1.88.11',
} as const;

export const IMPLEMENTATION_CLASS_UID = uid('medimg-etl', 'synth', 'implementation');

export interface PixelFormat {
  rows: number;
  cols: number;
  bitsStored: number;
  signed: boolean;
}

export function isEncapsulated(ts: TsName): boolean {
  return ts !== 'explicit' && ts !== 'implicit';
}

/**
 * PixelData for one 16-bit frame in the given transfer syntax: native bytes, or one compressed
 * codestream (dcmjs writes an array of frames as fragments with a Basic Offset Table).
 */
export async function encodeFrame(pixels: Int16Array | Uint16Array, ts: TsName, f: PixelFormat): Promise<ArrayBuffer> {
  const bits = f.signed ? 16 : f.bitsStored;
  let bytes: Uint8Array;
  switch (ts) {
    case 'explicit':
    case 'implicit':
      bytes = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
      break;
    case 'rle':
      bytes = encodeRle(pixels, f.rows, f.cols);
      break;
    case 'jpegLossless':
      bytes = encodeJpegLossless(pixels, f.rows, f.cols, bits);
      break;
    case 'jpegLs':
      bytes = await encodeJpegLs(pixels, { rows: f.rows, cols: f.cols, bits, signed: f.signed });
      break;
    case 'j2k':
      bytes = await encodeJ2k(pixels, { rows: f.rows, cols: f.cols, bits, signed: f.signed });
      break;
  }
  return bytes.slice().buffer;
}

/**
 * A Part-10 file from a naturalized dataset (dcmjs keyword names). `vr` resolves ambiguous VRs
 * (PixelData OW/OB, PixelPaddingValue SS/US). The SOP Class/Instance UIDs go into the meta header.
 * Encapsulated frames are one fragment each, or split into 20 KiB fragments when `fragmented`
 * (both occur in real archives; readers must join a frame's fragments).
 */
export function writePart10(dataset: Record<string, unknown>, ts: TsName, vr: Record<string, string> = {}, fragmented = false): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: TRANSFER_SYNTAXES[ts],
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: 'MEDIMG_SYNTH_1',
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset({ ...dataset, _vrMap: vr });
  return new Uint8Array(dict.write({ fragmentMultiframe: fragmented }));
}
