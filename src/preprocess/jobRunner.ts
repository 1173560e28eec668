import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, DataError, EnvironmentError } from '../core/errors.ts';
import { removeStaleTemps, writeJsonAtomic } from '../core/fsAtomic.ts';
import type { StagingRecord } from '../core/types.ts';
import { createSeriesPool, forEachBounded } from './pool.ts';
import type { SeriesOutcome, SeriesTask } from './preprocessSeries.ts';
import { rejectRateOption } from '../core/rejects.ts';

/**
 * Runs series tasks through the worker pool for `etl preprocess` and `etl import folder`: skips
 * series whose staging sidecar already has this config and input, records per-file rejects,
 * writes each sidecar last (after the staging file), and enforces the reject budget.
 */

export const STAGE = 'preprocess';

export interface PreprocessJob {
  /** Staging folder name (TCIA collection, or the imported dataset's name). */
  collection: string;
  seriesUid: string;
  dataset: string;
  /** zipSha256 of the raw ZIP, or the imported folder's digest. */
  inputSha256: string;
  /**
   * Digest of what the plan says of the series (label, location, keep…): the same ZIP under a new
   * plan entry (a relabelled dataset, a new cap) must be staged again. Imports fold it into inputSha256.
   */
  metaHash?: string;
  /** Where the sidecar goes (the task's `out` is the staging file). */
  sidecar: string;
  task: SeriesTask;
}

export interface JobRunOptions {
  workers: number;
  maxRejectRate: number;
  configHash: string;
  /** Progress label. */
  label: string;
  /** Found before the pool ran (folder scan): image files looked at, and rejects already recorded. */
  prior?: { files: number; imageFiles: number; rejects: Array<{ code: string; skip: boolean }> };
  /** Jobs read from a stream: called once per job when it is staged (sidecar written), found up to date, or failed. */
  onSettled?: (job: PreprocessJob, outcome: 'staged' | 'skipped' | 'failed') => Promise<void> | void;
}

export interface JobRunResult {
  configHash: string;
  workers: number;
  series: number;
  staged: number;
  /** Already staged with the same config and input: no work done. */
  skipped: number;
  /** Whole series that could not be read (recorded as rejects; retried by the next run). */
  failed: number;
  /** Staged images (samples). */
  images: number;
  /** Files looked at, and those meant to be images (the reject budget's base). */
  files: number;
  imageFiles: number;
  /** Rejects recorded by this run, and how many of them count against the budget. */
  rejects: number;
  budgetRejects: number;
  rejectsByReason: Record<string, number>;
  seconds: number;
  imagesPerSecond: number;
}

export function validateRejectRate(rate: number | undefined): number {
  return rejectRateOption(rate, 'image files');
}

/** Whether the series is staged already with this config and input (a rerun does no work). */
export function isUpToDate(job: PreprocessJob, configHash: string): boolean {
  if (!fs.existsSync(job.task.out) || !fs.existsSync(job.sidecar)) return false;
  try {
    const rec = JSON.parse(fs.readFileSync(job.sidecar, 'utf8')) as StagingRecord;
    return rec.configHash === configHash && rec.inputSha256 === job.inputSha256 && rec.metaHash === job.metaHash;
  } catch {
    return false;
  }
}

/** Budget checks before the end start once this many image files are done (early ones are noisy). */
const EARLY_BUDGET_MIN = 1000;

/** The counts of one run as they grow, and the reject bookkeeping (what counts against the budget). */
class RunTally {
  readonly result: JobRunResult;
  /** Codes recorded as policy skips (non-image objects…): outside the budget. */
  private readonly skipCodes = new Set<string>();
  /** How much of `prior` (found outside the pool, may keep growing) is taken in already. */
  private priorSeen = { files: 0, imageFiles: 0, rejects: 0 };
  private readonly prior: JobRunOptions['prior'];

  constructor(options: JobRunOptions) {
    this.prior = options.prior;
    this.result = {
      configHash: options.configHash,
      workers: options.workers,
      series: 0,
      staged: 0,
      skipped: 0,
      failed: 0,
      images: 0,
      files: 0,
      imageFiles: 0,
      rejects: 0,
      budgetRejects: 0,
      rejectsByReason: {},
      seconds: 0,
      imagesPerSecond: 0,
    };
  }

  note(code: string, skip: boolean): void {
    const r = this.result;
    r.rejects++;
    r.rejectsByReason[code] = (r.rejectsByReason[code] ?? 0) + 1;
    if (skip) this.skipCodes.add(code);
    else r.budgetRejects++;
  }

  /** Whether a rejects-file reason counts against the budget. */
  readonly counts = (reason: string): boolean => reason.startsWith(`${STAGE}:`) && !this.skipCodes.has(reason.slice(STAGE.length + 1));

  /** Take in the counts found outside the pool (folder scan, CSV rows naming missing files) as they grow. */
  drainPrior(): void {
    const p = this.prior;
    if (!p) return;
    const r = this.result;
    r.files += p.files - this.priorSeen.files;
    r.imageFiles += p.imageFiles - this.priorSeen.imageFiles;
    for (const x of p.rejects.slice(this.priorSeen.rejects)) this.note(x.code, x.skip);
    this.priorSeen = { files: p.files, imageFiles: p.imageFiles, rejects: p.rejects.length };
  }
}

