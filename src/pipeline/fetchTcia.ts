import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError, RejectBudgetError } from '../core/errors.ts';
import { removeStaleTemps, writeFileAtomic } from '../core/fsAtomic.ts';
import { WHOLE, type Partition } from '../core/partition.ts';
import type { Plan } from '../core/types.ts';
import { DEFAULT_CAPS, type CapOrder, planDatasetOf, validateSelection, datasetSource, loadManifest, type DatasetManifest, planFromCatalog, planJson, type Exclusion, type PlanDataset } from '../curate/index.ts';
import { normalizeClassMap, type ClassMap } from '../core/classMap.ts';
import { fetchCollectionCatalogs, fetchManifestCatalogs, manifestBaseName, resolveCollectionNames, unknownCollectionWarning, DEFAULT_API_URL, TciaClient, type SeriesStatus, downloadSeriesList, NO_DOWNLOADS, type DownloadHooks, type DownloadListResult, loadTciaManifest, type TciaManifest } from '../tcia/index.ts';
import type { RetryPolicy } from '../http/index.ts';

/**
 * `etl fetch tcia` as a library call: catalog → plan → verified, resumable downloads → summary.
 * `validateFetchOptions` runs every check that needs no network, so a bad flag fails before any request.
 */

/**
 * Default series downloads in flight. Swept with bench/fetch.ts (50 ms, 1 Gbit/s, 2 cores at load
 * 8–12, 2026-12-07, medians of 3, three sweeps): 4 → 39 / 32 / 30 % of the link,
 * 8 → 41 / 38 / 38 %, 12 → 42 %, 16 → 55 / 34 / 32 %, 32 → 42 / 33 %. 4 was the worst every time;
 * nothing above 8 was better twice: the client is CPU-bound there (verification of every image), not
 * latency-bound. 8 series of the demo preset (~1.6 MB each) already hold twice the link's
 * bandwidth × delay in flight, and each leaves its slot once its body is on disk.
 */
export const DEFAULT_CONCURRENCY = 8;

/** What every archive's fetch takes besides where the series come from: the plan step and the downloads. */
export interface PlanFetchOptions {
  modalities?: string[];
  caps?: Record<string, number>;
  capOrder?: CapOrder;
  concurrency?: number;
  partition?: Partition;
  planName?: string;
  /** Failed series allowed, as a fraction of planned series (default DEFAULT_MAX_REJECT_RATE). */
  maxRejectRate?: number;
  verifyExisting?: boolean;
  /** Stop after writing the plan. */
  planOnly?: boolean;
  retry?: Partial<RetryPolicy>;
  /** Throw RejectBudgetError when too many series failed (default true; the CLI prints its summary first). */
  throwOnBudget?: boolean;
}

export interface FetchTciaOptions extends PlanFetchOptions {
  apiUrl?: string;
  collections?: string[];
  /** Path of a dataset manifest (manifests/*.json). */
  manifest?: string;
  /** Path of a `.tcia` manifest from the TCIA portal. */
  tciaManifest?: string;
  /** Use catalog snapshots already on disk instead of asking TCIA again. */
  reuseCatalog?: boolean;
}

/** PlanFetchOptions after validation (defaults filled in, the class map loaded). */
export interface ResolvedPlanFetchOptions {
  externalDatasets: string[];
  modalities: string[] | undefined;
  classMap: ClassMap;
  caps: Record<string, number>;
  capOrder: CapOrder;
  concurrency: number;
  partition: Partition;
  planName: string;
  maxRejectRate: number;
  verifyExisting: boolean;
  planOnly: boolean;
  retry: Partial<RetryPolicy> | undefined;
  throwOnBudget: boolean;
}

/** Options after validation, with everything loaded that can be loaded offline. */
export interface ResolvedFetchOptions extends ResolvedPlanFetchOptions {
  apiUrl: string;
  source: { kind: 'collections'; collections: string[] } | { kind: 'manifest'; file: string; manifest: DatasetManifest } | { kind: 'tcia'; file: string; manifest: TciaManifest };
  datasets: PlanDataset[] | undefined;
  reuseCatalog: boolean;
  /** Collection names already matched against getCollectionValues (applyTciaSpelling ran). */
  collectionsResolved?: boolean;
}

