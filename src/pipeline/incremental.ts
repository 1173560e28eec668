import fs from 'node:fs';
import pLimit from 'p-limit';
import type { RunContext } from '../core/context.ts';
import { stableJson, writeJsonAtomic } from '../core/fsAtomic.ts';
import { catalogDigest } from '../curate/index.ts';
import { readCatalog, type TciaClient, formatTciaDate } from '../tcia/index.ts';
import type { CatalogSnapshot, TciaSeriesRow } from '../core/catalog.ts';

/**
 * Keeping `catalog/<Collection>.json` current without listing every collection every night
 * (tcia-api.md §3.6): ask `getUpdatedSeries` for series released after the last successful run
 * minus `overlapDays` (the server compares calendar days, strictly after, so the overlap catches a
 * release on the day of the last run), dedupe by SeriesInstanceUID and merge into the snapshots.
 * TCIA has no deletion feed, so every N-th run lists the collections in full and drops series that
 * disappeared.
 */

export interface CatalogSyncOptions {
  collections: readonly string[];
  mode: 'full' | 'incremental';
  /** Start of the last successful run (incremental mode). */
  since?: Date;
  overlapDays: number;
  concurrency?: number;
}

export interface DroppedSeries {
  collection: string;
  seriesUid: string;
}

export interface CatalogSyncResult {
  mode: 'full' | 'incremental';
  /** MM-DD-YYYY sent to getUpdatedSeries (incremental mode). */
  fromDate?: string;
  /** Collections listed in full this time (all in full mode; new ones in incremental mode). */
  listed: string[];
  /** Rows getUpdatedSeries returned for our collections, after dedupe. */
  updatedRows: number;
  added: number;
  updated: number;
  dropped: DroppedSeries[];
  /** Snapshots whose content changed (rewritten). */
  changedCollections: string[];
  series: number;
  snapshots: CatalogSnapshot[];
  /** catalogDigest of the snapshots: what TCIA said, not when we asked. */
  digest: string;
}

export function updatedSinceDate(since: Date, overlapDays: number): Date {
  return new Date(since.getTime() - overlapDays * 86_400_000);
}

export async function syncCatalog(client: TciaClient, o: CatalogSyncOptions, ctx: RunContext): Promise<CatalogSyncResult> {
  const collections = [...new Set(o.collections)].sort();
  const existing = new Map<string, CatalogSnapshot | undefined>(collections.map((c) => [c, readCatalog(ctx.paths.catalog(c))]));
  const toList = o.mode === 'full' ? collections : collections.filter((c) => !existing.get(c));
  const result: CatalogSyncResult = {
    mode: o.mode,
    listed: toList,
    updatedRows: 0,
    added: 0,
    updated: 0,
    dropped: [],
    changedCollections: [],
    series: 0,
    snapshots: [],
    digest: '',
  };
  const next = new Map<string, CatalogSnapshot>();

  // Full listings (every collection in full mode; collections never listed before otherwise).
  const limit = pLimit(Math.max(1, Math.min(o.concurrency ?? 4, 8)));
  const listed = await Promise.all(toList.map((c) => limit(async () => ({ c, rows: await client.getSeries({ Collection: c }, ctx.signal) }))));
  for (const { c, rows } of listed) {
    const old = existing.get(c);
    if (rows.length === 0) {
      if (old && old.series.length > 0) {
        // An empty answer for a collection we had is more likely an outage than a withdrawal of everything.
        ctx.log.warn(`TCIA listed no series for "${c}" (had ${old.series.length}); keeping the last snapshot`, {
          hint: `delete ${ctx.paths.catalog(c)} to accept that the collection is gone`,
        });
        next.set(c, old);
      } else ctx.log.warn(`collection "${c}" has no public series at ${client.apiUrl}`);
      continue;
    }
    const diff = diffRows(old?.series ?? [], rows);
    result.added += diff.added;
    result.updated += diff.updated;
    for (const uid of diff.dropped) result.dropped.push({ collection: c, seriesUid: uid });
    const snap: CatalogSnapshot = { version: 1, collection: c, fetchedAt: new Date().toISOString(), apiUrl: client.apiUrl, series: rows };
    next.set(c, sameRows(old, rows) ? old! : snap);
  }

  // Incremental: series released since the last success, merged into the snapshots we have.
  if (o.mode === 'incremental') {
    if (!o.since) throw new Error('incremental catalog sync needs the time of the last successful run');
    const from = updatedSinceDate(o.since, o.overlapDays);
    result.fromDate = formatTciaDate(from);
    const rows = await client.getUpdatedSeries(from);
    const wanted = new Map(collections.map((c) => [c.toUpperCase(), c]));
    const byUid = new Map<string, { c: string; row: TciaSeriesRow }>();
    for (const row of rows) {
      const c = typeof row.Collection === 'string' ? wanted.get(row.Collection.toUpperCase()) : undefined;
      if (!c || typeof row.SeriesInstanceUID !== 'string' || next.has(c)) continue; // freshly listed in full already
      byUid.set(row.SeriesInstanceUID, { c, row }); // the last row for a UID wins
    }
    result.updatedRows = byUid.size;
    const perCollection = new Map<string, TciaSeriesRow[]>();
    for (const { c, row } of byUid.values()) perCollection.set(c, [...(perCollection.get(c) ?? []), row]);
    for (const c of collections) {
      if (next.has(c)) continue;
      const old = existing.get(c);
      if (!old) continue;
      const incoming = perCollection.get(c) ?? [];
      const merged = mergeRows(old.series, incoming);
      result.added += merged.added;
      result.updated += merged.updated;
      next.set(c, merged.added + merged.updated > 0 ? { ...old, fetchedAt: new Date().toISOString(), apiUrl: client.apiUrl, series: merged.rows } : old);
    }
  }

  for (const c of collections) {
    const snap = next.get(c);
    if (!snap) continue;
    if (snap !== existing.get(c)) {
      await writeJsonAtomic(ctx.paths.catalog(c), snap);
      result.changedCollections.push(c);
    }
    result.snapshots.push(snap);
    result.series += snap.series.length;
  }
  result.digest = catalogDigest(result.snapshots);
  return result;
}

