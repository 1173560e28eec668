import { ConfigError } from '../core/errors.ts';

/**
 * How `etl run` moves series from fetch to preprocess. The defaults live here once; the YAML schema
 * (`stream:`) and the `etl run` flags read them, and a flag given on the command line wins.
 */

/** Preprocess each series as soon as it is verified, while later series download. */
export const DEFAULT_OVERLAP = true;
/** Keep raw ZIPs (a rerun with another preprocess config then needs no download). */
export const DEFAULT_DISCARD_RAW = false;
/**
 * Series between "download started" and "preprocessed": raw/ holds at most this many ZIPs with
 * --discard-raw (plus those whose preprocessing failed). 32 covers the default download concurrency
 * (TCIA 8 series, IDC 16) twice over, so downloads wait for preprocess only when it falls behind.
 */
export const DEFAULT_RAW_WINDOW = 32;

export interface StreamOptions {
  overlap: boolean;
  discardRaw: boolean;
  rawWindow: number;
}

/** The command line's choices (undefined: not given) over the pipeline's `stream:` section. */
export function resolveStreamOptions(flags: Partial<StreamOptions>, section: Partial<StreamOptions> = {}): StreamOptions {
  const o: StreamOptions = {
    overlap: flags.overlap ?? section.overlap ?? DEFAULT_OVERLAP,
    discardRaw: flags.discardRaw ?? section.discardRaw ?? DEFAULT_DISCARD_RAW,
    rawWindow: flags.rawWindow ?? section.rawWindow ?? DEFAULT_RAW_WINDOW,
  };
  if (!Number.isInteger(o.rawWindow) || o.rawWindow < 1) {
    throw new ConfigError(`\`rawWindow\` must be an integer ≥ 1 (series), got ${o.rawWindow}`, { hint: `default ${DEFAULT_RAW_WINDOW}` });
  }
  if (o.discardRaw && !o.overlap) {
    throw new ConfigError('`discardRaw` needs `overlap` on: it deletes each ZIP as soon as its series is staged', {
      hint: 'turn `overlap` on (stream.overlap in a pipeline), or `discardRaw` off',
    });
  }
  return o;
}
