/**
 * The v4 endpoints this client calls and the query/form parameters each accepts (tcia-api.md §3).
 * v4 answers 400 to any parameter it does not list, so the client refuses to send one.
 */
export const ENDPOINT_PARAMS = {
  getCollectionValues: ['format'],
  getModalityValues: ['Collection', 'BodyPartExamined', 'format'],
  getBodyPartValues: ['Collection', 'Modality', 'format'],
  getPatient: ['Collection', 'PatientId', 'format'],
  getPatientStudy: ['Collection', 'PatientID', 'StudyInstanceUID', 'format'],
  getSeries: [
    'Collection', 'PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'BodyPartExamined',
    'Manufacturer', 'ManufacturerModelName', 'format',
  ],
  getSeriesSize: ['SeriesInstanceUID', 'format'],
  getSOPInstanceUIDs: ['SeriesInstanceUID', 'format'],
  getUpdatedSeries: ['fromDate', 'format'],
  NewPatientsInCollection: ['Collection', 'fromDate', 'format'],
  getImage: ['SeriesInstanceUID', 'NewFileNames', 'IncludeMD5'],
  /** POST form fields. */
  getManifestText: ['list', 'includeAnnotation'],
} as const satisfies Record<string, readonly string[]>;

export type Endpoint = keyof typeof ENDPOINT_PARAMS;

/** v4 dates are MM-DD-YYYY (UTC calendar date). */
export function formatTciaDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('invalid date');
  const mm = String(d.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(d.getUTCDate()).padStart(2, '0');
  return `${mm}-${dd}-${String(d.getUTCFullYear()).padStart(4, '0')}`;
}
