/**
 * The stand-in's "database": an in-memory index of a folder of collections, built from the files'
 * headers (nothing cached on disk). Layout written by `etl tcia synth`:
 *   <dir>/<Collection>/collection.json
 *   <dir>/<Collection>/<PatientID>/<StudyUID>/<SeriesUID>/<NNNNNN>.dcm
 * Any other folder of DICOM under <dir>/<Collection>/ works too: series come from the headers, and
 * files that do not parse (corrupt files are part of series on real TCIA) join the series of the
 * other files in their folder, or the series named by the folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import { messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { readHeaderFields, type HeaderFields } from './dicomHeader.ts';

export interface CollectionInfo {
  name: string;
  licenseName: string | null;
  licenseUri: string | null;
  /** Short name used in the LICENSE entry (`CC BY 3.0`). */
  licenseShortName: string | null;
  dataDescriptionUri: string | null;
  site: string | null;
  thirdPartyAnalysis: string | null;
}

export interface CatalogImage {
  /** Absolute path. */
  file: string;
  /** Path relative to the collection folder (the stored file name). */
  relPath: string;
  size: number;
  sopInstanceUid: string | null;
  instanceNumber: number | null;
  acquisitionNumber: number | null;
  /** False when the header did not parse (the file is still served). */
  parsed: boolean;
}

export interface CatalogSeries {
  collection: CollectionInfo;
  seriesUid: string;
  studyUid: string;
  patientId: string;
  /** Header of the first parsable image (series, study and patient columns come from it). */
  header: HeaderFields | null;
  /** In "DB order": folder order, then file name order. */
  images: CatalogImage[];
  fileSize: number;
  /** ISO dates `YYYY-MM-DD`. */
  dateReleased: string;
  maxSubmissionTimestamp: string;
}

export interface Catalog {
  collections: CollectionInfo[];
  series: CatalogSeries[];
  bySeriesUid: Map<string, CatalogSeries>;
  /** Files whose header did not parse. */
  unparsed: number;
}

interface CollectionJson {
  collection?: string;
  licenseName?: string;
  licenseUri?: string;
  licenseShortName?: string;
  dataDescriptionUri?: string;
  site?: string;
  thirdPartyAnalysis?: string;
  series?: Record<string, { dateReleased?: string; maxSubmissionTimestamp?: string }>;
}

/** Defaults for a folder without collection.json (TCIA's usual licence today). */
const DEFAULT_LICENSE = {
  name: 'Creative Commons Attribution 4.0 International License',
  uri: 'https://creativecommons.org/licenses/by/4.0/',
};

/** Enough for almost every header; longer ones (or files without PixelData) are read whole. */
const HEADER_PREFIX_BYTES = 16 * 1024;
const COLLECTION_JSON = 'collection.json';

