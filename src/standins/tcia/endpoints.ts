/**
 * The NBIA v4 endpoints the stand-in serves: allowed parameters (names are case-sensitive and
 * unknown ones are a 400, as on the real server), required-parameter sentences, and the reply each
 * request gets. Replies are data; index.ts turns them into HTTP (formats, faults, throttling).
 */
import type { Catalog, CatalogSeries } from './catalog.ts';
import type { Column, Row } from './format.ts';
import {
  PATIENT_COLUMNS, PATIENT_ID_COLUMNS, SERIES_COLUMNS, SERIES_METADATA_COLUMNS, SERIES_SIZE_COLUMNS, SOP_COLUMNS, STUDY_COLUMNS,
  collectionValues, parseFromDate, patientIdRows, patientRows, selectSeries, seriesMetadataRow, seriesRow, seriesSizeRow,
  sopRows, studyRows, upperValues, type SeriesFilter,
} from './queries.ts';

export type Reply =
  /** Multi-column result; empty rows → 200 with an empty body. */
  | { kind: 'rows'; cols: readonly Column[]; rows: Row[]; format: string | undefined }
  /** Single-column value list (unquoted CSV flavour). */
  | { kind: 'values'; column: string; values: Array<string | null>; format: string | undefined }
  | { kind: 'text'; status: number; body: string; contentType?: string; headers?: Record<string, string> }
  | { kind: 'zip'; series: CatalogSeries; newFileNames: boolean; includeMd5: boolean; license: boolean }
  | { kind: 'file'; file: string; contentType: string; headers: Record<string, string> };

export interface Params {
  /** First value of a parameter, undefined when absent. */
  get(name: string): string | undefined;
  all(name: string): string[];
  names(): string[];
}

export interface EndpointContext {
  catalog: Catalog;
  /** Origin of this server, e.g. `http://127.0.0.1:8080` (for manifest download URLs). */
  origin: string;
}

export interface Endpoint {
  method: 'GET' | 'POST';
  /** Allowed parameter names, in the order the 400 text lists them. */
  allowed: readonly string[];
  /** Image download endpoints (the only ones `truncate`/`short` faults apply to). */
  zip?: boolean;
  handle(p: Params, ctx: EndpointContext): Reply;
}

export const SERVER_ERROR = 'Server was not able to process your request';
/** The 48-byte body of the UncaughtException mapper for a NullPointerException. */
export const SERVER_ERROR_NULL = `${SERVER_ERROR}\nnull`;

export function invalidParamReply(name: string, allowed: readonly string[], form = false): Reply {
  return {
    kind: 'text',
    status: 400,
    body: `Invalid ${form ? 'form' : 'query'} parameter: '${name}'. Allowed parameters are: [${allowed.join(', ')}]`,
    contentType: 'text/plain',
  };
}

/** The server sets application/json on these plain-text 400s. */
function badRequest(body: string): Reply {
  return { kind: 'text', status: 400, body, contentType: 'application/json' };
}

function required(...names: string[]): Reply {
  return badRequest(
    names.length === 1
      ? `A parameter, ${names[0]}, is required for this API call.`
      : `A parameter, ${names.join(' and ')}, are required for this API call.`,
  );
}

function noAccess(uid: string): Reply {
  return badRequest(
    `The user has not been granted the access to image with given SeriesInstanceUID,${uid}. Please contact System Admin to resolve this issue.`,
  );
}

function filterFrom(p: Params, names: readonly (keyof SeriesFilter)[]): SeriesFilter {
  const f: SeriesFilter = {};
  for (const n of names) {
    const v = p.get(n);
    if (v !== undefined) (f as Record<string, string>)[n] = v;
  }
  return f;
}

const rows = (cols: readonly Column[], r: Row[], p: Params): Reply => ({ kind: 'rows', cols, rows: r, format: p.get('format') });
const values = (column: string, v: Array<string | null>, p: Params): Reply => ({ kind: 'values', column, values: v, format: p.get('format') });

/** Date filter from `fromDate`; an unparsable date matches nothing (MySQL STR_TO_DATE → NULL). */
function dateOr(p: Params, name: string, fallback?: string): string | null | undefined {
  const v = p.get(name) ?? fallback;
  return v === undefined ? undefined : parseFromDate(v);
}

const SERIES_FILTERS = [
  'Collection', 'PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'BodyPartExamined', 'Manufacturer', 'ManufacturerModelName',
] as const;

