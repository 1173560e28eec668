import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../../core/context.ts';
import { ConfigError, InputError } from '../../core/errors.ts';
import { parsePartition } from '../../core/partition.ts';
import { safeSegment } from '../../core/paths.ts';
import { importFolder, labelFor, type ImportFolderOptions } from '../importFolder.ts';
import { resolveWorkers } from '../pool.ts';
import { resolvePreprocessConfig, type PreprocessConfig } from '../preprocessConfig.ts';
import { runPreprocessJobs, validateRejectRate, type PreprocessJob, type JobRunResult } from '../jobRunner.ts';
import { chexpertJobs, nihJobs, rsnaBoneAgeJobs } from './csvImporters.ts';
import { bratsJobs, mrnetJobs, muraJobs, niftiJobs, npyJobs } from './folderImporters.ts';
import { ImportRun } from './importRun.ts';
import { EXTERNAL_FORMATS, EXTERNAL_FORMAT_NAMES, type ExternalFormat, type ExternalFormatName } from './formats.ts';

export { EXTERNAL_FORMATS, EXTERNAL_FORMAT_NAMES, type ExternalFormat, type ExternalFormatName };

/**
 * `etl import <format> DIR --dataset NAME`: the external datasets of the paper in their real
 * on-disk layouts (and generic NIfTI / .npy volumes) → `staging/<NAME>/<SeriesUID>.arrow`, the same
 * staging a fetched TCIA series gets, with patient identity from each dataset's own metadata so the
 * leakage check works. Layouts, download addresses and commands: docs/externals.md.
 */

/** A folder import's options, plus the layout the folder is in. */
export interface ImportExternalOptions extends ImportFolderOptions {
  format: ExternalFormatName;
}

export interface ImportExternalResult extends JobRunResult {
  format: ExternalFormatName;
  dataset: string;
  config: PreprocessConfig;
}

const JOBS: Record<Exclude<ExternalFormatName, 'oai'>, (run: ImportRun) => AsyncIterable<PreprocessJob>> = {
  chexpert: chexpertJobs,
  'rsna-bone-age': rsnaBoneAgeJobs,
  'nih-cxr14': nihJobs,
  mrnet: mrnetJobs,
  mura: muraJobs,
  brats20: bratsJobs,
  nifti: niftiJobs,
  npy: npyJobs,
};

function checkOptions(o: ImportExternalOptions): { fmt: ExternalFormat; label: string; modality: string; root: string } {
  const fmt: ExternalFormat | undefined = EXTERNAL_FORMATS[o.format];
  if (!fmt) throw new ConfigError(`unknown external format "${o.format}"`, { hint: `one of ${EXTERNAL_FORMAT_NAMES.join(', ')}` });
  const dataset = o.dataset?.trim();
  if (!dataset || safeSegment(dataset) !== dataset) throw new ConfigError(`dataset must be a plain name (got "${o.dataset ?? ''}")`, { hint: 'e.g. `dataset` MRNet; no slashes' });
  const modality = (o.modality ?? fmt.modality)?.trim().toUpperCase();
  if (!modality && o.format !== 'oai') throw new ConfigError(`format ${o.format} needs modality`, { hint: 'e.g. `modality` MR (CT, MR, PT, CR, DX, MG or XR)' });
  const label = o.label ?? (modality ? labelFor(modality) : undefined);
  if (modality && !label) throw new ConfigError(`modality ${modality} maps to no class`, { hint: 'use CT, MR, PT, CR, DX, MG or XR, or give label' });
  const root = path.resolve(o.dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new InputError('FOLDER_NOT_FOUND', `${o.dir} is not a folder`, { hint: `give the folder of the ${fmt.name} download (${fmt.layout})` });
  }
  return { fmt, label: label ?? '', modality: modality ?? '', root };
}

/** Import one external dataset; a rerun skips every series already staged from the same files and config. */
export async function importExternal(ctx: RunContext, options: ImportExternalOptions): Promise<ImportExternalResult> {
  const { fmt, label, modality, root } = checkOptions(options);
  const location = options.location ?? fmt.location ?? 'UNKNOWN';
  if (options.format === 'oai') {
    // OAI ships DICOM in its own folder layout: the DICOM folder importer reads the headers.
    const r = await importFolder({ ...options, location, ...(options.modality ? { modality: options.modality } : {}) }, ctx);
    return { ...r, format: options.format, dataset: options.dataset };
  }
  const config = resolvePreprocessConfig(options);
  const workers = resolveWorkers(options.workers);
  const maxRejectRate = validateRejectRate(options.maxRejectRate);
  const part = typeof options.partition === 'object' ? options.partition : parsePartition(options.partition);
  const defaults = { dataset: options.dataset.trim(), label, modality, location, locationFixed: options.location !== undefined };
  const run = new ImportRun(ctx, root, defaults, config, part);
  ctx.log.info(`import ${fmt.name} from ${root} as ${defaults.dataset} (${label}, ${location})`);
  const r = await runPreprocessJobs(JOBS[options.format](run), { workers, maxRejectRate, configHash: run.configHash, label: `import ${defaults.dataset}`, prior: run.prior }, ctx);
  return { ...r, format: options.format, dataset: defaults.dataset, config };
}
