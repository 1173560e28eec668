/** Public surface of preprocess/ (DICOM decode, pixel semantics, normalise/resize, staging files, importers): other folders import only from here. */
export { isSkip } from './decode/errors.ts';
export { readDicomHeader, skipReason } from './decode/index.ts';
export { parseDicomBytes } from './decode/parse.ts';
export { importFolder } from './importFolder.ts';
export { formatInspect, inspectDicom } from './inspect.ts';
export { NORMALIZE_HELP, formatNormalize } from './normalize.ts';
export { defaultWorkers } from './pool.ts';
export { preprocess, preprocessDicomBytes, preprocessStream, stagedCheck, type PreprocessOptions, type PreprocessResult } from './preprocess.ts';
export { DEFAULT_PREPROCESS_CONFIG, canonicalConfig, configFromCanonical, resolvePreprocessConfig, type PreprocessConfig, type PreprocessConfigInput } from './preprocessConfig.ts';
export { jobFigures } from './jobRunner.ts';
export { readStaging } from './staging.ts';
export { scanStaging, type StagingRows } from './stagingScan.ts';
export {
  EXTERNAL_FORMAT_NAMES,
  EXTERNAL_FORMATS,
  importExternal,
  type ExternalFormat,
  type ExternalFormatName,
  type ImportExternalOptions,
  type ImportExternalResult,
} from './import/index.ts';