export interface FetchResult {
  planFile: string;
  plan: Plan;
  excluded: Exclusion[];
  collections: number;
  emptyCollections: string[];
  externalDatasets: string[];
  planned: number;
  counts: Record<SeriesStatus, number>;
  failedSeries: Array<{ seriesUid: string; code: string }>;
  /** Images of the planned series now verified on disk (downloaded, skipped or recovered). */
  images: number;
  /** Bytes downloaded in this run. */
  bytes: number;
  seconds: number;
  /** Download throughput of this run (MB = 10^6 bytes). */
  mbPerSecond: number;
  staleTempsRemoved: number;
  overBudget: boolean;
}

export function validateFetchOptions(o: FetchTciaOptions): ResolvedFetchOptions {
  const apiUrl = (o.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new ConfigError(`\`apiUrl\` "${apiUrl}" is not a URL`, { hint: `e.g. ${DEFAULT_API_URL}` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`\`apiUrl\` must be http(s), got ${url.protocol}`, { hint: `e.g. ${DEFAULT_API_URL}` });
  }
  const given = [o.collections && o.collections.length > 0 ? '`collections`' : '', o.manifest ? '`manifest`' : '', o.tciaManifest ? '`tciaManifest`' : ''].filter(Boolean);
  if (given.length !== 1) {
    throw new ConfigError(given.length === 0 ? 'nothing to fetch' : `choose one of ${given.join(', ')}`, {
      hint: 'pass exactly one of `collections` NAME…, `manifest` manifests/X.json or `tciaManifest` FILE.tcia',
    });
  }
  let source: ResolvedFetchOptions['source'];
  let datasets: PlanDataset[] | undefined;
  const externalDatasets: string[] = [];
  let classMap = normalizeClassMap(undefined);
  let caps: Record<string, number> = { ...DEFAULT_CAPS };
  let capOrder: CapOrder = 'tcia';
  let planName = 'fetch';
  if (o.manifest) {
    const manifest = loadManifest(o.manifest);
    source = { kind: 'manifest', file: o.manifest, manifest };
    classMap = normalizeClassMap(manifest.classMap);
    if (manifest.caps) caps = { ...manifest.caps };
    if (manifest.capOrder) capOrder = manifest.capOrder;
    planName = manifest.name;
    datasets = [];
    for (const d of manifest.datasets) {
      const from = datasetSource(d);
      if (from === 'external') {
        externalDatasets.push(d.name);
        continue;
      }
      if (from === 'idc') continue; // fetched from IDC, not from the TCIA API
      datasets.push(planDatasetOf(d, classMap));
    }
    if (datasets.length === 0) {
      throw new ConfigError(`${o.manifest} lists no TCIA datasets`, { hint: 'external datasets are imported with `etl import`, not fetched' });
    }
  } else if (o.tciaManifest) {
    source = { kind: 'tcia', file: o.tciaManifest, manifest: loadTciaManifest(o.tciaManifest) };
    planName = manifestBaseName(o.tciaManifest);
  } else {
    const collections = [...new Set(o.collections!.map((c) => c.trim()).filter(Boolean))];
    if (collections.length === 0) throw new ConfigError('`collections` needs a name', { hint: 'e.g. `collections` LIDC-IDRI' });
    source = { kind: 'collections', collections: collections.sort() };
  }
  const sel = validateSelection(
    { modalities: o.modalities, caps: o.caps, capOrder: o.capOrder, concurrency: o.concurrency, maxRejectRate: o.maxRejectRate, planName: o.planName, maxAttempts: o.retry?.maxAttempts },
    classMap,
    { caps, capOrder, planName, concurrency: DEFAULT_CONCURRENCY },
  );
  return {
    apiUrl,
    source,
    datasets,
    externalDatasets,
    modalities: sel.modalities,
    classMap,
    caps: sel.caps,
    capOrder: sel.capOrder,
    concurrency: sel.concurrency,
    partition: o.partition ?? WHOLE,
    planName: sel.planName,
    maxRejectRate: sel.maxRejectRate,
    verifyExisting: o.verifyExisting ?? false,
    reuseCatalog: o.reuseCatalog ?? false,
    planOnly: o.planOnly ?? false,
    retry: o.retry,
    throwOnBudget: o.throwOnBudget ?? true,
  };
}

/**
 * Match the collection names against getCollectionValues (case-insensitively, TCIA's spelling wins)
 * and rewrite them in `o`; a name TCIA does not list is warned about with its closest match and
 * dropped. Runs once per options object.
 */
export async function applyTciaSpelling(client: TciaClient, o: ResolvedFetchOptions, ctx: RunContext): Promise<void> {
  if (o.collectionsResolved || o.source.kind === 'tcia') return;
  const wanted = o.source.kind === 'collections' ? o.source.collections : (o.datasets ?? []).map((d) => d.collection);
  const { resolved, unknown } = await resolveCollectionNames(client, wanted, ctx.log);
  if (resolved.size === 0) {
    throw new InputError('COLLECTION_EMPTY', `TCIA lists none of the ${new Set(wanted).size} collection(s) asked for at ${o.apiUrl}`, {
      hint: unknown.map((u) => unknownCollectionWarning(u, o.apiUrl)).slice(0, 5).join('; '),
    });
  }
  if (o.source.kind === 'collections') o.source = { kind: 'collections', collections: [...new Set(o.source.collections.flatMap((c) => resolved.get(c) ?? []))].sort() };
  else o.datasets = (o.datasets ?? []).flatMap((d) => (resolved.has(d.collection) ? [{ ...d, collection: resolved.get(d.collection)! }] : []));
  o.collectionsResolved = true;
}

/** `hooks` see each series as it is verified (`etl run` streams them into preprocess). */
export async function fetchTcia(options: FetchTciaOptions | ResolvedFetchOptions, ctx: RunContext, hooks?: DownloadHooks): Promise<FetchResult> {
  const o = 'source' in options ? options : validateFetchOptions(options);
  const start = performance.now();
  // Temp files of a killed run: partial ZIPs under raw/, half-written snapshots and plans.
  let staleTempsRemoved = 0;
  for (const d of [ctx.paths.rawRoot, ctx.paths.catalogRoot, ctx.paths.plansRoot]) staleTempsRemoved += await removeStaleTemps(d);
  if (staleTempsRemoved > 0) ctx.log.info(`removed ${staleTempsRemoved} partial download(s) left by an earlier run`);

  const client = new TciaClient({ apiUrl: o.apiUrl, log: ctx.log, signal: ctx.signal, maxSockets: o.concurrency + 4, ...(o.retry ? { retry: o.retry } : {}) });
  try {
    // 1. catalog
    await applyTciaSpelling(client, o, ctx);
    const catalogConcurrency = Math.min(o.concurrency, 4);
    const cat =
      o.source.kind === 'tcia'
        ? await fetchManifestCatalogs(client, o.source.manifest.seriesUids, manifestBaseName(o.source.file), ctx, { concurrency: o.concurrency })
        : await fetchCollectionCatalogs(
            client,
            o.source.kind === 'collections' ? o.source.collections : [...new Set(o.datasets!.map((d) => d.collection))],
            ctx,
            { concurrency: catalogConcurrency, reuse: o.reuseCatalog },
          );

    // 2. plan
    const { plan, excluded } = planFromCatalog({
      name: o.planName,
      apiUrl: o.apiUrl,
      catalogs: cat.snapshots,
      ...(o.datasets ? { datasets: o.datasets } : {}),
      ...(o.source.kind === 'manifest' ? { manifest: o.source.manifest.name } : o.source.kind === 'tcia' ? { manifest: path.basename(o.source.file) } : {}),
      ...(o.modalities ? { modalities: o.modalities } : {}),
      classMap: o.classMap,
      caps: o.caps,
      capOrder: o.capOrder,
      partition: o.partition,
    });
    const planFile = ctx.paths.plan(o.planName);
    await writeFileAtomic(planFile, planJson(plan));
    const keptImages = plan.summary.reduce((n, s) => n + s.images, 0);
    ctx.log.info(`plan ${planFile}: ${plan.series.length} series, ${keptImages} images to keep after caps`);

    // 3. download
    const dl = o.planOnly ? NO_DOWNLOADS : await downloadSeriesList(client, plan.series, ctx, { apiUrl: o.apiUrl, concurrency: o.concurrency, verifyExisting: o.verifyExisting }, hooks);
    const result = fetchResultOf({ planFile, plan, excluded, emptyCollections: cat.empty, externalDatasets: o.externalDatasets, staleTempsRemoved }, dl, start, o.maxRejectRate);
    if (result.overBudget && o.throwOnBudget) throw budgetError(result, o.maxRejectRate, ctx);
    return result;
  } finally {
    client.close();
  }
}

/** What a fetch reports, from its plan step and what its download list added up to (any archive). */
export function fetchResultOf(
  p: Pick<FetchResult, 'planFile' | 'plan' | 'excluded' | 'emptyCollections' | 'externalDatasets' | 'staleTempsRemoved'>,
  dl: DownloadListResult,
  startedAt: number,
  maxRejectRate: number,
): FetchResult {
  return {
    ...p,
    collections: p.plan.inputs.collections.length,
    planned: p.plan.series.length,
    counts: dl.counts,
    failedSeries: dl.failedSeries,
    images: dl.images,
    bytes: dl.bytes,
    seconds: (performance.now() - startedAt) / 1000,
    mbPerSecond: dl.seconds > 0 ? dl.bytes / 1e6 / dl.seconds : 0,
    overBudget: dl.failedSeries.length > maxRejectRate * p.plan.series.length,
  };
}

export function budgetError(r: FetchResult, maxRate: number, ctx: RunContext): RejectBudgetError {
  const codes = new Map<string, number>();
  for (const f of r.failedSeries) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
  const top = [...codes].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([c, n]) => `${c} ×${n}`).join(', ');
  return new RejectBudgetError(
    `${r.failedSeries.length} of ${r.planned} series failed (${((100 * r.failedSeries.length) / Math.max(1, r.planned)).toFixed(2)}%), over \`maxRejectRate\` ${maxRate}: ${top}`,
    { hint: `see ${ctx.rejects.file ?? 'the rejects'}; rerun to retry only the failed series` },
  );
}

