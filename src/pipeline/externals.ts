import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { datasetSource, type ManifestDataset } from '../curate/index.ts';
import { EXTERNAL_FORMATS, EXTERNAL_FORMAT_NAMES, type ExternalFormat, type ExternalFormatName } from '../preprocess/index.ts';

/**
 * The manifest's external datasets (CheXpert, MRNet, …) as a pipeline sees them: each names an
 * import format and a folder under the external directory (`--external-dir`, default
 * `<data-dir>/external`). Present ones are imported; for a missing one the run prints where to get it.
 */

export interface ExternalSource {
  dataset: ManifestDataset;
  format: ExternalFormatName;
  dir: string;
  url: string;
  registration: boolean;
  present: boolean;
}

/** The manifest's external entries, checked (format known) and looked for under `externalDir`. */
export function locateExternals(datasets: readonly ManifestDataset[], externalDir: string, manifestFile: string): ExternalSource[] {
  const out: ExternalSource[] = [];
  for (const d of datasets) {
    if (datasetSource(d) !== 'external') continue;
    // Older manifests name externals without `external`: those come in through source.external folders or etl import.
    if (!d.external) continue;
    const format = d.external.format as ExternalFormatName;
    if (!EXTERNAL_FORMAT_NAMES.includes(format)) {
      throw new ConfigError(`${manifestFile}: dataset "${d.name}": external.format "${d.external.format}" is not an import format`, {
        hint: `one of ${EXTERNAL_FORMAT_NAMES.join(', ')}`,
      });
    }
    const dir = path.resolve(externalDir, d.external.path);
    out.push({ dataset: d, format, dir, url: d.external.url, registration: d.external.registration ?? false, present: hasEntries(dir) });
  }
  return out;
}

function hasEntries(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

/** One line: what is missing, where it is expected, where to get it, and how to import it by hand. */
export function missingExternalLine(e: ExternalSource): string {
  const d = e.dataset;
  return `external dataset ${d.name}${d.split ? ` (${d.split})` : ''} not found at ${e.dir}: download from ${e.url}${e.registration ? ' (registration required)' : ''} and unpack it there (or: etl import ${e.format} DIR --dataset ${d.name})`;
}

/**
 * Options for importExternal from the manifest entry. A named format knows its dataset's modality
 * and location (MURA derives the location per body part), so the manifest's are passed only to the
 * generic formats (nifti, npy) that have none of their own.
 */
export function importDefaults(e: ExternalSource): { modality?: string; location?: string } {
  const fmt: ExternalFormat = EXTERNAL_FORMATS[e.format];
  const modality = e.dataset.modalities?.[0] ?? e.dataset.classes?.[0];
  return {
    ...(fmt.modality === undefined && modality ? { modality } : {}),
    ...(fmt.location === undefined ? { location: e.dataset.location } : {}),
  };
}
