import type { CatalogSnapshot } from '../core/catalog.ts';
import { classOf, type ClassMap } from '../core/classMap.ts';
import type { PlannedSeries } from '../core/types.ts';
import type { PlanDataset } from './plan.ts';

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

/** Series the plan leaves out, counted per dataset × modality × reason. */
export class ExclusionTally {
  private readonly byKey = new Map<string, Exclusion>();
  add(dataset: string, modality: string, reason: ExclusionReason, images: number): void {
    const key = `${dataset}\u0000${modality}\u0000${reason}`;
    const e = this.byKey.get(key) ?? { dataset, modality, reason, series: 0, images: 0 };
    e.series++;
    e.images += images;
    this.byKey.set(key, e);
  }
  sorted(): Exclusion[] {
    return [...this.byKey.values()].sort((a, b) => cmp(a.dataset, b.dataset) || cmp(a.modality, b.modality) || cmp(a.reason, b.reason));
  }
}

/** A series that may be planned: its position in the dataset's TCIA order and its plan entry. */
export interface Candidate {
  index: number;
  patientId: string;
  imageCount: number;
  entry: PlannedSeries;
}

export interface RowFilter {
  classMap: ClassMap;
  /** Global modality filter (upper-case); undefined = all. */
  modalities: ReadonlySet<string> | undefined;
  /** Series UIDs planned by an earlier dataset: a series is planned once. */
  taken: Set<string>;
  excluded: ExclusionTally;
}

/**
 * The candidates of one dataset per class, in TCIA order: each catalog row checked (a valid UID and
 * collection name, a mapped and wanted modality, images, not planned already) or tallied as excluded.
 */
export function candidatesOf(ds: PlanDataset, catalogs: readonly CatalogSnapshot[], f: RowFilter): Map<string, Candidate[]> {
  const exclude = (modality: string, reason: ExclusionReason, images: number) => f.excluded.add(ds.name, modality, reason, images);
  const dsModalities = ds.modalities ? new Set(ds.modalities.map((m) => m.toUpperCase())) : undefined;
  const rows = catalogs.flatMap((c) => c.series.map((r) => ({ r, c })));
  const perLabel = new Map<string, Candidate[]>();
  rows.forEach(({ r, c }, index) => {
    const modality = (str(r.Modality) ?? '').toUpperCase();
    const uid = str(r.SeriesInstanceUID);
    const images = num(r.ImageCount);
    // Values become path components and identifiers: a UID is ≤ 64 characters (PS3.5 §9.1); a collection
    // name longer than a file name can be, or with control characters, is not a real one.
    const collection = str(r.Collection);
    if (!uid || !/^[0-9.]+$/.test(uid) || uid.length > 64) return exclude(modality || 'NONE', 'invalid-row', images);
    if (collection !== undefined && (Buffer.byteLength(collection) > MAX_NAME_BYTES || /[\u0000-\u001f]/.test(collection))) {
      return exclude(modality || 'NONE', 'invalid-row', images);
    }
    const label = classOf(modality, f.classMap);
    if (!label) return exclude(modality || 'NONE', 'modality-not-mapped', images);
    if ((f.modalities && !f.modalities.has(modality)) || (dsModalities && !dsModalities.has(modality))) {
      return exclude(modality, 'modality-filtered', images);
    }
    if (images <= 0) return exclude(modality, 'no-images', 0);
    if (f.taken.has(uid)) return exclude(modality, 'duplicate', images);
    f.taken.add(uid);
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
  return perLabel;
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

/** Code-unit order (not locale order), so plans are the same on every machine. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
