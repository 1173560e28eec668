import type { DataSet } from 'dicom-parser';
import { DicomError, thrownMessage } from './errors.ts';
import { parseDicomBytes } from './parse.ts';
import type { DicomHeader } from './types.ts';

/** Header fields from a parsed data set; tolerant of missing/garbage values (validated later). */

export function str(ds: DataSet, tag: string): string {
  try {
    return (ds.string(tag) ?? '').replace(/\0/g, '').trim();
  } catch {
    return '';
  }
}

export function num(ds: DataSet, tag: string, index = 0): number | null {
  try {
    const v = ds.floatString(tag, index);
    return v === undefined || !Number.isFinite(v) ? null : v;
  } catch {
    return null;
  }
}

function int(ds: DataSet, tag: string): number | null {
  try {
    const v = ds.intString(tag);
    return v === undefined || !Number.isFinite(v) ? null : v;
  } catch {
    return null;
  }
}

/** US/SS (or UL/SL for 4-byte values) read by the caller's signedness: implicit VR gives no VR. */
export function us(ds: DataSet, tag: string, signed = false, index = 0): number | null {
  const el = ds.elements[tag];
  if (!el || el.length < 2 * (index + 1)) return null;
  try {
    const wide = el.vr === 'UL' || el.vr === 'SL';
    const v = wide ? (signed ? ds.int32(tag, index) : ds.uint32(tag, index)) : signed ? ds.int16(tag, index) : ds.uint16(tag, index);
    return v === undefined ? null : v;
  } catch {
    return null;
  }
}

/** First item's data set of a sequence element, if any. */
export function item(ds: DataSet | undefined, tag: string, index = 0): DataSet | undefined {
  return ds?.elements[tag]?.items?.[index]?.dataSet;
}

/** Value from a functional-group macro: per-frame item, then shared, else undefined. */
export function functionalGroup(ds: DataSet, frame: number, macroTag: string): DataSet | undefined {
  return item(item(ds, 'x52009230', frame), macroTag) ?? item(item(ds, 'x52009229'), macroTag);
}

export function headerFromDataSet(ds: DataSet, transferSyntaxUid: string): DicomHeader {
  const pixelRepresentation: 0 | 1 = us(ds, 'x00280103') === 1 ? 1 : 0;
  const signed = pixelRepresentation === 1;
  const bitsAllocated = us(ds, 'x00280100') ?? 0;
  const bitsStored = us(ds, 'x00280101') ?? bitsAllocated;
  const voi = item(ds, 'x52009229') ? functionalGroup(ds, 0, 'x00289132') : undefined;
  const windowCenter = num(ds, 'x00281050') ?? (voi ? num(voi, 'x00281050') : null);
  const windowWidth = num(ds, 'x00281051') ?? (voi ? num(voi, 'x00281051') : null);
  const voiLutFunction = str(ds, 'x00281056') || (voi ? str(voi, 'x00281056') : '') || null;
  const frames = int(ds, 'x00280008');
  return {
    transferSyntaxUid,
    sopClassUid: str(ds, 'x00080016') || str(ds, 'x00020002'),
    sopInstanceUid: str(ds, 'x00080018') || str(ds, 'x00020003'),
    seriesUid: str(ds, 'x0020000e'),
    studyUid: str(ds, 'x0020000d'),
    patientId: str(ds, 'x00100020'),
    modality: str(ds, 'x00080060'),
    bodyPart: str(ds, 'x00180015') || null,
    instanceNumber: int(ds, 'x00200013'),
    acquisitionNumber: int(ds, 'x00200012'),
    rows: us(ds, 'x00280010') ?? 0,
    columns: us(ds, 'x00280011') ?? 0,
    frames: frames === null ? 1 : frames,
    samplesPerPixel: us(ds, 'x00280002') ?? 1,
    photometric: str(ds, 'x00280004').toUpperCase(),
    planarConfiguration: us(ds, 'x00280006') ?? 0,
    bitsAllocated,
    bitsStored,
    highBit: us(ds, 'x00280102') ?? bitsStored - 1,
    pixelRepresentation,
    rescaleSlope: num(ds, 'x00281053') ?? 1,
    rescaleIntercept: num(ds, 'x00281052') ?? 0,
    pixelPaddingValue: us(ds, 'x00280120', signed),
    pixelPaddingRangeLimit: us(ds, 'x00280121', signed),
    windowCenter,
    windowWidth,
    voiLutFunction,
    presentationLutShape: str(ds, 'x20500020') || null,
    imageType: str(ds, 'x00080008')
      .split('\\')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    hasPixelData: Boolean(ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009),
  };
}

/**
 * Header-only parse (stops at PixelData). Throws DicomError NOT_DICOM / TRUNCATED only: non-image
 * objects return their header (use `skipReason` to classify them without decoding).
 */
export function readDicomHeader(bytes: Uint8Array): DicomHeader {
  try {
    const { ds, transferSyntaxUid } = parseDicomBytes(bytes, true);
    return headerFromDataSet(ds, transferSyntaxUid);
  } catch (e) {
    if (e instanceof DicomError) throw e;
    throw new DicomError('NOT_DICOM', `header could not be read: ${thrownMessage(e)}`, {}, e);
  }
}
