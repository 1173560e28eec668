/**
 * Row shapes of the NBIA API v4 (tcia-api.md §3). The server omits null columns (Jettison), so every
 * field but the identifying ones is optional, and rows may carry keys we do not know.
 */

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
