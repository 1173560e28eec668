/**
 * `catalog/<Collection>.json`: the archive's series listing as it was fetched. The columns are TCIA's
 * `getSeries` columns (tcia-api.md §3); the plan is made from these rows whatever client fetched them.
 */

/** One `getSeries` / `getUpdatedSeries` row (30 columns in v4; any may be absent). */
export interface TciaSeriesRow {
  SeriesInstanceUID?: string;
  StudyInstanceUID?: string;
  Modality?: string;
  ProtocolName?: string;
  SeriesDate?: string;
  SeriesDescription?: string;
  BodyPartExamined?: string;
  SeriesNumber?: number;
  AnnotationsFlag?: string | boolean;
  Collection?: string;
  Site?: string;
  PatientID?: string;
  PatientSex?: string;
  PatientAge?: string;
  AdmittingDiagnosisDescription?: string;
  Manufacturer?: string;
  ManufacturerModelName?: string;
  SoftwareVersions?: string;
  ImageCount?: number;
  MaxSubmissionTimestamp?: string;
  LicenseName?: string;
  LicenseURI?: string;
  DataDescriptionURI?: string;
  FileSize?: number;
  ReleasedStatus?: string;
  DateReleased?: string;
  StudyDesc?: string;
  StudyDate?: string;
  ThirdPartyAnalysis?: string;
  Authorized?: number;
  [key: string]: unknown;
}

/** `catalog/<Collection>.json`: what TCIA said about a collection, rows verbatim in TCIA's order. */
export interface CatalogSnapshot {
  version: 1;
  collection: string;
  fetchedAt: string;
  apiUrl: string;
  /** Set when the snapshot holds only the series of a `.tcia` manifest, not the whole collection. */
  subsetOf?: string;
  series: TciaSeriesRow[];
}
