/**
 * The NBIA v4 queries over the in-memory catalog: column lists in the server's fixed order
 * (tcia-api.md §3) and row builders that mirror the DAO SQL (case-insensitive filters on names,
 * exact UIDs, upper-cased distinct value lists, release-date comparisons at day granularity).
 */
import type { SeriesFilters } from '../../tcia/index.ts';
import type { Catalog, CatalogSeries } from './catalog.ts';
import { columns, type Cell, type Row } from './format.ts';

export const SERIES_COLUMNS = columns(
  'SeriesInstanceUID', 'StudyInstanceUID', 'Modality', 'ProtocolName', 'SeriesDate', 'SeriesDescription',
  'BodyPartExamined', 'SeriesNumber:dec', 'AnnotationsFlag', 'Collection', 'Site', 'PatientID', 'PatientSex',
  'PatientAge', 'AdmittingDiagnosisDescription', 'Manufacturer', 'ManufacturerModelName', 'SoftwareVersions',
  'ImageCount:int', 'MaxSubmissionTimestamp', 'LicenseName', 'LicenseURI', 'DataDescriptionURI', 'FileSize:long',
  'ReleasedStatus', 'DateReleased', 'StudyDesc', 'StudyDate', 'ThirdPartyAnalysis', 'Authorized:int',
);

export const PATIENT_COLUMNS = columns(
  'PatientId', 'PatientName', 'PatientSex', 'EthnicGroup', 'Collection', 'Phantom', 'SpeciesCode', 'SpeciesDescription', 'Authorized:int',
);

export const PATIENT_ID_COLUMNS = columns('PatientId', 'Authorized:int');

export const STUDY_COLUMNS = columns(
  'StudyInstanceUID', 'StudyDate', 'StudyDescription', 'AdmittingDiagnosesDescription', 'StudyID', 'PatientAge',
  'PatientID', 'PatientName', 'PatientSex', 'EthnicGroup', 'Collection', 'SeriesCount:int',
  'LongitudinalTemporalEventType', 'LongitudinalTemporalOffsetFromEvent', 'Authorized:int',
);

export const SERIES_SIZE_COLUMNS = columns('TotalSizeInBytes:long', 'ObjectCount:int');
export const SOP_COLUMNS = columns('SOPInstanceUID');

export const SERIES_METADATA_COLUMNS = columns(
  'PatientID', 'PatientName', 'PatientSex', 'EthnicGroup', 'Phantom', 'SpeciesCode', 'SpeciesDescription',
  'StudyInstanceUID', 'StudyDate', 'StudyDesc', 'AdmittingDiagnosisDescription', 'StudyID', 'PatientAge',
  'LongitudinalTemporalEventType', 'LongitudinalTemporalOffsetFromEvent', 'SeriesInstanceUID', 'Collection', 'Site',
  'Modality', 'ProtocolName', 'SeriesDate', 'SeriesDescription', 'BodyPartExamined', 'SeriesNumber:dec',
  'AnnotationsFlag', 'Manufacturer', 'ManufacturerModelName', 'PixelSpacing(mm)-Row:dec', 'SliceThickness(mm):dec',
  'SoftwareVersions', 'ImageCount:int', 'MaxSubmissionTimestamp', 'LicenseName', 'LicenseURI', 'DataDescriptionURI',
  'FileSize:long', 'ReleasedStatus', 'DateReleased', 'ThirdPartyAnalysis', 'Authorized:int',
);

/** Server defaults for NULL patient columns (PatientDAOImpl). */
const PHANTOM = 'NO';
const SPECIES_CODE = '337915000';
const SPECIES_DESCRIPTION = 'Homo sapiens';

/** The client's `getSeries` filters (undefined = not given) plus the release-date ones of the updated-series endpoints. */
export type SeriesFilter = SeriesFilters & {
  /** Released strictly after this ISO day. */
  releasedAfter?: string;
  /** Released on or after this ISO day. */
  releasedOnOrAfter?: string;
};

