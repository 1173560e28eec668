import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError } from '../core/errors.ts';
import { removeStaleTemps, writeFileAtomic } from '../core/fsAtomic.ts';
import { WHOLE } from '../core/partition.ts';
import { normalizeClassMap } from '../core/classMap.ts';
import { collectionOf, datasetSource, idcCollectionIdOf, idcCollectionOf, loadManifest, planDatasetOf, planFromCatalog, planJson, validateSelection, type CapOrder, type PlanDataset } from '../curate/index.ts';
import {
  DEFAULT_INDEX_URL, ObjectStore, downloadIdcSeriesList, idcCatalog, loadS5cmdManifest, readIdcIndex, resolveEndpoint, resolveIndex, s5cmdBaseName, validateIndexSpec,
  type Endpoint, type IdcCatalog, type IndexFilter, type S5cmdManifest,
} from '../idc/index.ts';
import { NO_DOWNLOADS, type DownloadHooks } from '../tcia/index.ts';
import { budgetError, fetchResultOf, type FetchResult, type PlanFetchOptions, type ResolvedPlanFetchOptions } from './fetchTcia.ts';

/**
 * `etl fetch idc` as a library call: IDC index → the same plan step as TCIA (class map, caps,
 * partition) → verified object downloads assembled into one ZIP per series in raw/. Concurrency
 * bounds object requests across all series, so a run of one-instance XR series and a run of
 * 500-slice CT series both keep the link full.
 */

/**
 * Object requests in flight across all series. Objects are small (CT slices ~0.5 MB, the demo
 * preset's median 138 kB), so many must be in flight to cover the first-byte latency: at 1 Gbit/s
 * and 50 ms that is ~6.9 MB, ~50 such objects. Swept with bench/fetchIdc.ts (50 ms, 1 Gbit/s, 2-core
 * EPYC, 2026-12-07, medians of 3): at load 4–6, 16 / 32 / 48 / 64 → 63 / 86 / – / 90 % and – / 80 /
 * 81 / 87 % of the link, 64 best both times; at load 8–11 (three sweeps) 32 came first (47–62 %) and
 * 64 second (38–48 %), the client then being short of CPU rather than of requests in flight. 64 is
 * also the most `concurrency` accepts.
 */
export const DEFAULT_IDC_CONCURRENCY = 64;

export interface FetchIdcOptions extends PlanFetchOptions {
  /** Parquet file or URL (default: the latest idc-index-data release). */
  index?: string;
  /** `aws` (default), `gcs` or an endpoint URL (path-style requests). */
  endpoint?: string;
  collections?: string[];
  manifest?: string;
  s5cmdManifest?: string;
  /** license_short_name values to keep, e.g. ["CC BY 4.0"]. */
  licenses?: string[];
}

export interface ResolvedIdcOptions extends ResolvedPlanFetchOptions {
  index: string;
  endpoint: Endpoint;
  source: { kind: 'collections'; names: string[] } | { kind: 'manifest'; file: string; name: string; datasets: PlanDataset[]; idcIds: Record<string, string> } | { kind: 's5cmd'; file: string; manifest: S5cmdManifest };
  licenses: string[] | undefined;
}

export interface IdcFetchResult extends FetchResult {
  release: string;
  indexFile: string;
  /** Requested collection name → IDC collection_id. */
  collectionMap: Record<string, string>;
  licenses: IdcCatalog['licenses'];
}

