import fsp from 'node:fs/promises';
import { pushable } from 'it-pushable';
import type { RunContext } from '../core/context.ts';
import { stableJson } from '../core/fsAtomic.ts';
import type { PlannedSeries, RawSeriesRecord } from '../core/types.ts';
import { preprocessStream, stagedCheck, type PreprocessResult } from '../preprocess/index.ts';
import { readSidecar, type DownloadHooks } from '../tcia/index.ts';
import { preprocessOptionsOf, type StepEnv } from './env.ts';
import { fetchAuto } from './fetchAuto.ts';
import { DEFAULT_IDC_CONCURRENCY, fetchIdc } from './fetchIdc.ts';
import { budgetError, fetchTcia, type FetchResult } from './fetchTcia.ts';
import { RawWindow } from './rawWindow.ts';

/**
 * Fetch and preprocess overlapped (`etl run`, stream.overlap): each series goes to the preprocess
 * pool as soon as it is verified, while later series download. A download first takes a slot of the
 * raw window, freed when its series is preprocessed, so downloads wait when preprocessing falls
 * behind. With --discard-raw the ZIP is deleted once the staging is durable; the raw sidecar stays
 * as the record of the verified download (its zipSha256 ties the staging to it), so a rerun skips a
 * staged series without its ZIP, and refetches one whose staging is missing.
 */

export type SourcedFetchResult = FetchResult & { servedBy?: { idc: number; tcia: number } };

export interface StreamedRun {
  fetch: SourcedFetchResult;
  preprocess: PreprocessResult;
  /** Series already staged from the ZIP their sidecar names: neither fetched nor preprocessed again. */
  alreadyStaged: number;
  /** ZIPs deleted (--discard-raw). */
  discarded: number;
  /** Most series in the raw window at once, and its size. */
  windowPeak: number;
  windowSize: number;
}

/** The fetch of this run's source (tcia, idc or auto), with per-series hooks. */
export function fetchFor(env: StepEnv, ctx: RunContext, hooks?: DownloadHooks, throwOnBudget = true): Promise<SourcedFetchResult> {
  if (env.idc) return fetchIdc({ ...env.idc, throwOnBudget }, ctx, hooks);
  const tcia = { ...env.fetch, apiUrl: env.apiUrl, reuseCatalog: true, throwOnBudget };
  if (env.source === 'auto') return fetchAuto({ tcia, idc: { index: env.idcIndex, endpoint: env.idcEndpoint, concurrency: DEFAULT_IDC_CONCURRENCY } }, ctx, hooks);
  return fetchTcia(tcia, ctx, hooks);
}

export async function fetchAndPreprocess(env: StepEnv): Promise<StreamedRun> {
  const stop = new AbortController();
  const ctx: RunContext = { ...env.ctx, signal: AbortSignal.any([env.ctx.signal, stop.signal]) };
  const window = new RawWindow(env.stream.rawWindow, ctx.signal);
  const verified = pushable<RawSeriesRecord>({ objectMode: true });
  const isStaged = stagedCheck(env.preprocess, ctx);
  const counts = { alreadyStaged: 0, discarded: 0 };
  const discard = async (rec: RawSeriesRecord) => {
    if (!env.stream.discardRaw) return;
    if (await discardZip(rec, ctx)) counts.discarded++;
  };

  const hooks: DownloadHooks = {
    async before(s) {
      const rec = await readSidecar(ctx.paths.rawSidecar(s.collection, s.seriesUid));
      if (rec && sameSeries(rec, s) && isStaged(rec)) {
        counts.alreadyStaged++;
        await discard(rec); // a ZIP left by a run killed between its staging and the delete
        return false;
      }
      await window.acquire();
      return true;
    },
    async after(s, outcome) {
      const rec = outcome.status === 'failed' ? undefined : await readSidecar(ctx.paths.rawSidecar(s.collection, s.seriesUid));
      if (rec) verified.push(rec);
      else window.release(); // failed: nothing to preprocess (the fetch reject is recorded)
    },
  };
  const consumer = preprocessStream(
    verified,
    preprocessOptionsOf(env),
    ctx,
    async (rec, outcome) => {
      // A series that failed keeps its ZIP for the next run's retry (the reject budget bounds them).
      if (outcome !== 'failed') await discard(rec);
      window.release();
    },
  ).then(
    (r) => ({ r }),
    (err: unknown) => {
      stop.abort(); // the reject budget or a full disk: stop the downloads too
      return { err };
    },
  );
  let fetched: SourcedFetchResult;
  try {
    fetched = await fetchFor(env, ctx, hooks, false);
  } catch (err) {
    stop.abort(); // downloads still queued must not wait for window slots nobody frees
    verified.end();
    await consumer;
    throw err;
  }
  verified.end();
  const done = await consumer;
  if ('err' in done) throw done.err;
  if (fetched.overBudget && !env.ctx.signal.aborted) throw budgetError(fetched, env.idc?.maxRejectRate ?? env.fetch.maxRejectRate, env.ctx);
  return { fetch: fetched, preprocess: done.r, ...counts, windowPeak: window.peak, windowSize: window.size };
}

/** The sidecar was written for this plan entry (same data, same label, caps and location). */
function sameSeries(rec: RawSeriesRecord, s: PlannedSeries): boolean {
  return rec.seriesUid === s.seriesUid && rec.imageCount === s.imageCount && stableJson(rec.planned) === stableJson(s);
}

/**
 * Delete a staged series' ZIP once its staging is durable: the staging file and sidecar were fsynced
 * before their renames; fsyncing the folder makes the renames durable too, so a power cut cannot
 * leave neither the staging nor the ZIP.
 */
async function discardZip(rec: RawSeriesRecord, ctx: RunContext): Promise<boolean> {
  const zip = ctx.paths.rawZip(rec.collection, rec.seriesUid);
  const dir = await fsp.open(ctx.paths.stagingDir(rec.collection), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
  return fsp.rm(zip).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw err;
    },
  );
}
