/**
 * Row shapes of the NBIA API v4 (tcia-api.md §3). The server omits null columns (Jettison), so every
 * field but the identifying ones is optional, and rows may carry keys we do not know.
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

/** `getPatient` / `NewPatientsInCollection` row. Note `PatientId` with a lower-case d. */
export interface TciaPatientRow {
  PatientId?: string;
  PatientName?: string;
  PatientSex?: string;
  EthnicGroup?: string;
  Collection?: string;
  Phantom?: string;
  SpeciesCode?: string;
  SpeciesDescription?: string;
  Authorized?: number;
  [key: string]: unknown;
}

/** `getPatientStudy` row. */
export interface TciaStudyRow {
  StudyInstanceUID?: string;
  StudyDate?: string;
  StudyDescription?: string;
  AdmittingDiagnosesDescription?: string;
  StudyID?: string;
  PatientAge?: string;
  PatientID?: string;
  PatientName?: string;
  PatientSex?: string;
  EthnicGroup?: string;
  Collection?: string;
  SeriesCount?: number;
  Authorized?: number;
  [key: string]: unknown;
}

/** `getSeriesSize` row (the endpoint returns an array of one). */
export interface TciaSeriesSize {
  TotalSizeInBytes?: number;
  ObjectCount?: number;
}

/** Filters `getSeries` accepts (names are case-sensitive on the server). */
export type SeriesFilters = {
  Collection?: string;
  PatientID?: string;
  StudyInstanceUID?: string;
  SeriesInstanceUID?: string;
  Modality?: string;
  BodyPartExamined?: string;
  Manufacturer?: string;
  ManufacturerModelName?: string;
};

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