export function validateIdcOptions(o: FetchIdcOptions): ResolvedIdcOptions {
  const given = [o.collections?.length ? '`collections`' : '', o.manifest ? '`manifest`' : '', o.s5cmdManifest ? '`s5cmdManifest`' : ''].filter(Boolean);
  if (given.length !== 1) {
    throw new ConfigError(given.length === 0 ? 'nothing to fetch' : `choose one of ${given.join(', ')}`, {
      hint: 'pass exactly one of `collections` NAME…, `manifest` manifests/X.json or `s5cmdManifest` FILE',
    });
  }
  const index = validateIndexSpec(o.index);
  const endpoint = resolveEndpoint(o.endpoint);
  let classMap = normalizeClassMap(undefined);
  const base: { caps?: Record<string, number>; capOrder?: CapOrder; planName: string; concurrency: number } = { planName: 'fetch', concurrency: DEFAULT_IDC_CONCURRENCY };
  let source: ResolvedIdcOptions['source'];
  const externalDatasets: string[] = [];
  if (o.manifest) {
    const manifest = loadManifest(o.manifest);
    classMap = normalizeClassMap(manifest.classMap);
    if (manifest.caps) base.caps = { ...manifest.caps };
    if (manifest.capOrder) base.capOrder = manifest.capOrder;
    base.planName = manifest.name;
    const datasets: PlanDataset[] = [];
    const idcIds: Record<string, string> = {};
    for (const d of manifest.datasets) {
      if (datasetSource(d) === 'external') {
        externalDatasets.push(d.name);
        continue;
      }
      datasets.push(planDatasetOf(d, classMap));
      idcIds[collectionOf(d)] = idcCollectionOf(d);
    }
    if (datasets.length === 0) throw new ConfigError(`${o.manifest} lists no TCIA/IDC datasets`, { hint: 'external datasets are imported with `etl import`, not fetched' });
    source = { kind: 'manifest', file: o.manifest, name: manifest.name, datasets, idcIds };
  } else if (o.s5cmdManifest) {
    source = { kind: 's5cmd', file: o.s5cmdManifest, manifest: loadS5cmdManifest(o.s5cmdManifest) };
    base.planName = s5cmdBaseName(o.s5cmdManifest);
  } else {
    const names = [...new Set(o.collections!.map((c) => c.trim()).filter(Boolean))].sort();
    if (names.length === 0) throw new ConfigError('`collections` needs a name', { hint: 'e.g. `collections` lidc_idri (or the TCIA name LIDC-IDRI)' });
    source = { kind: 'collections', names };
  }
  const sel = validateSelection(
    { modalities: o.modalities, caps: o.caps, capOrder: o.capOrder, concurrency: o.concurrency, maxRejectRate: o.maxRejectRate, planName: o.planName, maxAttempts: o.retry?.maxAttempts },
    classMap,
    base,
  );
  const licenses = o.licenses?.map((l) => l.trim()).filter(Boolean);
  if (o.licenses && licenses!.length === 0) throw new ConfigError('`licenses` needs a value', { hint: 'e.g. `licenses` "CC BY 4.0"' });
  return {
    index,
    endpoint,
    source,
    externalDatasets,
    modalities: sel.modalities,
    licenses: licenses?.length ? [...new Set(licenses)].sort() : undefined,
    classMap,
    caps: sel.caps,
    capOrder: sel.capOrder,
    concurrency: sel.concurrency,
    partition: o.partition ?? WHOLE,
    planName: sel.planName,
    maxRejectRate: sel.maxRejectRate,
    verifyExisting: o.verifyExisting ?? false,
    planOnly: o.planOnly ?? false,
    retry: o.retry,
    throwOnBudget: o.throwOnBudget ?? true,
  };
}

export { DEFAULT_INDEX_URL };

