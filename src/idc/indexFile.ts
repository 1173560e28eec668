import fsp from 'node:fs/promises';
import { parquetMetadata, parquetRead, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { InputError } from '../core/errors.ts';

/**
 * The IDC series index (`idc_index.parquet` of the idc-index-data releases; idc.md): one row per
 * DICOM series. Read with hyparquet (pure JS, ZSTD/Snappy via hyparquet-compressors; the
 * comparison with DuckDB is in bench/idcIndex.ts). Two passes: the filter columns of every row
 * group, then all columns of only the row groups that hold a match, so a 1 M-row index never
 * becomes 1 M objects.
 */

/** The columns a fetch uses (names as in the real index). */
export const INDEX_COLUMNS = [
  'collection_id', 'PatientID', 'StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'BodyPartExamined', 'SeriesDescription',
  'instanceCount', 'series_size_MB', 'crdc_series_uuid', 'series_aws_url', 'aws_bucket', 'source_DOI', 'license_short_name',
] as const;
/** Without these a row cannot be fetched. */
const REQUIRED = ['collection_id', 'SeriesInstanceUID', 'Modality', 'instanceCount', 'series_aws_url'] as const;

export interface IdcSeries {
  collection_id: string;
  PatientID: string;
  StudyInstanceUID: string;
  SeriesInstanceUID: string;
  Modality: string;
  BodyPartExamined: string | null;
  SeriesDescription: string | null;
  instanceCount: number;
  series_size_MB: number | null;
  /** The key prefix of the series' objects (`<uuid>/`). */
  crdc_series_uuid: string;
  /** `s3://<bucket>/<uuid>/*` */
  series_aws_url: string;
  aws_bucket: string;
  source_DOI: string | null;
  license_short_name: string | null;
}

export interface IndexFilter {
  /** IDC collection_id values (lower case). */
  collectionIds?: ReadonlySet<string>;
  /** Upper-case DICOM modalities. */
  modalities?: ReadonlySet<string>;
  /** license_short_name values, compared case-insensitively. */
  licenses?: ReadonlySet<string>;
  seriesUids?: ReadonlySet<string>;
  /** crdc_series_uuid values (s5cmd manifests). */
  seriesUuids?: ReadonlySet<string>;
}

export interface IdcIndex {
  file: string;
  /** `idc_index_data_version` from the file's metadata, when the release put it there. */
  version: string | undefined;
  rows: number;
  /** Matching rows, in file order. */
  series: IdcSeries[];
}

export async function readIdcIndex(file: string, filter: IndexFilter = {}): Promise<IdcIndex> {
  let buf: ArrayBuffer;
  let metadata: FileMetaData;
  try {
    const b = await fsp.readFile(file);
    buf = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    metadata = parquetMetadata(buf);
  } catch (err) {
    throw new InputError('IDC_INDEX_UNREADABLE', `${file} is not a readable Parquet file: ${(err as Error).message}`, {
      hint: 'pass the idc_index.parquet of an idc-index-data release (`index` FILE|URL), or delete the cached copy to download it again',
    });
  }
  const names = new Set(metadata.schema.slice(1).map((s) => s.name));
  const missing = REQUIRED.filter((c) => !names.has(c));
  if (missing.length > 0) {
    throw new InputError('IDC_INDEX_COLUMNS', `${file}: expected the idc_index columns ${REQUIRED.join(', ')}, missing ${missing.join(', ')}`, {
      hint: 'this is not the series index (idc_index.parquet); other idc-index-data tables have other columns',
    });
  }
  const columns = INDEX_COLUMNS.filter((c) => names.has(c));
  const filterCols = filterColumns(filter);
  const out: IdcSeries[] = [];
  let rowStart = 0;
  for (const rg of metadata.row_groups) {
    const rowEnd = rowStart + Number(rg.num_rows);
    const matches = filterCols.length === 0 ? null : matchingRows(await readColumns(buf, metadata, filterCols, rowStart, rowEnd), filter, rowEnd - rowStart);
    if (matches === null || matches.length > 0) {
      const cols = await readColumns(buf, metadata, columns, rowStart, rowEnd);
      for (const i of matches ?? range(rowEnd - rowStart)) out.push(rowOf(cols, i));
    }
    rowStart = rowEnd;
  }
  const version = metadata.key_value_metadata?.find((kv) => kv.key === 'idc_index_data_version')?.value;
  return { file, version: version ?? undefined, rows: Number(metadata.num_rows), series: out };
}

function filterColumns(f: IndexFilter): string[] {
  const cols: string[] = [];
  if (f.collectionIds) cols.push('collection_id');
  if (f.modalities) cols.push('Modality');
  if (f.licenses) cols.push('license_short_name');
  if (f.seriesUids) cols.push('SeriesInstanceUID');
  if (f.seriesUuids) cols.push('crdc_series_uuid');
  return cols;
}

type Columns = Map<string, ArrayLike<unknown>>;

/** Whole columns of the rows [rowStart, rowEnd) (one row group). */
async function readColumns(file: ArrayBuffer, metadata: FileMetaData, columns: readonly string[], rowStart: number, rowEnd: number): Promise<Columns> {
  const parts = new Map<string, Array<{ start: number; data: ArrayLike<unknown> }>>();
  await parquetRead({
    file,
    metadata,
    columns: [...columns],
    rowStart,
    rowEnd,
    compressors,
    onChunk: (c) => {
      const list = parts.get(c.columnName) ?? [];
      list.push({ start: c.rowStart, data: c.columnData });
      parts.set(c.columnName, list);
    },
  });
  const out: Columns = new Map();
  for (const [name, list] of parts) {
    list.sort((a, b) => a.start - b.start);
    const all: unknown[] = [];
    for (const p of list) {
      const skip = Math.max(0, rowStart - p.start);
      for (let i = skip; i < p.data.length && p.start + i < rowEnd; i++) all.push(p.data[i]);
    }
    out.set(name, all);
  }
  return out;
}

function matchingRows(cols: Columns, f: IndexFilter, n: number): number[] {
  const test: Array<(i: number) => boolean> = [];
  const col = (name: string) => cols.get(name) ?? [];
  if (f.collectionIds) {
    const c = col('collection_id');
    test.push((i) => f.collectionIds!.has(String(c[i] ?? '').toLowerCase()));
  }
  if (f.modalities) {
    const c = col('Modality');
    test.push((i) => f.modalities!.has(String(c[i] ?? '').toUpperCase()));
  }
  if (f.licenses) {
    const c = col('license_short_name');
    const wanted = new Set([...f.licenses].map((l) => l.toLowerCase()));
    test.push((i) => wanted.has(String(c[i] ?? '').toLowerCase()));
  }
  if (f.seriesUids) {
    const c = col('SeriesInstanceUID');
    test.push((i) => f.seriesUids!.has(String(c[i] ?? '')));
  }
  if (f.seriesUuids) {
    const c = col('crdc_series_uuid');
    test.push((i) => f.seriesUuids!.has(String(c[i] ?? '')));
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (test.every((t) => t(i))) out.push(i);
  return out;
}

function rowOf(cols: Columns, i: number): IdcSeries {
  const s = (name: string): string | null => {
    const v = cols.get(name)?.[i];
    return v === undefined || v === null || v === '' ? null : String(v);
  };
  const n = (name: string): number | null => {
    const v = cols.get(name)?.[i];
    const x = typeof v === 'bigint' ? Number(v) : typeof v === 'number' ? v : v === null || v === undefined ? NaN : Number(v);
    return Number.isFinite(x) ? x : null;
  };
  const awsUrl = s('series_aws_url') ?? '';
  const parsed = parseS3Url(awsUrl);
  return {
    collection_id: s('collection_id') ?? '',
    PatientID: s('PatientID') ?? '',
    StudyInstanceUID: s('StudyInstanceUID') ?? '',
    SeriesInstanceUID: s('SeriesInstanceUID') ?? '',
    Modality: (s('Modality') ?? '').toUpperCase(),
    BodyPartExamined: s('BodyPartExamined'),
    SeriesDescription: s('SeriesDescription'),
    instanceCount: n('instanceCount') ?? 0,
    series_size_MB: n('series_size_MB'),
    crdc_series_uuid: s('crdc_series_uuid') ?? parsed?.prefix.replace(/\/$/, '') ?? '',
    series_aws_url: awsUrl,
    aws_bucket: s('aws_bucket') ?? parsed?.bucket ?? '',
    source_DOI: s('source_DOI'),
    license_short_name: s('license_short_name'),
  };
}

/** `s3://bucket/uuid/*` (index, s5cmd) → bucket and key prefix (`uuid/`). */
export function parseS3Url(url: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,62})\/([^*\s]*)\*?$/.exec(url.trim());
  if (!m) return undefined;
  return { bucket: m[1]!, prefix: m[2]! };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
