import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import dcmjs from 'dcmjs';
import yazl from 'yazl';
import type { PlannedSeries, RawSeriesRecord } from '../../src/core/types.ts';
import { dataPaths } from '../../src/core/paths.ts';

/**
 * Fixtures for the preprocessing stage: CT-like Part-10 slices written with dcmjs (explicit VR LE,
 * int16, intercept −1024, optional padding), series ZIPs written with yazl, and raw/ sidecars —
 * the same shapes `etl fetch tcia` leaves behind. Also used by bench/preprocess.ts.
 */

dcmjs.log.setLevel('error');
const { DicomDict, DicomMetaDictionary } = dcmjs.data;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SR_STORAGE = '1.2.840.10008.5.1.4.1.1.88.33';

export interface SliceSpec {
  rows?: number;
  cols?: number;
  seriesUid: string;
  sopUid: string;
  studyUid?: string;
  patientId?: string;
  instanceNumber?: number;
  modality?: string;
  photometric?: string;
  /** Fill every pixel with this HU (a constant image). */
  constantHu?: number;
  /** Pixels outside a centred circle are padding −2000 (stored) with PixelPaddingValue set. */
  padding?: boolean;
  /** Deterministic pattern variation. */
  seed?: number;
  /** Add seeded noise of ± this many HU (scanner-like: the ZIP compresses ~2:1, not 57:1). */
  noiseHu?: number;
}

/** A slice: a disc of soft tissue with a gradient on air, HU in [−1000, ~1000]. */
export function ctSlice(spec: SliceSpec): Uint8Array {
  const rows = spec.rows ?? 64;
  const cols = spec.cols ?? 64;
  const seed = spec.seed ?? spec.instanceNumber ?? 1;
  const stored = new Int16Array(rows * cols);
  const r = Math.min(rows, cols) / 2;
  const noise = spec.noiseHu ?? 0;
  let state = (seed * 2654435761) | 1;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const d = Math.hypot(x - cols / 2, y - rows / 2);
      let hu: number;
      if (spec.constantHu !== undefined) hu = spec.constantHu;
      else if (d < r * 0.7) hu = 40 + ((x * 13 + y * 7 + seed * 31) % 200) - 100 + (d < r * 0.2 ? 900 : 0);
      else hu = -1000 + ((x + seed) % 50);
      if (noise > 0) {
        // xorshift32: deterministic per slice, uniform in [−noise, noise].
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        hu += ((state >>> 0) % (2 * noise + 1)) - noise;
      }
      stored[y * cols + x] = spec.padding && d >= r ? -2000 : hu + 1024;
    }
  }
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: CT_IMAGE_STORAGE,
    MediaStorageSOPInstanceUID: spec.sopUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.4242',
  };
  const ds: Record<string, unknown> = {
    SOPClassUID: CT_IMAGE_STORAGE,
    SOPInstanceUID: spec.sopUid,
    StudyInstanceUID: spec.studyUid ?? `${spec.seriesUid}.0`,
    SeriesInstanceUID: spec.seriesUid,
    Modality: spec.modality ?? 'CT',
    PatientID: spec.patientId ?? 'PAT-1',
    BodyPartExamined: 'CHEST',
    ...(spec.instanceNumber !== undefined ? { InstanceNumber: spec.instanceNumber } : {}),
    Rows: rows,
    Columns: cols,
    SamplesPerPixel: 1,
    PhotometricInterpretation: spec.photometric ?? 'MONOCHROME2',
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: 1,
    RescaleIntercept: -1024,
    RescaleSlope: 1,
    ...(spec.padding ? { PixelPaddingValue: -2000 } : {}),
    PixelData: [stored.buffer],
    _vrMap: { PixelData: 'OW', PixelPaddingValue: 'SS' },
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}

