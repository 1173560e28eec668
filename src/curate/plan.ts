import fs from 'node:fs';
import { InputError } from '../core/errors.ts';
import { stableJson } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { WHOLE, formatPartition, inPartition, type Partition } from '../core/partition.ts';
import type { Plan, PlannedSeries } from '../core/types.ts';
import type { CatalogSnapshot } from '../core/catalog.ts';
import { applyCap, DEFAULT_CAP_ORDER, DEFAULT_CAPS, type CapOrder } from './caps.ts';
import { classOf, type ClassMap } from '../core/classMap.ts';
import { DEFAULT_CLASS_MAP } from '../core/types.ts';

/**
 * The plan: which series to fetch, with label, body location and how many instances to keep.
 * A pure function of the catalog snapshots and the options. Catalogs are sorted by collection name
 * and rows keep TCIA's order, so the plan is byte-identical whatever order the snapshots arrived
 * in. Caps are applied per dataset and class before the partition filter, so the union of the
 * partitions' plans is the whole plan.
 */

export interface PlanDataset {
  /** Dataset name (manifest entry; the collection name otherwise). */
  name: string;
  collection: string;
  /** Body location from the manifest; otherwise each series' BodyPartExamined. */
  location?: string;
  /** Modalities this dataset contributes (manifest); undefined = all the class map knows. */
  modalities?: string[];
}

export interface PlanOptions {
  name: string;
  apiUrl: string;
  catalogs: readonly CatalogSnapshot[];
  /** Default: one dataset per catalog collection. Order = output order (manifest order). */
  datasets?: readonly PlanDataset[];
  manifest?: string;
  /** Global modality filter (`--modality`), upper-case. */
  modalities?: readonly string[];
  classMap?: ClassMap;
  /** Per-class image caps per dataset; default CT=50000, MR=100000. */
  caps?: Readonly<Record<string, number>>;
  capOrder?: CapOrder;
  partition?: Partition;
}

/** Longest name (bytes) that can be a file name on common file systems (NAME_MAX, minus room for suffixes). */
const MAX_NAME_BYTES = 200;

export type ExclusionReason = 'modality-not-mapped' | 'modality-filtered' | 'no-images' | 'invalid-row' | 'duplicate' | 'over-cap';

export interface Exclusion {
  dataset: string;
  modality: string;
  reason: ExclusionReason;
  series: number;
  images: number;
}

export interface PlanResult {
  plan: Plan;
  /** What the plan left out and why (for the summary), sorted. */
  excluded: Exclusion[];
}

