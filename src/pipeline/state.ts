import fs from 'node:fs';
import { writeJsonAtomic } from '../core/fsAtomic.ts';

/**
 * `state/<pipeline>.json`: what each step last did successfully. A step is up to date when the
 * fingerprint of its inputs equals the recorded one and its outputs still digest to what it recorded.
 * Written atomically after every successful step, so a crash loses at most the step that was running.
 */

export interface StepState {
  /** Fingerprint of the step's inputs (config section + upstream outputs) when it last succeeded. */
  inputs: string;
  /** Digest of its outputs right after it succeeded. */
  outputs: string;
  finishedAt: string;
  seconds: number;
  counts: Record<string, number | string>;
}

export interface PipelineState {
  version: 1;
  pipeline: string;
  steps: Record<string, StepState>;
  /** Successful runs so far (drives `incremental.fullListingEvery`). */
  successfulRuns: number;
  /** Start time of the last run that finished without error (ISO). getUpdatedSeries asks from here. */
  lastSuccessAt?: string;
  /** Successful-run number at which the catalog was last listed in full. */
  lastFullListingRun?: number;
  lastFullListingAt?: string;
}

export function readState(file: string, pipeline: string): PipelineState {
  const empty: PipelineState = { version: 1, pipeline, steps: {}, successfulRuns: 0 };
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return empty;
  }
  try {
    const s = JSON.parse(text) as PipelineState;
    if (s.version !== 1 || typeof s.steps !== 'object') return empty;
    return s;
  } catch {
    // An unreadable state only costs a rebuild check: every step re-verifies its outputs.
    return empty;
  }
}

export async function writeState(file: string, state: PipelineState): Promise<void> {
  await writeJsonAtomic(file, state);
}