/** Replace rows with the same SeriesInstanceUID in place; append new ones (in the order TCIA gave them). */
export function mergeRows(old: readonly TciaSeriesRow[], incoming: readonly TciaSeriesRow[]): { rows: TciaSeriesRow[]; added: number; updated: number } {
  const index = new Map<string, number>();
  old.forEach((r, i) => {
    if (typeof r.SeriesInstanceUID === 'string') index.set(r.SeriesInstanceUID, i);
  });
  const rows = [...old];
  let added = 0;
  let updated = 0;
  for (const r of incoming) {
    const uid = r.SeriesInstanceUID;
    if (typeof uid !== 'string') continue;
    const i = index.get(uid);
    if (i === undefined) {
      index.set(uid, rows.length);
      rows.push(r);
      added++;
    } else if (stableJson(rows[i]) !== stableJson(r)) {
      rows[i] = r;
      updated++;
    }
  }
  return { rows, added, updated };
}

/** What a full listing changed: new UIDs, UIDs whose row differs (ImageCount, FileSize, DateReleased…), UIDs gone. */
export function diffRows(old: readonly TciaSeriesRow[], now: readonly TciaSeriesRow[]): { added: number; updated: number; dropped: string[] } {
  const before = new Map(old.filter((r) => typeof r.SeriesInstanceUID === 'string').map((r) => [r.SeriesInstanceUID as string, stableJson(r)]));
  const seen = new Set<string>();
  let added = 0;
  let updated = 0;
  for (const r of now) {
    const uid = r.SeriesInstanceUID;
    if (typeof uid !== 'string') continue;
    seen.add(uid);
    const b = before.get(uid);
    if (b === undefined) added++;
    else if (b !== stableJson(r)) updated++;
  }
  const dropped = [...before.keys()].filter((u) => !seen.has(u)).sort();
  return { added, updated, dropped };
}

function sameRows(old: CatalogSnapshot | undefined, rows: readonly TciaSeriesRow[]): boolean {
  return old !== undefined && !old.subsetOf && stableJson(old.series) === stableJson(rows);
}

/**
 * Remove what we derived from series TCIA no longer lists: the sidecar (the commit marker) goes
 * first, so a crash halfway leaves an orphan file that readers ignore, never a half series.
 */
export function removeWithdrawn(dropped: readonly DroppedSeries[], ctx: RunContext): number {
  let removed = 0;
  for (const { collection, seriesUid } of dropped) {
    const files = [
      ctx.paths.stagingSidecar(collection, seriesUid),
      ctx.paths.staging(collection, seriesUid),
      ctx.paths.rawSidecar(collection, seriesUid),
      ctx.paths.rawZip(collection, seriesUid),
    ];
    let any = false;
    for (const f of files) {
      if (fs.existsSync(f)) {
        fs.rmSync(f, { force: true });
        any = true;
      }
    }
    if (any) {
      removed++;
      ctx.log.info(`series ${seriesUid} of ${collection} is no longer listed by TCIA: removed its raw and staged files`);
    }
  }
  return removed;
}