/** Records a series' outcome: rejects, then (the staging file being written) its sidecar, last. */
async function recordOutcome(job: PreprocessJob, out: SeriesOutcome, tally: RunTally, configHash: string, ctx: RunContext): Promise<void> {
  if (out.environment) throw new EnvironmentError(out.environment.sysCode, out.environment.file);
  const result = tally.result;
  const base = `${job.dataset}/${job.seriesUid}`;
  if (out.failed) {
    result.failed++;
    result.imageFiles++;
    tally.note(out.failed.code, false);
    ctx.rejects.record({
      stage: STAGE, key: base, dataset: job.dataset, seriesUid: job.seriesUid,
      error: new DataError(out.failed.code, out.failed.message),
    });
    return;
  }
  for (const r of out.rejects) {
    tally.note(r.code, r.skip);
    ctx.rejects.record({
      stage: STAGE,
      key: `${base}/${r.sopUid ?? r.file}${r.frame !== undefined ? `#${r.frame}` : ''}`,
      dataset: job.dataset,
      seriesUid: job.seriesUid,
      ...(r.sopUid ? { sopUid: r.sopUid } : {}),
      file: r.file,
      code: r.code,
      error: r.message,
    });
  }
  const rec: StagingRecord = {
    version: 1,
    collection: job.collection,
    seriesUid: job.seriesUid,
    configHash,
    inputSha256: job.inputSha256,
    ...(job.metaHash ? { metaHash: job.metaHash } : {}),
    size: job.task.config.size,
    samples: out.samples,
    rejects: out.rejects.length,
    stagedAt: new Date().toISOString(),
  };
  await writeJsonAtomic(job.sidecar, rec);
  result.staged++;
  result.images += out.samples;
  result.files += out.files;
  result.imageFiles += out.imageFiles;
}

/**
 * Jobs may be an array or a stream (external importers produce them while reading a CSV or walking
 * folders): a stream is read only as fast as the pool takes work, and up-to-date jobs are skipped
 * as they arrive. `prior` may keep growing while a stream is read; it is counted at the end.
 */
export async function runPreprocessJobs(jobs: PreprocessJob[] | AsyncIterable<PreprocessJob>, options: JobRunOptions, ctx: RunContext): Promise<JobRunResult> {
  const start = performance.now();
  const stale = await removeStaleTemps(ctx.paths.stagingRoot);
  if (stale > 0) ctx.log.info(`removed ${stale} temporary file(s) left by an earlier run that is gone`);
  const tally = new RunTally(options);
  const result = tally.result;
  const list = Array.isArray(jobs) ? jobs : undefined;
  const todo = list?.filter((j) => !isUpToDate(j, options.configHash));
  if (list && todo) {
    result.series = list.length;
    result.skipped = list.length - todo.length;
  }
  tally.drainPrior();

  const progress = ctx.progress(options.label, todo?.length ?? 0, 'series');
  let queued = 0;
  async function* fresh(stream: AsyncIterable<PreprocessJob>): AsyncIterable<PreprocessJob> {
    for await (const job of stream) {
      result.series++;
      if (isUpToDate(job, options.configHash)) {
        result.skipped++;
        await options.onSettled?.(job, 'skipped');
        continue;
      }
      progress.setTotal(++queued);
      yield job;
    }
  }
  const pool = createSeriesPool(todo ? Math.min(options.workers, Math.max(todo.length, 1)) : options.workers);
  try {
    await forEachBounded(
      todo ?? fresh(jobs as AsyncIterable<PreprocessJob>),
      pool.inFlight,
      async (job) => {
        const out = await pool.run(job.task);
        await recordOutcome(job, out, tally, options.configHash, ctx);
        await options.onSettled?.(job, out.failed ? 'failed' : 'staged');
        progress.tick(1);
        tally.drainPrior();
        if (result.imageFiles >= EARLY_BUDGET_MIN) {
          ctx.rejects.checkBudget(result.imageFiles, options.maxRejectRate, 'image files', EARLY_BUDGET_MIN, tally.counts);
        }
      },
      ctx.signal,
    );
  } finally {
    progress.stop();
    await pool.close();
  }
  tally.drainPrior();
  result.seconds = (performance.now() - start) / 1000;
  result.imagesPerSecond = result.seconds > 0 ? result.images / result.seconds : 0;
  ctx.rejects.checkBudget(result.imageFiles, options.maxRejectRate, 'image files', 20, tally.counts);
  return result;
}

/** Summary figures shared by both commands. */
export function jobFigures(r: JobRunResult): Record<string, string | number> {
  const reasons = Object.entries(r.rejectsByReason)
    .sort((a, b) => b[1] - a[1])
    .map(([c, n]) => `${c} ×${n}`)
    .join(', ');
  return {
    series: `${r.series} (${r.staged} staged, ${r.skipped} up to date${r.failed ? `, ${r.failed} failed` : ''})`,
    images: r.images,
    files: `${r.files} (${r.imageFiles} image files)`,
    'rejected files': r.rejects ? `${r.rejects} (${r.budgetRejects} count against the budget): ${reasons}` : 0,
    'images/s': r.imagesPerSecond.toFixed(1),
    workers: r.workers,
    config: r.configHash.slice(0, 16),
  };
}
