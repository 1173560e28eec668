/**
 * Public surface of preprocess/ (DICOM decode, pixel semantics, normalise/resize, staging files, importers): other folders import only from here.
 *
 * Loaded by every command that preprocesses, so it stays light: `etl preprocess` runs its series on
 * worker threads, and its main thread needs none of apache-arrow, the pixel decoders or the
 * importers. Entry points into those modules load them on first call (all are async).
 */
import type { RunContext } from '../core/context.ts';
import type { ImportFolderOptions, ImportFolderResult } from './importFolder.ts';
import type { InspectOptions, InspectResult } from './inspect.ts';
import type { ImportExternalOptions, ImportExternalResult } from './import/index.ts';
import type { StagingFile } from './staging.ts';
import type { StagingRows } from './stagingScan.ts';

export { isSkip } from './decode/errors.ts';
export { readDicomHeader } from './decode/header.ts';
export { skipReason } from './decode/skipReason.ts';
export { parseDicomBytes } from './decode/parse.ts';
export { formatInspect } from './inspectFormat.ts';
export { NORMALIZE_HELP, formatNormalize } from './normalize.ts';
export { defaultWorkers } from './pool.ts';
export { preprocess, preprocessDicomBytes, preprocessStream, stagedCheck, type PreprocessOptions, type PreprocessResult } from './preprocess.ts';
export { DEFAULT_PREPROCESS_CONFIG, canonicalConfig, configFromCanonical, resolvePreprocessConfig, type PreprocessConfig, type PreprocessConfigInput } from './preprocessConfig.ts';
export { jobFigures } from './jobRunner.ts';
export { EXTERNAL_FORMAT_NAMES, EXTERNAL_FORMATS, type ExternalFormat, type ExternalFormatName } from './import/formats.ts';
export type { ImportExternalOptions, ImportExternalResult, StagingFile, StagingRows };

/** `readStaging`: one staging file, whole (apache-arrow loads on the first call). */
export async function loadStaging(file: string): Promise<StagingFile> {
  return (await import('./staging.ts')).readStaging(file);
}

/** The rows of a staging file without its images (stagingScan.ts). */
export async function scanStaging(file: string): Promise<StagingRows> {
  return (await import('./stagingScan.ts')).scanStaging(file);
}

/** `etl import folder` (importFolder.ts). */
export async function importFolder(options: ImportFolderOptions, ctx: RunContext): Promise<ImportFolderResult> {
  return (await import('./importFolder.ts')).importFolder(options, ctx);
}

/** `etl import <format>` (import/index.ts). */
export async function importExternal(ctx: RunContext, options: ImportExternalOptions): Promise<ImportExternalResult> {
  return (await import('./import/index.ts')).importExternal(ctx, options);
}

/** `etl dicom inspect` (inspect.ts). */
export async function inspectDicom(file: string, options: InspectOptions = {}): Promise<InspectResult> {
  return (await import('./inspect.ts')).inspectDicom(file, options);
}
