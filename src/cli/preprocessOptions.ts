import type { Argv } from 'yargs';
import { DEFAULT_MAX_REJECT_RATE } from '../core/rejects.ts';
import { DEFAULT_PREPROCESS_CONFIG, NORMALIZE_HELP, defaultWorkers, formatNormalize, type PreprocessOptions } from '../preprocess/index.ts';

const D = DEFAULT_PREPROCESS_CONFIG;

/** Flags shared by `etl preprocess` and `etl import folder`: the same preprocessing either way. */
export interface PreprocessingArgs {
  size: number;
  fit: string;
  workers?: number;
  normalize: string;
  maxRejectRate: number;
  partition?: string;
  colour: string;
}

export function preprocessingOptions<T>(y: Argv<T>): Argv<T> {
  return y
    .option('size', { type: 'number', default: D.size, describe: 'output images are size×size' })
    .option('fit', { choices: ['stretch', 'pad', 'crop'], default: D.fit, describe: 'aspect policy: stretch (the paper), pad (letterbox black), crop (centre square)' })
    .option('workers', { type: 'number', describe: `worker threads (default: all cores, here ${defaultWorkers()}; 0 = main thread)` })
    .option('normalize', { type: 'string', default: formatNormalize(D.normalize), describe: NORMALIZE_HELP })
    .option('max-reject-rate', { type: 'number', default: DEFAULT_MAX_REJECT_RATE, describe: 'fraction of image files that may fail before exit 3 (non-image objects do not count)' })
    .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
    .option('colour', { choices: ['grey', 'skip'], default: D.colour, describe: 'colour DICOM: convert to grey luma, or skip the file' }) as Argv<T>;
}

/** The library options those flags stand for. */
export function preprocessingConfig(args: PreprocessingArgs): PreprocessOptions {
  return {
    size: args.size,
    fit: args.fit,
    normalize: args.normalize,
    colour: args.colour,
    maxRejectRate: args.maxRejectRate,
    ...(args.workers !== undefined ? { workers: args.workers } : {}),
    ...(args.partition !== undefined ? { partition: args.partition } : {}),
  };
}

/** Flags of the import commands (`etl import folder`, `etl import <format>`) besides the preprocessing ones. */
export interface ImportArgs extends PreprocessingArgs {
  dir: string;
  dataset: string;
  modality?: string;
  location?: string;
  label?: string;
}

/** The library's import options those flags stand for (an absent flag leaves the library's default). */
export function importOptions(args: ImportArgs) {
  return {
    dir: args.dir,
    dataset: args.dataset,
    ...preprocessingConfig(args),
    ...(args.modality !== undefined ? { modality: args.modality } : {}),
    ...(args.location !== undefined ? { location: args.location } : {}),
    ...(args.label !== undefined ? { label: args.label } : {}),
  };
}