/** Figures for the end-of-command summary. */
export function fetchSummaryFigures(r: FetchResult): Record<string, string | number> {
  const excludedSeries = r.excluded.filter((e) => e.reason !== 'over-cap').reduce((n, e) => n + e.series, 0);
  const overCap = r.excluded.filter((e) => e.reason === 'over-cap').reduce((n, e) => n + e.series, 0);
  const byModality = new Map<string, number>();
  for (const e of r.excluded) if (e.reason === 'modality-not-mapped') byModality.set(e.modality, (byModality.get(e.modality) ?? 0) + e.series);
  const figures: Record<string, string | number> = {
    plan: r.planFile,
    collections: r.collections + (r.emptyCollections.length ? ` (+${r.emptyCollections.length} empty: ${r.emptyCollections.slice(0, 5).join(', ')})` : ''),
    'series planned': r.planned,
    'series verified': r.counts.verified,
    'series already there': r.counts.skipped + r.counts.updated + r.counts.recovered + (r.counts.updated ? ` (${r.counts.updated} plan entries updated)` : ''),
    'series failed': r.failedSeries.length,
    images: r.images,
    downloaded: `${(r.bytes / 1e6).toFixed(1)} MB at ${r.mbPerSecond.toFixed(1)} MB/s`,
    'excluded series': `${excludedSeries}${byModality.size ? ` (${[...byModality].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([m, n]) => `${m} ×${n}`).join(', ')})` : ''}; ${overCap} over the caps`,
  };
  if (r.externalDatasets.length) figures['external datasets'] = `${r.externalDatasets.length} (import them with etl import)`;
  if (r.staleTempsRemoved) figures['stale temps removed'] = r.staleTempsRemoved;
  return figures;
}