/** `UPPER(col) = UPPER(?)`; a NULL column never matches a given filter. */
function ci(value: string | null | undefined, filter: string | undefined): boolean {
  if (filter === undefined) return true;
  return value !== null && value !== undefined && value.toUpperCase() === filter.toUpperCase();
}

function exact(value: string, filter: string | undefined): boolean {
  return filter === undefined || value === filter;
}

export function selectSeries(cat: Catalog, f: SeriesFilter): CatalogSeries[] {
  return cat.series.filter(
    (s) =>
      ci(s.collection.name, f.Collection) &&
      ci(s.patientId, f.PatientID) &&
      exact(s.studyUid, f.StudyInstanceUID) &&
      exact(s.seriesUid, f.SeriesInstanceUID) &&
      ci(s.header?.modality, f.Modality) &&
      ci(s.header?.bodyPartExamined, f.BodyPartExamined) &&
      ci(s.header?.manufacturer, f.Manufacturer) &&
      ci(s.header?.manufacturerModelName, f.ManufacturerModelName) &&
      (f.releasedAfter === undefined || s.dateReleased > f.releasedAfter) &&
      (f.releasedOnOrAfter === undefined || s.dateReleased >= f.releasedOnOrAfter),
  );
}

/** ISO `YYYY-MM-DD` → `MM-DD-YYYY`. */
export function isoToMdy(iso: string): string {
  return `${iso.slice(5, 7)}-${iso.slice(8, 10)}-${iso.slice(0, 4)}`;
}

/** DICOM DA `YYYYMMDD` → `MM-DD-YYYY` (null when not a date). */
export function daToMdy(da: string | null | undefined): string | null {
  const m = da ? /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da.trim()) : null;
  return m ? `${m[2]}-${m[3]}-${m[1]}` : null;
}

/**
 * `fromDate` as MySQL `STR_TO_DATE(?, '%m-%d-%Y')` reads it → ISO day, or null (then nothing matches).
 * Accepts 1–2 digit month/day like MySQL does.
 */
