import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import type { CatalogSnapshot, TciaSeriesRow } from '../core/catalog.ts';
import { idcCollectionIdOf } from '../curate/index.ts';
import type { IdcSeries } from './indexFile.ts';
import type { SeriesLocation } from './seriesFetch.ts';

/**
 * Index rows → the catalog snapshots the plan step reads (the TCIA row shape, so caps, class map and
 * plan are the same code), one per requested collection under the name the user gave (TCIA name or
 * IDC collection_id), rows in index order. Each snapshot is written to
 * `catalog/<Collection>.idc.json` with the collection_id and index release: the name mapping is on
 * record next to what TCIA snapshots record.
 */

export interface IdcCatalog {
  snapshots: CatalogSnapshot[];
  /** Requested name → IDC collection_id. */
  mapping: Record<string, string>;
  empty: string[];
  locations: Map<string, SeriesLocation>;
  /** Dataset licence and DOI per collection (first row's). */
  licenses: Record<string, { license: string | null; doi: string | null }>;
}

export function rowOf(r: IdcSeries, collection: string): TciaSeriesRow {
  const row: TciaSeriesRow = {
    SeriesInstanceUID: r.SeriesInstanceUID,
    StudyInstanceUID: r.StudyInstanceUID,
    Modality: r.Modality,
    Collection: collection,
    PatientID: r.PatientID,
    ImageCount: r.instanceCount,
  };
  if (r.BodyPartExamined) row.BodyPartExamined = r.BodyPartExamined;
  if (r.SeriesDescription) row.SeriesDescription = r.SeriesDescription;
  if (r.license_short_name) row.LicenseName = r.license_short_name;
  if (r.source_DOI) row.DataDescriptionURI = `https://doi.org/${r.source_DOI}`;
  if (r.series_size_MB !== null) row.FileSize = Math.round(r.series_size_MB * 1e6);
  return row;
}

export function locationOf(r: IdcSeries): SeriesLocation {
  return { bucket: r.aws_bucket, prefix: `${r.crdc_series_uuid}/` };
}

/** Snapshots for collections given by name; rows grouped by collection_id. */
export async function idcCatalog(
  names: readonly string[],
  rows: readonly IdcSeries[],
  release: string,
  ctx: RunContext,
  options: { subsetOf?: string; idOf?: (name: string) => string } = {},
): Promise<IdcCatalog> {
  const { subsetOf } = options;
  const idOf = options.idOf ?? idcCollectionIdOf;
  const byId = new Map<string, IdcSeries[]>();
  for (const r of rows) {
    const id = r.collection_id.toLowerCase();
    const list = byId.get(id);
    if (list) list.push(r);
    else byId.set(id, [r]);
  }
  const out: IdcCatalog = { snapshots: [], mapping: {}, empty: [], locations: new Map(), licenses: {} };
  const fetchedAt = new Date().toISOString();
  for (const name of names) {
    const id = idOf(name);
    out.mapping[name] = id;
    const list = byId.get(id) ?? [];
    if (list.length === 0) {
      out.empty.push(name);
      continue;
    }
    for (const r of list) out.locations.set(r.SeriesInstanceUID, locationOf(r));
    out.licenses[name] = { license: list[0]!.license_short_name, doi: list[0]!.source_DOI };
    const snap: CatalogSnapshot = { version: 1, collection: name, fetchedAt, apiUrl: `idc:${release}`, ...(subsetOf ? { subsetOf } : {}), series: list.map((r) => rowOf(r, name)) };
    out.snapshots.push(snap);
    const file = ctx.paths.catalog(`${name}${subsetOf ? `.${subsetOf}` : ''}.idc`);
    await writeJsonAtomic(file, { ...snap, idcCollectionId: id, indexRelease: release });
  }
  if (out.snapshots.length === 0) {
    throw new InputError('COLLECTION_EMPTY', `the IDC index ${release} has no series for ${names.map((n) => `"${n}" (collection_id ${idOf(n)})`).join(', ')}`, {
      hint: 'names match IDC collection_id (lidc_idri) or TCIA names (LIDC-IDRI); check `modalities`/`licenses` filters too',
    });
  }
  for (const n of out.empty) ctx.log.warn(`collection "${n}" (collection_id ${idOf(n)}) has no matching series in the IDC index ${release}; skipped`);
  return out;
}

/** `manifest-123.s5cmd` → `manifest-123`. */
export function s5cmdBaseName(file: string): string {
  return path.basename(file).replace(/\.(s5cmd|txt)$/i, '');
}