/** `hooks` see each series as it is verified (`etl run` streams them into preprocess). */
export async function fetchIdc(options: FetchIdcOptions | ResolvedIdcOptions, ctx: RunContext, hooks?: DownloadHooks): Promise<IdcFetchResult> {
  const o = 'source' in options ? options : validateIdcOptions(options);
  const start = performance.now();
  let staleTempsRemoved = 0;
  for (const d of [ctx.paths.rawRoot, ctx.paths.catalogRoot, ctx.paths.plansRoot]) staleTempsRemoved += await removeStaleTemps(d);
  if (staleTempsRemoved > 0) ctx.log.info(`removed ${staleTempsRemoved} partial download(s) left by an earlier run`);
  const store = new ObjectStore({ endpoint: o.endpoint.url, log: ctx.log, signal: ctx.signal, maxSockets: o.concurrency + 4, ...(o.retry ? { retry: o.retry } : {}) });
  try {
    // 1. index → catalog snapshots
    const idx = await resolveIndex(o.index, store, ctx);
    const { cat, release } = await catalogOf(o, idx.file, idx.release, ctx);
    // 2. plan: the TCIA plan step, unchanged
    const { plan, excluded } = planFromCatalog({
      name: o.planName,
      apiUrl: `idc:${release}`,
      catalogs: cat.snapshots,
      ...(o.source.kind === 'manifest' ? { datasets: o.source.datasets, manifest: o.source.name } : {}),
      ...(o.source.kind === 's5cmd' ? { manifest: path.basename(o.source.file) } : {}),
      ...(o.modalities ? { modalities: o.modalities } : {}),
      classMap: o.classMap,
      caps: o.caps,
      capOrder: o.capOrder,
      partition: o.partition,
    });
    const planFile = ctx.paths.plan(o.planName);
    await writeFileAtomic(planFile, planJson(plan));
    ctx.log.info(`plan ${planFile}: ${plan.series.length} series, ${plan.summary.reduce((n, s) => n + s.images, 0)} images to keep after caps (IDC index ${release})`);
    // 3. download
    const dl = o.planOnly ? NO_DOWNLOADS : await downloadIdcSeriesList(store, plan.series, cat.locations, ctx, { endpoint: o.endpoint, concurrency: o.concurrency, verifyExisting: o.verifyExisting }, hooks);
    const result: IdcFetchResult = {
      ...fetchResultOf({ planFile, plan, excluded, emptyCollections: cat.empty, externalDatasets: o.externalDatasets, staleTempsRemoved }, dl, start, o.maxRejectRate),
      release, indexFile: idx.file, collectionMap: cat.mapping, licenses: cat.licenses,
    };
    if (result.overBudget && o.throwOnBudget) throw budgetError(result, o.maxRejectRate, ctx);
    return result;
  } finally {
    store.close();
  }
}

/** The index rows this fetch asks for, as catalog snapshots. */
async function catalogOf(o: ResolvedIdcOptions, file: string, fallbackRelease: string, ctx: RunContext): Promise<{ cat: IdcCatalog; release: string }> {
  const filter: IndexFilter = o.licenses ? { licenses: new Set(o.licenses) } : {};
  if (o.source.kind === 'collections') filter.collectionIds = new Set(o.source.names.map(idcCollectionIdOf));
  else if (o.source.kind === 'manifest') filter.collectionIds = new Set(Object.values(o.source.idcIds));
  else filter.seriesUuids = new Set(o.source.manifest.seriesUuids);
  const idx = await readIdcIndex(file, filter);
  const release = idx.version ?? fallbackRelease;
  ctx.log.info(`IDC index ${release}: ${idx.series.length} of ${idx.rows} series match`);
  if (o.source.kind === 'collections') return { cat: await idcCatalog(o.source.names, idx.series, release, ctx), release };
  if (o.source.kind === 'manifest') {
    const ids = o.source.idcIds;
    const names = [...new Set(o.source.datasets.map((d) => d.collection))];
    return { cat: await idcCatalog(names, idx.series, release, ctx, { idOf: (n) => ids[n] ?? idcCollectionIdOf(n) }), release };
  }
  // s5cmd: series in manifest order, grouped by collection_id; unknown uuids are rejects.
  const m = o.source.manifest;
  const found = new Map(idx.series.map((r) => [r.crdc_series_uuid, r]));
  for (const uuid of m.seriesUuids) {
    if (!found.has(uuid)) ctx.rejects.record({ stage: 'fetch', key: uuid, code: 'SERIES_NOT_FOUND', error: new ConfigError(`the IDC index ${release} has no series ${uuid}`) });
  }
  const rows = m.seriesUuids.map((u) => found.get(u)).filter((r) => r !== undefined);
  const names = [...new Set(rows.map((r) => r.collection_id))];
  return { cat: await idcCatalog(names, rows, release, ctx, { subsetOf: s5cmdBaseName(o.source.file) }), release };
}
