import { parquetWriteBuffer } from 'hyparquet-writer';
import { writeFileAtomic } from '../../core/fsAtomic.ts';
import { INDEX_COLUMNS, type IdcSeries } from '../../idc/index.ts';

/**
 * Writes an `idc_index.parquet` with the real index's columns and types (string columns UTF8,
 * instanceCount INT64, series_size_MB DOUBLE) and its version key in the file metadata. Snappy:
 * hyparquet-writer compresses nothing else without extra packages; the reader takes ZSTD too (the
 * real releases use it).
 */
export function idcIndexParquet(rows: readonly IdcSeries[], version: string, rowGroupSize = 100_000): Uint8Array {
  const columnData = INDEX_COLUMNS.map((name) => {
    if (name === 'instanceCount') return { name, data: rows.map((r) => BigInt(r.instanceCount)), type: 'INT64' as const };
    if (name === 'series_size_MB') return { name, data: rows.map((r) => r.series_size_MB), type: 'DOUBLE' as const };
    return { name, data: rows.map((r) => r[name]), type: 'STRING' as const };
  });
  const buf = parquetWriteBuffer({
    columnData,
    rowGroupSize,
    kvMetadata: [{ key: 'idc_index_data_version', value: version }],
  });
  return new Uint8Array(buf);
}

export async function writeIdcIndexParquet(file: string, rows: readonly IdcSeries[], version: string, rowGroupSize?: number): Promise<void> {
  await writeFileAtomic(file, idcIndexParquet(rows, version, rowGroupSize));
}
