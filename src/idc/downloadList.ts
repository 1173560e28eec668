import pLimit from 'p-limit';
import type { RunContext } from '../core/context.ts';
import type { PlannedSeries } from '../core/types.ts';
import { gateOf } from '../http/index.ts';
import { DownloadTally, type DownloadHooks, type DownloadListResult, type SeriesOutcome } from '../tcia/index.ts';
import type { Endpoint } from './endpoints.ts';
import type { ObjectStore } from './objectStore.ts';
import { createDigestPool } from './digestPool.ts';
import { fetchIdcSeries, type SeriesLocation } from './seriesFetch.ts';
import { InputError } from '../core/errors.ts';

/**
 * Every planned series → verified ZIP under raw/ from IDC's buckets. `concurrency` bounds object
 * requests across all series (not series), so one-instance XR series and 500-slice CT series both
 * keep the link full. A series that fails is counted, not thrown: the caller decides about the
 * reject budget. Same result shape as the TCIA `downloadSeriesList`.
 */
export async function downloadIdcSeriesList(
  store: ObjectStore,
  series: readonly PlannedSeries[],
  locations: ReadonlyMap<string, SeriesLocation>,
  ctx: RunContext,
  o: { endpoint: Endpoint; concurrency: number; verifyExisting: boolean },
  hooks: DownloadHooks = {},
): Promise<DownloadListResult> {
  const tally = new DownloadTally();
  if (series.length > 0) {
    const objects = gateOf(pLimit(o.concurrency));
    const digests = createDigestPool();
    // Enough series in flight to keep `objects` busy when series have one instance each.
    const inFlight = pLimit(Math.max(2, o.concurrency));
    const progress = ctx.progress('download', series.length, 'series');
    try {
      await Promise.all(
        series.map((s) =>
          inFlight(async () => {
            if (ctx.signal.aborted) return;
            const loc = locations.get(s.seriesUid);
            if (!loc) throw new InputError('IDC_NO_LOCATION', `no IDC location for planned series ${s.seriesUid}`, { hint: 'the plan was made from another IDC index release: plan again with this one' });
            const go = hooks.before ? await hooks.before(s) : true;
            if (ctx.signal.aborted) return;
            const r: SeriesOutcome = go
              ? await fetchIdcSeries(s, { bucket: o.endpoint.bucket(loc.bucket), prefix: loc.prefix }, ctx, { store, gate: objects, digests, verifyExisting: o.verifyExisting })
              : { status: 'skipped', bytes: 0, images: s.imageCount };
            tally.add(s, r);
            progress.tick(1, r.bytes);
            if (go) await hooks.after?.(s, r);
          }).catch((err: unknown) => {
            if (!ctx.signal.aborted) throw err;
          }),
        ),
      );
      progress.stop();
    } finally {
      // Also when a series throws (a wrong plan, a failing hook): no digest threads left behind.
      await digests.close();
    }
  }
  return tally.result();
}
