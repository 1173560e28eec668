/**
 * The few header fields the stand-in's "database" needs, read up to PixelData with the product's
 * DICOM reader (Part-10 files, files that lost their preamble, and bare data sets, which real
 * archives still contain).
 */
import { parseDicomBytes } from '../../preprocess/index.ts';

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
  const { ds } = parseDicomBytes(bytes, true);
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