function zipEndpoint(allowed: readonly string[], opts: { license: boolean; md5: 'param' | 'always'; newFileNames: boolean }): Endpoint {
  return {
    method: 'GET',
    allowed,
    zip: true,
    handle(p, { catalog }) {
      const uid = p.get('SeriesInstanceUID');
      if (uid === undefined) return required('SeriesInstanceUID');
      const series = catalog.bySeriesUid.get(uid);
      if (!series) return noAccess(uid);
      return {
        kind: 'zip',
        series,
        license: opts.license,
        newFileNames: opts.newFileNames && p.get('NewFileNames')?.toLowerCase() === 'yes',
        includeMd5: opts.md5 === 'always' || p.get('IncludeMD5')?.toLowerCase() === 'yes',
      };
    },
  };
}

export const ENDPOINTS: Record<string, Endpoint> = {
  getCollectionValues: {
    method: 'GET',
    allowed: ['format'],
    handle: (p, { catalog }) => values('Collection', collectionValues(catalog), p),
  },
  getModalityValues: {
    method: 'GET',
    allowed: ['Collection', 'BodyPartExamined', 'format'],
    handle: (p, { catalog }) =>
      values('Modality', upperValues(selectSeries(catalog, filterFrom(p, ['Collection', 'BodyPartExamined'])).map((s) => s.header?.modality)), p),
  },
  getBodyPartValues: {
    method: 'GET',
    allowed: ['Collection', 'Modality', 'format'],
    handle: (p, { catalog }) =>
      values('BodyPartExamined', upperValues(selectSeries(catalog, filterFrom(p, ['Collection', 'Modality'])).map((s) => s.header?.bodyPartExamined)), p),
  },
  getManufacturerValues: {
    method: 'GET',
    allowed: ['Collection', 'Modality', 'BodyPartExamined', 'format'],
    handle: (p, { catalog }) =>
      values(
        'Manufacturer',
        upperValues(selectSeries(catalog, filterFrom(p, ['Collection', 'Modality', 'BodyPartExamined'])).map((s) => s.header?.manufacturer)),
        p,
      ),
  },
  getPatient: {
    method: 'GET',
    allowed: ['Collection', 'PatientId', 'format'],
    handle: (p, { catalog }) => {
      const f: SeriesFilter = filterFrom(p, ['Collection']);
      const id = p.get('PatientId');
      if (id !== undefined) f.PatientID = id;
      return rows(PATIENT_COLUMNS, patientRows(selectSeries(catalog, f)), p);
    },
  },
  getPatientByCollectionAndModality: {
    method: 'GET',
    allowed: ['Collection', 'Modality', 'format'],
    handle: (p, { catalog }) => {
      if (p.get('Collection') === undefined || p.get('Modality') === undefined) return required('Collection', 'Modality');
      return rows(PATIENT_ID_COLUMNS, patientIdRows(selectSeries(catalog, filterFrom(p, ['Collection', 'Modality']))), p);
    },
  },
  getPatientStudy: {
    method: 'GET',
    allowed: ['Collection', 'PatientID', 'StudyInstanceUID', 'format'],
    handle: (p, { catalog }) => {
      const f = filterFrom(p, ['Collection', 'PatientID']);
      const study = p.get('StudyInstanceUID')?.toUpperCase();
      const series = selectSeries(catalog, f).filter((s) => study === undefined || s.studyUid.toUpperCase() === study);
      return rows(STUDY_COLUMNS, studyRows(catalog, series), p);
    },
  },
  getSeries: {
    method: 'GET',
    allowed: [...SERIES_FILTERS, 'format'],
    handle: (p, { catalog }) => rows(SERIES_COLUMNS, selectSeries(catalog, filterFrom(p, SERIES_FILTERS)).map(seriesRow), p),
  },
  getUpdatedSeries: {
    method: 'GET',
    allowed: ['fromDate', 'format'],
    handle: (p, { catalog }) => {
      const from = dateOr(p, 'fromDate', '01-01-1900');
      if (!from) return rows(SERIES_COLUMNS, [], p);
      return rows(SERIES_COLUMNS, selectSeries(catalog, { releasedAfter: from }).map(seriesRow), p);
    },
  },
  NewPatientsInCollection: {
    method: 'GET',
    allowed: ['Collection', 'fromDate', 'format'],
    handle: (p, { catalog }) => {
      if (p.get('Collection') === undefined || p.get('fromDate') === undefined) return required('Collection', 'fromDate');
      const from = dateOr(p, 'fromDate');
      if (!from) return rows(PATIENT_COLUMNS, [], p);
      return rows(PATIENT_COLUMNS, patientRows(selectSeries(catalog, { ...filterFrom(p, ['Collection']), releasedOnOrAfter: from })), p);
    },
  },
  NewStudiesInPatientCollection: {
    method: 'GET',
    allowed: ['Collection', 'PatientID', 'fromDate', 'format'],
    handle: (p, { catalog }) => {
      if (p.get('Collection') === undefined || p.get('fromDate') === undefined) return required('Collection', 'fromDate');
      const from = dateOr(p, 'fromDate');
      if (!from) return rows(STUDY_COLUMNS, [], p);
      const series = selectSeries(catalog, { ...filterFrom(p, ['Collection', 'PatientID']), releasedOnOrAfter: from });
      return rows(STUDY_COLUMNS, studyRows(catalog, series), p);
    },
  },
  getSeriesSize: {
    method: 'GET',
    allowed: ['SeriesInstanceUID', 'format'],
    handle: (p, { catalog }) => {
      const uid = p.get('SeriesInstanceUID');
      if (uid === undefined) return required('SeriesInstanceUID');
      const s = catalog.bySeriesUid.get(uid);
      return rows(SERIES_SIZE_COLUMNS, s ? [seriesSizeRow(s)] : [], p);
    },
  },
  getSOPInstanceUIDs: {
    method: 'GET',
    allowed: ['SeriesInstanceUID', 'format'],
    handle: (p, { catalog }) => {
      const uid = p.get('SeriesInstanceUID');
      if (uid === undefined) return required('SeriesInstanceUID');
      const s = catalog.bySeriesUid.get(uid);
      return rows(SOP_COLUMNS, s ? sopRows(s) : [], p);
    },
  },
  getImage: zipEndpoint(['SeriesInstanceUID', 'NewFileNames', 'IncludeMD5'], { license: true, md5: 'param', newFileNames: true }),
  getImageWithMD5Hash: zipEndpoint(['SeriesInstanceUID'], { license: false, md5: 'always', newFileNames: false }),
  getSingleImage: {
    method: 'GET',
    allowed: ['SeriesInstanceUID', 'SOPInstanceUID'],
    handle: (p, { catalog }) => {
      const uid = p.get('SeriesInstanceUID');
      const sop = p.get('SOPInstanceUID');
      if (uid === undefined || sop === undefined) return required('SeriesInstanceUID', 'SOPInstanceUID');
      const image = catalog.bySeriesUid.get(uid)?.images.find((i) => i.sopInstanceUid === sop);
      // The real server dereferences a null lookup result: NPE → 500 via the UncaughtException mapper.
      if (!image) return { kind: 'text', status: 500, body: SERVER_ERROR_NULL, contentType: 'text/plain' };
      return { kind: 'file', file: image.file, contentType: 'application/dicom', headers: { 'Content-Disposition': `attachment; filename=${sop}.dcm` } };
    },
  },
  getManifestText: {
    method: 'POST',
    allowed: ['list', 'includeAnnotation'],
    handle: (p, { origin }) => {
      const annotation = p.get('includeAnnotation');
      if (annotation === undefined) return { kind: 'text', status: 500, body: SERVER_ERROR_NULL, contentType: 'text/plain' };
      return {
        kind: 'text',
        status: 200,
        body: manifestText(p.all('list'), annotation.toLowerCase() === 'true', `manifest-${Date.now()}.tcia`, origin),
        contentType: 'application/x-nbia-manifest-file',
      };
    },
  },
  getSeriesMetadata: {
    method: 'POST',
    allowed: ['list', 'format'],
    handle: (p, { catalog }) => {
      const uids = new Set(
        p
          .all('list')
          .flatMap((v) => v.replace(/[^0-9,.]/g, '').split(','))
          .filter((u) => u.length > 0),
      );
      if (uids.size === 0) return badRequest('A form parameter, list, containing at least one SeriesInstanceUID is required.');
      const selected = catalog.series.filter((s) => uids.has(s.seriesUid));
      return { kind: 'rows', cols: SERIES_METADATA_COLUMNS, rows: selected.map(seriesMetadataRow), format: p.get('format') ?? 'CSV-DOWNLOAD' };
    },
  },
};

/** `.tcia` manifest text (tcia-api.md §6, ManifestMaker): UIDs verbatim, one per line. */
export function manifestText(uids: readonly string[], includeAnnotation: boolean, databasketId: string, origin: string): string {
  let out = `downloadServerUrl=${origin}/nbia-download/servlet/DownloadServlet\n`;
  out += `includeAnnotation=${includeAnnotation}\n`;
  out += 'noOfrRetry=4\n';
  out += `databasketId=${databasketId}\n`;
  out += 'manifestVersion=3.0\n';
  out += 'ListOfSeriesToDownload=\n';
  for (const uid of uids) out += uid + '\n';
  return out;
}
