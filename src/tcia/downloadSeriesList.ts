import pLimit from 'p-limit';
import type { RunContext } from '../core/context.ts';
import type { PlannedSeries } from '../core/types.ts';
import { gateOf } from '../http/index.ts';
import type { TciaClient } from './client.ts';
import { fetchSeries, type SeriesOutcome, type SeriesStatus } from './download.ts';
import { createZipVerifier, verifierThreads } from './verifyPool.ts';

export interface DownloadListOptions {
  apiUrl: string;
  concurrency: number;
  verifyExisting: boolean;
}

/**
 * Per-series hooks for a consumer that works on series as they arrive (`etl run` preprocesses each one
 * as soon as it is verified): `before` may wait (backpressure) and may answer false to skip a series
 * the consumer already has (counted as skipped); `after` gets every outcome, failed ones included.
 */
export interface DownloadHooks {
  before?(s: PlannedSeries): Promise<boolean>;
  after?(s: PlannedSeries, outcome: SeriesOutcome): Promise<void> | void;
}

export interface DownloadListResult {
  counts: Record<SeriesStatus, number>;
  /** Sorted by series UID. */
  failedSeries: Array<{ seriesUid: string; code: string }>;
  bytes: number;
  images: number;
  seconds: number;
}

/**
 * Every planned series → verified ZIP under raw/: `concurrency` downloads at a time, each leaving its
 * slot as soon as its body is on disk, while ZIPs are verified on a worker pool (up to `concurrency`
 * more series wait there), so verification never idles the link. A series that fails is counted,
 * not thrown: the caller decides about the reject budget.
 */
export async function downloadSeriesList(client: TciaClient, series: readonly PlannedSeries[], ctx: RunContext, o: DownloadListOptions, hooks: DownloadHooks = {}): Promise<DownloadListResult> {
  const tally = new DownloadTally();
  if (series.length > 0) {
    const limit = pLimit(2 * o.concurrency);
    const gate = gateOf(pLimit(o.concurrency));
    const verifier = createZipVerifier(verifierThreads(o.concurrency));
    const progress = ctx.progress('download', series.length, 'series');
    try {
      await Promise.all(
        series.map((s) =>
          limit(async () => {
            if (ctx.signal.aborted) return;
            const go = hooks.before ? await hooks.before(s) : true;
            if (ctx.signal.aborted) return;
            const r: SeriesOutcome = go ? await fetchSeries(client, s, ctx, { apiUrl: o.apiUrl, verifyExisting: o.verifyExisting, verify: verifier.verify, gate }) : { status: 'skipped', bytes: 0, images: s.imageCount };
            tally.add(s, r);
            progress.tick(1, r.bytes);
            if (go) await hooks.after?.(s, r);
          }).catch((err: unknown) => {
            if (!ctx.signal.aborted) throw err;
          }),
        ),
      );
    } finally {
      await verifier.close();
    }
    progress.stop();
  }
  return tally.result();
}

/** What a download list adds up to, series by series, for either archive. */
export class DownloadTally {
  private readonly counts: Record<SeriesStatus, number> = { verified: 0, skipped: 0, updated: 0, recovered: 0, failed: 0 };
  private readonly failedSeries: DownloadListResult['failedSeries'] = [];
  private bytes = 0;
  private images = 0;
  private readonly start = performance.now();

  add(s: PlannedSeries, r: SeriesOutcome): void {
    this.counts[r.status]++;
    this.bytes += r.bytes;
    this.images += r.images;
    if (r.status === 'failed') this.failedSeries.push({ seriesUid: s.seriesUid, code: r.code ?? 'UNKNOWN' });
  }

  /** Failed series sorted by UID; seconds since the tally began. */
  result(): DownloadListResult {
    const failedSeries = [...this.failedSeries].sort((a, b) => (a.seriesUid < b.seriesUid ? -1 : 1));
    return { counts: { ...this.counts }, failedSeries, bytes: this.bytes, images: this.images, seconds: (performance.now() - this.start) / 1000 };
  }
}

/** A download list that did not run (`--plan-only`). */
export const NO_DOWNLOADS: DownloadListResult = new DownloadTally().result();