/** A structured report (no PixelData): a non-image object TCIA series sometimes carry. */
export function srObject(seriesUid: string, sopUid: string): Uint8Array {
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SR_STORAGE,
    MediaStorageSOPInstanceUID: sopUid,
    TransferSyntaxUID: '1.2.840.10008.1.2.1',
    ImplementationClassUID: '2.25.4242',
  };
  const ds = { SOPClassUID: SR_STORAGE, SOPInstanceUID: sopUid, SeriesInstanceUID: seriesUid, StudyInstanceUID: `${seriesUid}.0`, Modality: 'SR', PatientID: 'PAT-1' };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return new Uint8Array(dict.write());
}

export async function zipBytes(entries: Array<{ name: string; bytes: Uint8Array }>, compress = true): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  const fixed = new Date('2020-01-01T00:00:00Z');
  for (const e of entries) zip.addBuffer(Buffer.from(e.bytes), e.name, { mtime: fixed, compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

export interface RawSeriesSpec {
  collection: string;
  seriesUid: string;
  dataset?: string;
  label?: string;
  modality?: string;
  bodyPart?: string;
  keep?: number;
  entries: Array<{ name: string; bytes: Uint8Array }>;
  compress?: boolean;
}

/** Write raw/<Collection>/<SeriesUID>.zip (+ LICENSE, md5hashes.csv) and its verified sidecar. */
export async function writeRawSeries(dataDir: string, spec: RawSeriesSpec): Promise<RawSeriesRecord> {
  const paths = dataPaths(dataDir);
  const md5 = (b: Uint8Array) => crypto.createHash('md5').update(b).digest('hex');
  const csv = 'Filename,MD5Hash\n' + spec.entries.map((e) => `${e.name},${md5(e.bytes)}`).join('\n') + '\n';
  const all = [
    { name: 'LICENSE', bytes: Buffer.from('CC BY 3.0\n') },
    ...spec.entries,
    { name: 'md5hashes.csv', bytes: Buffer.from(csv) },
  ];
  const zip = await zipBytes(all, spec.compress ?? true);
  fs.mkdirSync(paths.rawDir(spec.collection), { recursive: true });
  fs.writeFileSync(paths.rawZip(spec.collection, spec.seriesUid), zip);
  const n = spec.entries.length;
  const planned: PlannedSeries = {
    dataset: spec.dataset ?? spec.collection,
    collection: spec.collection,
    patientId: 'PAT-1',
    studyUid: `${spec.seriesUid}.0`,
    seriesUid: spec.seriesUid,
    modality: spec.modality ?? 'CT',
    label: spec.label ?? 'CT',
    bodyPart: spec.bodyPart ?? 'CHEST',
    imageCount: n,
    keep: spec.keep ?? n,
  };
  const rec: RawSeriesRecord = {
    version: 1,
    collection: spec.collection,
    seriesUid: spec.seriesUid,
    imageCount: n,
    zipBytes: zip.length,
    zipSha256: crypto.createHash('sha256').update(zip).digest('hex'),
    md5Verified: true,
    entries: spec.entries.map((e) => ({ name: e.name, size: e.bytes.length, md5: md5(e.bytes) })),
    downloadedAt: '2020-01-01T00:00:00.000Z',
    apiUrl: 'http://127.0.0.1/nbia-api/services/v4/',
    planned,
  };
  fs.writeFileSync(path.join(paths.rawDir(spec.collection), `${spec.seriesUid}.json`), JSON.stringify(rec, null, 2));
  return rec;
}

/** A CT series of `n` slices named like TCIA entries (1-01.dcm…), instance numbers 1..n. */
export function ctSeries(seriesUid: string, n: number, slice: Partial<SliceSpec> = {}): Array<{ name: string; bytes: Uint8Array }> {
  return Array.from({ length: n }, (_, i) => ({
    name: `1-${String(i + 1).padStart(2, '0')}.dcm`,
    bytes: ctSlice({ seriesUid, sopUid: `${seriesUid}.${i + 1}`, instanceNumber: i + 1, ...slice }),
  }));
}