/** Names of the collection folders under `dataDir` (visible sub-folders, sorted). */
export function listCollectionDirs(dataDir: string): string[] {
  if (!fs.existsSync(dataDir) || !fs.statSync(dataDir).isDirectory()) return [];
  return fs
    .readdirSync(dataDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

export async function buildCatalog(dataDir: string, log?: Logger): Promise<Catalog> {
  const limit = pLimit(8);
  const collections: CollectionInfo[] = [];
  const series: CatalogSeries[] = [];
  let unparsed = 0;
  for (const dirName of listCollectionDirs(dataDir)) {
    const root = path.join(dataDir, dirName);
    const meta = readCollectionJson(root, log);
    const info = collectionInfo(dirName, meta);
    const groups = walk(root);
    if (groups.length === 0) continue;
    collections.push(info);
    const byKey = new Map<string, CatalogSeries>();
    for (const group of groups) {
      const parsed = await Promise.all(group.files.map((f) => limit(() => readImage(f))));
      unparsed += parsed.filter((p) => !p.header).length;
      const folderSeries = majoritySeries(parsed) ?? path.basename(group.dir);
      const segs = path.relative(root, group.dir).split(path.sep).filter(Boolean);
      for (const p of parsed) {
        const uid = p.header?.seriesInstanceUid ?? folderSeries;
        let s = byKey.get(uid);
        if (!s) {
          s = {
            collection: info,
            seriesUid: uid,
            studyUid: p.header?.studyInstanceUid ?? segs[segs.length - 2] ?? 'UNKNOWN',
            patientId: p.header?.patientId ?? segs[segs.length - 3] ?? segs[0] ?? 'UNKNOWN',
            header: null,
            images: [],
            fileSize: 0,
            dateReleased: '',
            maxSubmissionTimestamp: '',
          };
          byKey.set(uid, s);
          series.push(s);
        }
        if (!s.header && p.header) {
          s.header = p.header;
          s.studyUid = p.header.studyInstanceUid ?? s.studyUid;
          s.patientId = p.header.patientId ?? s.patientId;
        }
        s.images.push({
          file: p.file,
          relPath: path.relative(root, p.file),
          size: p.size,
          sopInstanceUid: p.header?.sopInstanceUid ?? null,
          instanceNumber: p.header?.instanceNumber ?? null,
          acquisitionNumber: p.header?.acquisitionNumber ?? null,
          parsed: p.header !== null,
        });
        s.fileSize += p.size;
        const day = new Date(p.mtimeMs).toISOString().slice(0, 10);
        if (day > s.dateReleased) s.dateReleased = day;
      }
    }
    for (const s of byKey.values()) {
      const dates = meta?.series?.[s.seriesUid];
      const fallback = s.dateReleased;
      s.dateReleased = isoDay(dates?.dateReleased) ?? fallback;
      s.maxSubmissionTimestamp = isoDay(dates?.maxSubmissionTimestamp) ?? s.dateReleased;
    }
  }
  const bySeriesUid = new Map<string, CatalogSeries>();
  for (const s of series) if (!bySeriesUid.has(s.seriesUid)) bySeriesUid.set(s.seriesUid, s);
  if (unparsed > 0) log?.debug('stand-in: files without a readable header are served as part of their folder\'s series', { unparsed });
  return { collections, series, bySeriesUid, unparsed };
}

function readCollectionJson(root: string, log?: Logger): CollectionJson | null {
  const file = path.join(root, COLLECTION_JSON);
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as CollectionJson;
  } catch (err) {
    log?.warn(`stand-in: ignoring unreadable ${file}`, { error: messageOf(err) });
    return null;
  }
}

function collectionInfo(dirName: string, meta: CollectionJson | null): CollectionInfo {
  const licenseName = meta ? (meta.licenseName ?? null) : DEFAULT_LICENSE.name;
  const licenseUri = meta ? (meta.licenseUri ?? null) : DEFAULT_LICENSE.uri;
  return {
    name: meta?.collection ?? dirName,
    licenseName,
    licenseUri,
    licenseShortName: meta?.licenseShortName ?? shortLicenseName(licenseUri) ?? licenseName,
    dataDescriptionUri: meta?.dataDescriptionUri ?? null,
    site: meta?.site ?? null,
    thirdPartyAnalysis: meta?.thirdPartyAnalysis ?? null,
  };
}

/** `https://creativecommons.org/licenses/by-nc/4.0/` → `CC BY-NC 4.0`. */
export function shortLicenseName(uri: string | null): string | null {
  const m = uri ? /creativecommons\.org\/licenses\/([a-z-]+)\/(\d\.\d)/i.exec(uri) : null;
  return m ? `CC ${m[1]!.toUpperCase()} ${m[2]}` : null;
}

function isoDay(s: string | undefined): string | null {
  return s && /^\d{4}-\d{2}-\d{2}/.test(s) ? s.slice(0, 10) : null;
}

interface FileGroup {
  dir: string;
  files: string[];
}

/** Folders holding files, depth first in name order; files sorted by name. */
function walk(root: string): FileGroup[] {
  const out: FileGroup[] = [];
  const visit = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files = entries
      .filter((e) => e.isFile() && !e.name.startsWith('.') && !(dir === root && e.name === COLLECTION_JSON))
      .map((e) => path.join(dir, e.name));
    if (files.length > 0) out.push({ dir, files });
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) visit(path.join(dir, e.name));
  };
  visit(root);
  return out;
}

interface ReadImage {
  file: string;
  size: number;
  mtimeMs: number;
  header: HeaderFields | null;
}

async function readImage(file: string): Promise<ReadImage> {
  const handle = await fs.promises.open(file, 'r');
  try {
    const st = await handle.stat();
    const prefix = Buffer.alloc(Math.min(st.size, HEADER_PREFIX_BYTES));
    await handle.read(prefix, 0, prefix.length, 0);
    let header: HeaderFields | null = null;
    try {
      const r = readHeaderFields(prefix);
      if (r.reachedPixelData || prefix.length === st.size) header = r.fields;
    } catch {
      // The header may run past the prefix: the whole file decides.
    }
    if (!header && st.size > prefix.length) {
      const whole = Buffer.alloc(st.size);
      await handle.read(whole, 0, st.size, 0);
      try {
        header = readHeaderFields(whole).fields;
      } catch {
        header = null;
      }
    }
    return { file, size: st.size, mtimeMs: st.mtimeMs, header };
  } finally {
    await handle.close();
  }
}

function majoritySeries(images: readonly ReadImage[]): string | null {
  const counts = new Map<string, number>();
  for (const i of images) {
    const uid = i.header?.seriesInstanceUid;
    if (uid) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  let best: string | null = null;
  let n = 0;
  for (const [uid, c] of counts) if (c > n) (best = uid), (n = c);
  return best;
}