export function planFromCatalog(options: PlanOptions): PlanResult {
  const classMap = options.classMap ?? DEFAULT_CLASS_MAP;
  const caps = options.caps ?? DEFAULT_CAPS;
  const capOrder = options.capOrder ?? DEFAULT_CAP_ORDER;
  const partition = options.partition ?? WHOLE;
  const globalModalities = options.modalities ? new Set(options.modalities.map((m) => m.toUpperCase())) : undefined;

  const catalogs = [...options.catalogs].sort((a, b) => cmp(a.collection, b.collection));
  const byCollection = new Map<string, CatalogSnapshot[]>();
  for (const c of catalogs) {
    const k = c.collection.toUpperCase();
    byCollection.set(k, [...(byCollection.get(k) ?? []), c]);
  }
  const datasets: PlanDataset[] = options.datasets
    ? [...options.datasets]
    : [...new Set(catalogs.map((c) => c.collection))].map((c) => ({ name: c, collection: c }));

  const excluded = new Map<string, Exclusion>();
  const exclude = (dataset: string, modality: string, reason: ExclusionReason, images: number) => {
    const key = `${dataset}\u0000${modality}\u0000${reason}`;
    const e = excluded.get(key) ?? { dataset, modality, reason, series: 0, images: 0 };
    e.series++;
    e.images += images;
    excluded.set(key, e);
  };

  const taken = new Set<string>();
  const series: PlannedSeries[] = [];
  const summary: Plan['summary'] = [];
  for (const ds of datasets) {
    const dsModalities = ds.modalities ? new Set(ds.modalities.map((m) => m.toUpperCase())) : undefined;
    const rows = (byCollection.get(ds.collection.toUpperCase()) ?? []).flatMap((c) => c.series.map((r) => ({ r, c })));
    // Candidates per class, in TCIA order.
    const perLabel = new Map<string, Array<{ index: number; patientId: string; imageCount: number; entry: PlannedSeries }>>();
    rows.forEach(({ r, c }, index) => {
      const modality = (str(r.Modality) ?? '').toUpperCase();
      const uid = str(r.SeriesInstanceUID);
      const images = num(r.ImageCount);
      // Values become path components and identifiers: a UID is ≤ 64 characters (PS3.5 §9.1); a collection
      // name longer than a file name can be, or with control characters, is not a real one.
      const collection = str(r.Collection);
      if (!uid || !/^[0-9.]+$/.test(uid) || uid.length > 64) return exclude(ds.name, modality || 'NONE', 'invalid-row', images);
      if (collection !== undefined && (Buffer.byteLength(collection) > MAX_NAME_BYTES || /[\u0000-\u001f]/.test(collection))) {
        return exclude(ds.name, modality || 'NONE', 'invalid-row', images);
      }
      const label = classOf(modality, classMap);
      if (!label) return exclude(ds.name, modality || 'NONE', 'modality-not-mapped', images);
      if ((globalModalities && !globalModalities.has(modality)) || (dsModalities && !dsModalities.has(modality))) {
        return exclude(ds.name, modality, 'modality-filtered', images);
      }
      if (images <= 0) return exclude(ds.name, modality, 'no-images', 0);
      if (taken.has(uid)) return exclude(ds.name, modality, 'duplicate', images);
      taken.add(uid);
      const entry: PlannedSeries = {
        dataset: ds.name,
        collection: collection ?? c.collection,
        patientId: str(r.PatientID) ?? '',
        studyUid: str(r.StudyInstanceUID) ?? '',
        seriesUid: uid,
        modality,
        label,
        bodyPart: ds.location ?? (str(r.BodyPartExamined)?.toUpperCase() || 'UNKNOWN'),
        imageCount: images,
        keep: images,
      };
      const fileSize = num(r.FileSize);
      if (fileSize > 0) entry.fileSize = fileSize;
      const list = perLabel.get(label) ?? [];
      list.push({ index, patientId: entry.patientId, imageCount: images, entry });
      perLabel.set(label, list);
    });
    const keepOf = new Map<string, number>();
    for (const label of [...perLabel.keys()].sort(cmp)) {
      const cands = perLabel.get(label)!;
      const keep = applyCap(cands, caps[label], capOrder);
      let planned = 0;
      let images = 0;
      let cappedFrom = 0;
      for (const cand of cands) {
        const k = keep.get(cand.index) ?? 0;
        keepOf.set(cand.entry.seriesUid, k);
        if (!inPartition(cand.entry.seriesUid, partition)) continue;
        cappedFrom += cand.imageCount;
        if (k === 0) {
          exclude(ds.name, cand.entry.modality, 'over-cap', cand.imageCount);
          continue;
        }
        cand.entry.keep = k;
        planned++;
        images += k;
      }
      if (cappedFrom > 0) summary.push({ dataset: ds.name, label, series: planned, images, cappedFrom });
    }
    // Output order within a dataset: TCIA order, whatever the class.
    const all = [...perLabel.values()].flat().sort((a, b) => a.index - b.index);
    for (const cand of all) {
      if ((keepOf.get(cand.entry.seriesUid) ?? 0) > 0 && inPartition(cand.entry.seriesUid, partition)) series.push(cand.entry);
    }
  }

  const usedCollections = [...new Set(datasets.map((d) => d.collection))]
    .map((c) => byCollection.get(c.toUpperCase()) ?? [])
    .flat();
  const plan: Plan = {
    version: 1,
    name: options.name,
    inputs: {
      apiUrl: options.apiUrl,
      collections: [...new Set(usedCollections.map((c) => c.collection))].sort(cmp),
      ...(options.manifest !== undefined ? { manifest: options.manifest } : {}),
      modalities: options.modalities ? [...new Set(options.modalities.map((m) => m.toUpperCase()))].sort(cmp) : Object.keys(classMap).sort(cmp),
      caps: { ...caps },
      capOrder,
      partition: formatPartition(partition),
      catalogSha256: catalogDigest(usedCollections),
    },
    series,
    summary,
  };
  return { plan, excluded: [...excluded.values()].sort((a, b) => cmp(a.dataset, b.dataset) || cmp(a.modality, b.modality) || cmp(a.reason, b.reason)) };
}

/** SHA-256 of what TCIA said (collection + rows), not of when we asked: refetching unchanged data keeps the hash. */
export function catalogDigest(catalogs: readonly CatalogSnapshot[]): string {
  const sorted = [...catalogs].sort((a, b) => cmp(a.collection, b.collection) || cmp(a.subsetOf ?? '', b.subsetOf ?? ''));
  return sha256Hex(stableJson(sorted.map((c) => ({ collection: c.collection, subsetOf: c.subsetOf, series: c.series }))));
}

/** The plan file's bytes. */
export function planJson(plan: Plan): string {
  return stableJson(plan);
}

export function loadPlan(file: string): Plan {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InputError('PLAN_UNREADABLE', `plan ${file} cannot be read: ${(err as Error).message}`, {
      hint: 'run `etl fetch tcia` (it writes plans/<name>.json) or pass the right path',
    });
  }
  const p = value as Partial<Plan>;
  if (p?.version !== 1 || !Array.isArray(p.series) || typeof p.name !== 'string' || !p.inputs) {
    throw new InputError('PLAN_INVALID', `plan ${file} is not a version-1 plan`, { hint: 'regenerate it with `etl fetch tcia`' });
  }
  return p as Plan;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number') return String(v);
  return undefined;
}

function num(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
