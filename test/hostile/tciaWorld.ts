import crypto from 'node:crypto';
import { ctSeries, zipBytes } from '../preprocess/preprocessFixtures.ts';
import { buildZip, type RawEntry } from './zipBuild.ts';
import { sendBody, startHostile, type HostileServer } from './server.ts';

/**
 * A hostile TCIA: getSeries lists the series it is given (with FileSize, as TCIA does) and getImage
 * answers each with the bytes the test chose (a bomb, a STORED ZIP, an oversized body).
 */
export interface HostileSeries {
  uid: string;
  imageCount: number;
  /** getSeries FileSize (the DICOM files' bytes); omitted when undefined. */
  fileSize?: number;
  body: Buffer;
}

export const COLLECTION = 'HOSTILE-CT';

export async function startHostileTcia(series: HostileSeries[]): Promise<HostileServer> {
  const rows = series.map((s, i) => ({
    Collection: COLLECTION, PatientID: `P${i}`, StudyInstanceUID: `1.9.${i}`, SeriesInstanceUID: s.uid, Modality: 'CT',
    BodyPartExamined: 'CHEST', ImageCount: s.imageCount, ...(s.fileSize !== undefined ? { FileSize: s.fileSize } : {}),
  }));
  return startHostile((_req, res, endpoint, url) => {
    if (endpoint === 'getCollectionValues') return sendBody(res, JSON.stringify([{ Collection: COLLECTION }]), { 'Content-Type': 'application/json' });
    if (endpoint === 'getSeries') return sendBody(res, JSON.stringify(rows), { 'Content-Type': 'application/json' });
    if (endpoint === 'getImage') {
      const s = series.find((x) => x.uid === url.searchParams.get('SeriesInstanceUID'));
      if (s) return sendBody(res, s.body, { 'Content-Type': 'application/zip' });
    }
    res.writeHead(400).end('Invalid query');
  });
}

/** A real CT series as TCIA sends it (LICENSE, images, md5hashes.csv), `compress: false` = STORED entries. */
export async function ctSeriesZip(uid: string, n: number, compress: boolean): Promise<{ zip: Buffer; fileSize: number }> {
  const entries = ctSeries(uid, n);
  const md5 = (b: Uint8Array) => crypto.createHash('md5').update(b).digest('hex');
  const csv = 'Filename,MD5Hash\n' + entries.map((e) => `${e.name},${md5(e.bytes)}`).join('\n') + '\n';
  const zip = await zipBytes([{ name: 'LICENSE', bytes: Buffer.from('CC BY 4.0\n') }, ...entries, { name: 'md5hashes.csv', bytes: Buffer.from(csv) }], compress);
  return { zip, fileSize: entries.reduce((a, e) => a + e.bytes.length, 0) };
}

/** A one-image series ZIP whose only image is `entry` (no md5hashes.csv, as a bomb would come). */
export function bombZip(entry: RawEntry): Buffer {
  return buildZip([entry]);
}
