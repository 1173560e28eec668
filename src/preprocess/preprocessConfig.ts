import { ConfigError } from '../core/errors.ts';
import { stableJson } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { formatNormalize, parseNormalize, type NormalizeSpec } from './normalize.ts';
import { parseFit, type Fit } from './resize.ts';

/**
 * The preprocessing config: everything that changes the pixels of a staged image. Its hash is
 * stored with every staged series, so a change re-stages exactly the affected series, and the
 * classifier can apply the same preprocessing at inference time.
 */

/** Bump when the output of the same config changes (kernel fix, new resize): re-stages everything. */
export const PREPROCESS_FORMAT = 'medimg-preprocess/1';
/** The one resize method in the product (sharp's lanczos is compared only in bench/preprocess.ts). */
export const RESIZE_METHOD = 'area-average-float';

export interface PreprocessConfig {
  size: number;
  fit: Fit;
  normalize: NormalizeSpec;
  /** Colour DICOM: convert to grey luma, or skip the file (policy reject, not counted). */
  colour: 'grey' | 'skip';
}

export const DEFAULT_PREPROCESS_CONFIG: PreprocessConfig = {
  size: 224,
  fit: 'stretch',
  normalize: { kind: 'minmax' },
  colour: 'grey',
};

export interface PreprocessConfigInput {
  size?: number;
  fit?: Fit | string;
  normalize?: NormalizeSpec | string;
  colour?: 'grey' | 'skip' | string;
}

/** Validate and complete a config (CLI strings or objects); throws ConfigError. */
export function resolvePreprocessConfig(input: PreprocessConfigInput = {}): PreprocessConfig {
  const size = input.size ?? DEFAULT_PREPROCESS_CONFIG.size;
  if (!Number.isInteger(size) || size < 8 || size > 4096) {
    throw new ConfigError(`\`size\` must be an integer from 8 to 4096 (got ${size})`, { hint: 'the paper uses 224' });
  }
  const fit = input.fit === undefined ? DEFAULT_PREPROCESS_CONFIG.fit : parseFit(input.fit);
  const normalize =
    input.normalize === undefined
      ? DEFAULT_PREPROCESS_CONFIG.normalize
      : typeof input.normalize === 'string'
        ? parseNormalize(input.normalize)
        : parseNormalize(formatNormalize(input.normalize));
  const colour = input.colour ?? DEFAULT_PREPROCESS_CONFIG.colour;
  if (colour !== 'grey' && colour !== 'skip') {
    throw new ConfigError(`\`colour\` must be grey or skip (got "${colour}")`, { hint: 'grey converts colour images to luma' });
  }
  return { size, fit, normalize, colour };
}

/** Canonical JSON of the config (stored in staging metadata; the input of the hash). */
export function canonicalConfig(config: PreprocessConfig): string {
  return stableJson({
    format: PREPROCESS_FORMAT,
    size: config.size,
    fit: config.fit,
    normalize: formatNormalize(config.normalize),
    colour: config.colour,
    resize: RESIZE_METHOD,
  });
}

/** sha256 (hex) of the canonical config JSON. */
export function configHash(config: PreprocessConfig): string {
  return sha256Hex(canonicalConfig(config));
}

/** Read a config back from its canonical JSON (staging metadata `preprocessConfig`). */
export function configFromCanonical(json: string): PreprocessConfig {
  const o = JSON.parse(json) as { size: number; fit: string; normalize: string; colour: string; format: string };
  if (o.format !== PREPROCESS_FORMAT) {
    throw new ConfigError(`preprocessing config format ${o.format}, this version writes ${PREPROCESS_FORMAT}`, {
      hint: 're-run `etl preprocess` with this version',
    });
  }
  return resolvePreprocessConfig(o);
}
