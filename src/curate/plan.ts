import fs from 'node:fs';
import { InputError } from '../core/errors.ts';
import { stableJson } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { WHOLE, formatPartition, type Partition } from '../core/partition.ts';
import type { Plan, PlannedSeries } from '../core/types.ts';
import type { CatalogSnapshot } from '../core/catalog.ts';
import { DEFAULT_CAP_ORDER, DEFAULT_CAPS, type CapOrder } from './caps.ts';
import type { ClassMap } from '../core/classMap.ts';
import { capDataset, type CapSettings } from './planCaps.ts';
import { ExclusionTally, candidatesOf, cmp, type Exclusion, type RowFilter } from './planRows.ts';
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

export interface PlanResult {
  plan: Plan;
  /** What the plan left out and why (for the summary), sorted. */
  excluded: Exclusion[];
}

export function planFromCatalog(options: PlanOptions): PlanResult {
  const classMap = options.classMap ?? DEFAULT_CLASS_MAP;
  const settings: CapSettings = { caps: options.caps ?? DEFAULT_CAPS, capOrder: options.capOrder ?? DEFAULT_CAP_ORDER, partition: options.partition ?? WHOLE };

  const catalogs = [...options.catalogs].sort((a, b) => cmp(a.collection, b.collection));
  const byCollection = new Map<string, CatalogSnapshot[]>();
  for (const c of catalogs) {
    const k = c.collection.toUpperCase();
    byCollection.set(k, [...(byCollection.get(k) ?? []), c]);
  }
  const datasets: PlanDataset[] = options.datasets
    ? [...options.datasets]
    : [...new Set(catalogs.map((c) => c.collection))].map((c) => ({ name: c, collection: c }));

  const excluded = new ExclusionTally();
  const filter: RowFilter = {
    classMap,
    modalities: options.modalities ? new Set(options.modalities.map((m) => m.toUpperCase())) : undefined,
    taken: new Set<string>(),
    excluded,
  };
  const series: PlannedSeries[] = [];
  const summary: Plan['summary'] = [];
  for (const ds of datasets) {
    const perLabel = candidatesOf(ds, byCollection.get(ds.collection.toUpperCase()) ?? [], filter);
    const capped = capDataset(ds.name, perLabel, settings, excluded);
    series.push(...capped.series);
    summary.push(...capped.summary);
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
      caps: { ...settings.caps },
      capOrder: settings.capOrder,
      partition: formatPartition(settings.partition),
      catalogSha256: catalogDigest(usedCollections),
    },
    series,
    summary,
  };
  return { plan, excluded: excluded.sorted() };
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
