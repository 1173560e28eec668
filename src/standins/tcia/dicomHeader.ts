/**
 * The few header fields the stand-in's "database" needs, read with dicom-parser up to PixelData.
 * Reads Part-10 files (preamble + DICM) and, cheaply, bare datasets without preamble (implicit or
 * explicit little endian), which real archives still contain.
 */
import { createRequire } from 'node:module';
import type * as DicomParserNs from 'dicom-parser';

// dicom-parser ships a UMD bundle with types but no ESM default export.
const dicomParser = createRequire(import.meta.url)('dicom-parser') as typeof DicomParserNs;

export interface HeaderFields {
  sopInstanceUid: string | null;
  seriesInstanceUid: string | null;
  studyInstanceUid: string | null;
  patientId: string | null;
  patientName: string | null;
  patientSex: string | null;
  patientAge: string | null;
  ethnicGroup: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  studyId: string | null;
  admittingDiagnosis: string | null;
  modality: string | null;
  bodyPartExamined: string | null;
  protocolName: string | null;
  seriesDate: string | null;
  seriesDescription: string | null;
  seriesNumber: number | null;
  manufacturer: string | null;
  manufacturerModelName: string | null;
  softwareVersions: string | null;
  instanceNumber: number | null;
  acquisitionNumber: number | null;
  pixelSpacingRow: number | null;
  sliceThickness: number | null;
}

const TAGS = {
  sopInstanceUid: 'x00080018',
  seriesInstanceUid: 'x0020000e',
  studyInstanceUid: 'x0020000d',
  patientId: 'x00100020',
  patientName: 'x00100010',
  patientSex: 'x00100040',
  patientAge: 'x00101010',
  ethnicGroup: 'x00102160',
  studyDate: 'x00080020',
  studyDescription: 'x00081030',
  studyId: 'x00200010',
  admittingDiagnosis: 'x00081080',
  modality: 'x00080060',
  bodyPartExamined: 'x00180015',
  protocolName: 'x00181030',
  seriesDate: 'x00080021',
  seriesDescription: 'x0008103e',
  manufacturer: 'x00080070',
  manufacturerModelName: 'x00081090',
  softwareVersions: 'x00181020',
} as const;

/**
 * Parses the header in `bytes` (the whole file or a prefix of it). Throws when it is not DICOM.
 * `reachedPixelData` false on a prefix means the header may go on past it: a prefix cut exactly
 * between two elements parses without error but misses the later ones.
 */
export function readHeaderFields(bytes: Uint8Array): { fields: HeaderFields; reachedPixelData: boolean } {
  const ds = parseHeader(bytes);
  const str = (tag: string): string | null => {
    const el = ds.elements[tag];
    if (!el || el.length === 0) return null;
    const v = ds.string(tag);
    return v === undefined || v === '' ? null : v;
  };
  const num = (tag: string): number | null => {
    const v = str(tag);
    if (v === null) return null;
    const n = Number(v.split('\\')[0]!.trim());
    return Number.isFinite(n) ? n : null;
  };
  const int = (tag: string): number | null => {
    const n = num(tag);
    return n === null ? null : Math.trunc(n);
  };
  const out = { seriesNumber: int('x00200011'), instanceNumber: int('x00200013'), acquisitionNumber: int('x00200012') } as HeaderFields;
  for (const [key, tag] of Object.entries(TAGS)) (out as unknown as Record<string, string | null>)[key] = str(tag);
  out.pixelSpacingRow = num('x00280030');
  out.sliceThickness = num('x00180050');
  return { fields: out, reachedPixelData: ds.elements.x7fe00010 !== undefined };
}

function parseHeader(bytes: Uint8Array): DicomParserNs.DataSet {
  const untilTag = 'x7fe00010';
  if (hasMagic(bytes, 128)) return dicomParser.parseDicom(bytes, { untilTag });
  // "DICM" at 0: a Part-10 file that lost its preamble; give it one back.
  if (hasMagic(bytes, 0)) {
    const padded = new Uint8Array(bytes.length + 128);
    padded.set(bytes, 128);
    return dicomParser.parseDicom(padded, { untilTag });
  }
  // Bare dataset: plausible only if it starts with a group 0x0008 (or 0x0002/0x0010) tag.
  const group = bytes.length >= 8 ? bytes[0]! | (bytes[1]! << 8) : -1;
  if (group !== 0x0008 && group !== 0x0002 && group !== 0x0010) throw new Error('not a DICOM file (no DICM prefix and no dataset start)');
  const explicit = isUpper(bytes[4]) && isUpper(bytes[5]);
  const byteStream = new dicomParser.ByteStream(dicomParser.littleEndianByteArrayParser, bytes, 0);
  const ds = new (dicomParser as unknown as { DataSet: new (p: unknown, b: Uint8Array, e: object) => DicomParserNs.DataSet }).DataSet(
    dicomParser.littleEndianByteArrayParser,
    bytes,
    {},
  );
  if (explicit) dicomParser.parseDicomDataSetExplicit(ds, byteStream, bytes.length, { untilTag });
  else dicomParser.parseDicomDataSetImplicit(ds, byteStream, bytes.length, { untilTag });
  return ds;
}

function hasMagic(b: Uint8Array, at: number): boolean {
  return b.length >= at + 4 && b[at] === 0x44 && b[at + 1] === 0x49 && b[at + 2] === 0x43 && b[at + 3] === 0x4d;
}

function isUpper(c: number | undefined): boolean {
  return c !== undefined && c >= 0x41 && c <= 0x5a;
}
