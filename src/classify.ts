/**
 * `medimg-etl/classify`: a trained model over DICOM files (what `etl classify` runs). A separate
 * entry point because it loads tfjs, which the data API does not need.
 */
export { classifyFiles, predictionsCsv, type ClassifyOptions, type ClassifyResult, type PredictionRow } from './train/index.ts';
export { BACKEND_CHOICES, type BackendRequest } from './train/index.ts';
