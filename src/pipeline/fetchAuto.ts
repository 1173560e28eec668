import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import type { PlannedSeries } from '../core/types.ts';
import { ObjectStore, downloadIdcSeriesList, readIdcIndex, resolveIndex, type Endpoint, type SeriesLocation } from '../idc/index.ts';
import { TciaClient, downloadSeriesList, type DownloadHooks, type DownloadListResult } from '../tcia/index.ts';
import { budgetError, fetchResultOf, fetchTcia, type FetchResult, type ResolvedFetchOptions } from './fetchTcia.ts';

/**
 * `source: auto`: the plan is TCIA's (same catalog, order and caps as `etl fetch tcia`), and each
 * planned series is downloaded from IDC when the IDC index has it (same SeriesInstanceUID and
 * instanceCount = ImageCount), from the TCIA API otherwise. Which archive served each series is
 * written to `plans/<name>.sources.json` and to each raw sidecar (`source`).
 */
export interface AutoFetchOptions {
  tcia: ResolvedFetchOptions;
  idc: { index: string; endpoint: Endpoint; concurrency: number };
}

export interface AutoFetchResult extends FetchResult {
  servedBy: { idc: number; tcia: number };
  release: string;
}

/** `hooks` see each series as it is verified, from either archive (`etl run` streams them into preprocess). */
export async function fetchAuto(o: AutoFetchOptions, ctx: RunContext, hooks?: DownloadHooks): Promise<AutoFetchResult> {
  const start = performance.now();
  const planned = await fetchTcia({ ...o.tcia, planOnly: true, throwOnBudget: false }, ctx);
  const store = new ObjectStore({ endpoint: o.idc.endpoint.url, log: ctx.log, signal: ctx.signal, maxSockets: o.idc.concurrency + 4, ...(o.tcia.retry ? { retry: o.tcia.retry } : {}) });
  const client = new TciaClient({ apiUrl: o.tcia.apiUrl, log: ctx.log, signal: ctx.signal, maxSockets: o.tcia.concurrency + 4, ...(o.tcia.retry ? { retry: o.tcia.retry } : {}) });
  try {
    const idx = await resolveIndex(o.idc.index, store, ctx);
    const series = planned.plan.series;
    const read = await readIdcIndex(idx.file, { seriesUids: new Set(series.map((s) => s.seriesUid)) });
    const rows = read.series;
    const byUid = new Map(rows.map((r) => [r.SeriesInstanceUID, r]));
    const locations = new Map<string, SeriesLocation>();
    const fromIdc: PlannedSeries[] = [];
    const fromTcia: PlannedSeries[] = [];
    for (const s of series) {
      const r = byUid.get(s.seriesUid);
      if (r && r.instanceCount === s.imageCount) {
        locations.set(s.seriesUid, { bucket: r.aws_bucket, prefix: `${r.crdc_series_uuid}/` });
        fromIdc.push(s);
      } else fromTcia.push(s);
    }
    const release = read.version ?? idx.release;
    await writeJsonAtomic(path.join(path.dirname(planned.planFile), `${o.tcia.planName}.sources.json`), {
      idcIndex: release,
      series: Object.fromEntries(series.map((s) => [s.seriesUid, locations.has(s.seriesUid) ? 'idc' : 'tcia'])),
    });
    ctx.log.info(`source auto: ${fromIdc.length} series from IDC (index ${release}), ${fromTcia.length} from TCIA`);
    const [a, b] = await Promise.all([
      downloadIdcSeriesList(store, fromIdc, locations, ctx, { endpoint: o.idc.endpoint, concurrency: o.idc.concurrency, verifyExisting: o.tcia.verifyExisting }, hooks),
      downloadSeriesList(client, fromTcia, ctx, { apiUrl: o.tcia.apiUrl, concurrency: o.tcia.concurrency, verifyExisting: o.tcia.verifyExisting }, hooks),
    ]);
    const result: AutoFetchResult = {
      ...fetchResultOf(planned, mergeLists(a, b), start, o.tcia.maxRejectRate),
      servedBy: { idc: fromIdc.length, tcia: fromTcia.length },
      release,
    };
    if (result.overBudget && o.tcia.throwOnBudget) throw budgetError(result, o.tcia.maxRejectRate, ctx);
    return result;
  } finally {
    store.close();
    client.close();
  }
}

function mergeLists(a: DownloadListResult, b: DownloadListResult): DownloadListResult {
  const counts = { ...a.counts };
  for (const [k, v] of Object.entries(b.counts)) counts[k as keyof typeof counts] += v;
  return {
    counts,
    failedSeries: [...a.failedSeries, ...b.failedSeries].sort((x, y) => (x.seriesUid < y.seriesUid ? -1 : 1)),
    bytes: a.bytes + b.bytes,
    images: a.images + b.images,
    seconds: Math.max(a.seconds, b.seconds),
  };
}