export function parseFromDate(s: string): string | null {
  const m = /^(\d{1,2})-(\d{1,2})-(\d{4})$/.exec(s.trim());
  if (!m) return null;
  const month = Number(m[1]);
  const day = Number(m[2]);
  const year = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > 31) return null;
  const d = new Date(Date.UTC(year, month - 1, day));
  if (d.getUTCMonth() !== month - 1) return null;
  return `${m[3]}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

export function seriesRow(s: CatalogSeries): Row {
  const h = s.header;
  const c = s.collection;
  return [
    s.seriesUid, s.studyUid, h?.modality ?? null, h?.protocolName ?? null, daToMdy(h?.seriesDate), h?.seriesDescription ?? null,
    h?.bodyPartExamined ?? null, h?.seriesNumber ?? null, null, c.name, c.site, s.patientId, h?.patientSex ?? null,
    h?.patientAge ?? null, h?.admittingDiagnosis ?? null, h?.manufacturer ?? null, h?.manufacturerModelName ?? null,
    h?.softwareVersions ?? null, s.images.length, isoToMdy(s.maxSubmissionTimestamp), c.licenseName, c.licenseUri,
    c.dataDescriptionUri, s.fileSize, 'Yes', isoToMdy(s.dateReleased), h?.studyDescription ?? null, daToMdy(h?.studyDate),
    c.thirdPartyAnalysis, 1,
  ];
}

export function seriesMetadataRow(s: CatalogSeries): Row {
  const h = s.header;
  const c = s.collection;
  return [
    s.patientId, h?.patientName ?? null, h?.patientSex ?? null, h?.ethnicGroup ?? null, PHANTOM, SPECIES_CODE, SPECIES_DESCRIPTION,
    s.studyUid, daToMdy(h?.studyDate), h?.studyDescription ?? null, h?.admittingDiagnosis ?? null, h?.studyId ?? null,
    h?.patientAge ?? null, null, null, s.seriesUid, c.name, c.site, h?.modality ?? null, h?.protocolName ?? null,
    daToMdy(h?.seriesDate), h?.seriesDescription ?? null, h?.bodyPartExamined ?? null, h?.seriesNumber ?? null, null,
    h?.manufacturer ?? null, h?.manufacturerModelName ?? null, h?.pixelSpacingRow ?? null, h?.sliceThickness ?? null,
    h?.softwareVersions ?? null, s.images.length, isoToMdy(s.maxSubmissionTimestamp), c.licenseName, c.licenseUri,
    c.dataDescriptionUri, s.fileSize, 'Yes', isoToMdy(s.dateReleased), c.thirdPartyAnalysis, 1,
  ];
}

/** One row per patient (first appearance order) of the given series. */
export function patientRows(series: readonly CatalogSeries[]): Row[] {
  const seen = new Map<string, Row>();
  for (const s of series) {
    const key = `${s.collection.name}\u0000${s.patientId}`;
    if (seen.has(key)) continue;
    const h = s.header;
    seen.set(key, [s.patientId, h?.patientName ?? null, h?.patientSex ?? null, h?.ethnicGroup ?? null, s.collection.name, PHANTOM, SPECIES_CODE, SPECIES_DESCRIPTION, 1]);
  }
  return [...seen.values()];
}

export function patientIdRows(series: readonly CatalogSeries[]): Row[] {
  const ids = new Set<string>();
  for (const s of series) ids.add(s.patientId);
  return [...ids].map((id) => [id, 1]);
}

/**
 * One row per study of the given series; SeriesCount counts the study's public series in the
 * whole catalog (not only the selected ones).
 */
export function studyRows(cat: Catalog, series: readonly CatalogSeries[]): Row[] {
  const counts = new Map<string, number>();
  for (const s of cat.series) counts.set(studyKey(s), (counts.get(studyKey(s)) ?? 0) + 1);
  const seen = new Map<string, Row>();
  for (const s of series) {
    const key = studyKey(s);
    if (seen.has(key)) continue;
    const h = s.header;
    seen.set(key, [
      s.studyUid, daToMdy(h?.studyDate), h?.studyDescription ?? null, h?.admittingDiagnosis ?? null, h?.studyId ?? null,
      h?.patientAge ?? null, s.patientId, h?.patientName ?? null, h?.patientSex ?? null, h?.ethnicGroup ?? null,
      s.collection.name, counts.get(key) ?? 0, null, null, 1,
    ]);
  }
  return [...seen.values()];
}

function studyKey(s: CatalogSeries): string {
  return `${s.collection.name}\u0000${s.patientId}\u0000${s.studyUid}`;
}

/** `select distinct upper(x) … order by`: NULL sorts first (MySQL). */
export function upperValues(values: Iterable<string | null | undefined>): Array<string | null> {
  const set = new Set<string | null>();
  for (const v of values) set.add(v === null || v === undefined ? null : v.toUpperCase());
  return [...set].sort(compareNullFirst);
}

/** Collection names as stored, sorted case-insensitively (MySQL `_ci` collation). */
export function collectionValues(cat: Catalog): string[] {
  const names = [...new Set(cat.series.map((s) => s.collection.name))];
  return names.sort((a, b) => {
    const x = a.toUpperCase();
    const y = b.toUpperCase();
    return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  });
}

function compareNullFirst(a: string | null, b: string | null): number {
  if (a === null) return b === null ? 0 : -1;
  if (b === null) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sopRows(s: CatalogSeries): Row[] {
  return s.images.map((i): Cell[] => [i.sopInstanceUid]);
}

export function seriesSizeRow(s: CatalogSeries): Row {
  return [s.fileSize, s.images.length];
}
