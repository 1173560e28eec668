import fs from 'node:fs';
import path from 'node:path';
import pLimit from 'p-limit';
import type { RunContext } from '../core/context.ts';
import { DataError, InputError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import type { TciaClient } from './client.ts';
import type { CatalogSnapshot, TciaSeriesRow } from '../core/catalog.ts';

/**
 * Step 1 of a fetch: what TCIA lists. Each collection's `getSeries` answer is kept verbatim, in
 * TCIA's order, in `catalog/<Collection>.json` (written atomically), so plans can be rebuilt
 * offline and compared over time.
 */

export interface CatalogOptions {
  concurrency: number;
  /** Use an existing snapshot instead of asking TCIA again. */
  reuse?: boolean;
}

export interface CatalogResult {
  snapshots: CatalogSnapshot[];
  /** Collections TCIA listed no series for (misspelt, renamed or withdrawn). */
  empty: string[];
  /** Snapshots taken from disk (reuse). */
  reused: number;
}

export async function fetchCollectionCatalogs(client: TciaClient, collections: readonly string[], ctx: RunContext, options: CatalogOptions): Promise<CatalogResult> {
  const limit = pLimit(Math.max(1, options.concurrency));
  let reused = 0;
  const progress = ctx.progress('catalog', collections.length, 'collections');
  const results = await Promise.all(
    collections.map((collection) =>
      limit(async (): Promise<CatalogSnapshot> => {
        const file = ctx.paths.catalog(collection);
        if (options.reuse) {
          const existing = readCatalog(file);
          if (existing && !existing.subsetOf) {
            reused++;
            progress.tick();
            return existing;
          }
        }
        const rows = await client.getSeries({ Collection: collection }, ctx.signal);
        const snap: CatalogSnapshot = { version: 1, collection, fetchedAt: new Date().toISOString(), apiUrl: client.apiUrl, series: rows };
        if (rows.length > 0) await writeJsonAtomic(file, snap);
        progress.tick();
        return snap;
      }),
    ),
  );
  progress.stop();
  const empty = results.filter((r) => r.series.length === 0).map((r) => r.collection);
  if (empty.length === collections.length) {
    throw new InputError('COLLECTION_EMPTY', `TCIA lists no series for ${empty.map((c) => `"${c}"`).join(', ')} at ${client.apiUrl}`, {
      hint: 'check the spelling against `getCollectionValues` (names are TCIA collection names, e.g. LIDC-IDRI)',
    });
  }
  for (const c of empty) ctx.log.warn(`collection "${c}" has no public series at ${client.apiUrl}; skipped`);
  return { snapshots: results.filter((r) => r.series.length > 0), empty, reused };
}

/**
 * The series of a `.tcia` manifest: `getSeries?SeriesInstanceUID=` for each (bounded), grouped by
 * the Collection TCIA gives, in manifest order. Snapshots are named `<Collection>.<manifest>` and
 * marked `subsetOf`, so they never replace a whole-collection snapshot.
 */
export async function fetchManifestCatalogs(
  client: TciaClient,
  seriesUids: readonly string[],
  manifestName: string,
  ctx: RunContext,
  options: CatalogOptions,
): Promise<CatalogResult & { missing: string[] }> {
  const limit = pLimit(Math.max(1, options.concurrency));
  const progress = ctx.progress('catalog', seriesUids.length, 'series');
  const rows = await Promise.all(
    seriesUids.map((uid) =>
      limit(async () => {
        const r = await client.getSeries({ SeriesInstanceUID: uid }, ctx.signal);
        progress.tick();
        return { uid, row: r.find((x) => x.SeriesInstanceUID === uid) };
      }),
    ),
  );
  progress.stop();
  const missing: string[] = [];
  const groups = new Map<string, TciaSeriesRow[]>();
  for (const { uid, row } of rows) {
    if (!row) {
      missing.push(uid);
      ctx.rejects.record({
        stage: 'fetch',
        key: uid,
        seriesUid: uid,
        code: 'SERIES_NOT_FOUND',
        error: new DataError('SERIES_NOT_FOUND', `TCIA lists no public series ${uid}`),
      });
      continue;
    }
    const c = typeof row.Collection === 'string' && row.Collection !== '' ? row.Collection : 'UNKNOWN';
    groups.set(c, [...(groups.get(c) ?? []), row]);
  }
  if (groups.size === 0) {
    throw new InputError('SERIES_NOT_FOUND', `none of the ${seriesUids.length} series of ${manifestName} is listed at ${client.apiUrl}`, {
      hint: 'NLST series live on a separate server (`apiUrl` https://nlst.cancerimagingarchive.net/nbia-api/services/v4)',
    });
  }
  const fetchedAt = new Date().toISOString();
  const snapshots: CatalogSnapshot[] = [];
  for (const [collection, series] of groups) {
    const snap: CatalogSnapshot = { version: 1, collection, fetchedAt, apiUrl: client.apiUrl, subsetOf: manifestName, series };
    await writeJsonAtomic(ctx.paths.catalog(`${collection}.${manifestName}`), snap);
    snapshots.push(snap);
  }
  return { snapshots, empty: [], reused: 0, missing };
}

export function readCatalog(file: string): CatalogSnapshot | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogSnapshot;
    return v && v.version === 1 && Array.isArray(v.series) && typeof v.collection === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** `manifest-1724796815128.tcia` → `manifest-1724796815128`. */
export function manifestBaseName(file: string): string {
  return path.basename(file).replace(/\.tcia$/i, '');
}
