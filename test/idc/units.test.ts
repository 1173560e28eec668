import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { idcCollectionIdOf as idcCollectionId } from '../../src/curate/manifest.ts';
import { isPlainMd5, parseListPage, parseS3Url, parseS5cmdManifest, readIdcIndex, resolveEndpoint, type IdcSeries } from '../../src/idc/index.ts';
import { idcIndexParquet, parseRange, uuidFrom } from '../../src/standins/s3/index.ts';
import { removeTempDirs, tempDir } from '../tcia/fetchFixture.ts';

afterAll(() => removeTempDirs());

function row(i: number, over: Partial<IdcSeries> = {}): IdcSeries {
  const uuid = uuidFrom(`s${i}`);
  return {
    collection_id: ['lidc_idri', 'rider_pilot', 'tcga_luad'][i % 3]!,
    PatientID: `P${i % 7}`,
    StudyInstanceUID: `1.2.${i >> 1}`,
    SeriesInstanceUID: `1.2.3.${i}`,
    Modality: ['CT', 'MR', 'SEG', 'CR'][i % 4]!,
    BodyPartExamined: i % 5 === 0 ? null : 'CHEST',
    SeriesDescription: null,
    instanceCount: 1 + i,
    series_size_MB: i / 10,
    crdc_series_uuid: uuid,
    series_aws_url: `s3://idc-open-data/${uuid}/*`,
    aws_bucket: 'idc-open-data',
    source_DOI: '10.7937/K9/TCIA.2015.LO9QL9SX',
    license_short_name: i % 2 ? 'CC BY 4.0' : 'CC BY-NC 3.0',
    ...over,
  };
}

describe('IDC index (Parquet)', () => {
  it('reads back what the writer wrote, filtered by collection, modality, licence, UID and uuid, in file order', async () => {
    const rows = Array.from({ length: 300 }, (_, i) => row(i));
    const file = path.join(tempDir('idx'), 'idc_index.parquet');
    fs.writeFileSync(file, idcIndexParquet(rows, 'v99', 64));
    const all = await readIdcIndex(file);
    expect(all.version).toBe('v99');
    expect(all.rows).toBe(300);
    expect(all.series).toEqual(rows);
    const some = await readIdcIndex(file, { collectionIds: new Set(['rider_pilot']), modalities: new Set(['MR']), licenses: new Set(['cc by 4.0']) });
    expect(some.series.map((r) => r.SeriesInstanceUID)).toEqual(rows.filter((r) => r.collection_id === 'rider_pilot' && r.Modality === 'MR' && r.license_short_name === 'CC BY 4.0').map((r) => r.SeriesInstanceUID));
    expect(some.series.length).toBeGreaterThan(0);
    expect((await readIdcIndex(file, { seriesUids: new Set(['1.2.3.299', '1.2.3.5']) })).series.map((r) => r.SeriesInstanceUID)).toEqual(['1.2.3.5', '1.2.3.299']);
    expect((await readIdcIndex(file, { seriesUuids: new Set([rows[7]!.crdc_series_uuid]) })).series).toEqual([rows[7]]);
  });

  it('rejects a Parquet file without the series columns, and a file that is not Parquet', async () => {
    const dir = tempDir('idxbad');
    const junk = path.join(dir, 'junk.parquet');
    fs.writeFileSync(junk, 'not parquet at all');
    await expect(readIdcIndex(junk)).rejects.toMatchObject({ code: 'IDC_INDEX_UNREADABLE', exitCode: 2 });
    const { parquetWriteBuffer } = await import('hyparquet-writer');
    const other = path.join(dir, 'other.parquet');
    fs.writeFileSync(other, new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'collection_id', data: ['x'], type: 'STRING' }] })));
    await expect(readIdcIndex(other)).rejects.toMatchObject({ code: 'IDC_INDEX_COLUMNS' });
  });

  it('maps TCIA collection names to IDC collection_id', () => {
    expect(idcCollectionId('LIDC-IDRI')).toBe('lidc_idri');
    expect(idcCollectionId('RIDER Pilot')).toBe('rider_pilot');
    expect(idcCollectionId('TCGA-LUAD')).toBe('tcga_luad');
    expect(idcCollectionId('lidc_idri')).toBe('lidc_idri');
  });
});

describe('S3 listing XML and URLs', () => {
  it('parses a ListObjectsV2 page with entities, multipart ETags and a continuation token', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>idc-open-data</Name><Prefix>abc/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>
<Contents><Key>abc/a&amp;b.dcm</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;0123456789ABCDEF0123456789abcdef&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents>
<Contents><Key>abc/c.dcm</Key><ETag>"0123456789abcdef0123456789abcdef-12"</ETag><Size>0</Size></Contents>
<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken></ListBucketResult>`;
    const p = parseListPage(xml, 'u');
    expect(p.objects).toEqual([
      { key: 'abc/a&b.dcm', size: 10, etag: '0123456789abcdef0123456789abcdef' },
      { key: 'abc/c.dcm', size: 0, etag: '0123456789abcdef0123456789abcdef-12' },
    ]);
    expect(p.isTruncated).toBe(true);
    expect(p.nextContinuationToken).toBe('1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=');
    expect(isPlainMd5(p.objects[0]!.etag)).toBe(true);
    expect(isPlainMd5(p.objects[1]!.etag)).toBe(false);
    expect(() => parseListPage('<html>hi</html>', 'u')).toThrow(/ListBucketResult/);
  });

  it('parses s5cmd manifest lines and refuses others with the line number', () => {
    const m = parseS5cmdManifest('# from the portal\ncp s3://idc-open-data/0a1b/* .\ncp s3://idc-open-data-two/ff00/* /tmp/x\n\ncp s3://idc-open-data/0a1b/* .\n');
    expect(m.seriesUuids).toEqual(['0a1b', 'ff00']);
    expect(m.buckets.get('ff00')).toBe('idc-open-data-two');
    expect(() => parseS5cmdManifest('cp s3://idc-open-data/x/* .\nrm -rf /\n')).toThrow(ConfigError);
    expect(() => parseS5cmdManifest('cp s3://idc-open-data/x/* .\nrm -rf /\n')).toThrow(/line 2/);
    expect(parseS3Url('s3://idc-open-data/uuid-1/*')).toEqual({ bucket: 'idc-open-data', prefix: 'uuid-1/' });
  });

  it('resolves endpoints and GCS bucket names', () => {
    expect(resolveEndpoint(undefined).url).toBe('https://s3.amazonaws.com');
    const g = resolveEndpoint('gcs');
    expect(g.url).toBe('https://storage.googleapis.com');
    expect(g.bucket('idc-open-data-two')).toBe('idc-open-idc1');
    expect(resolveEndpoint('http://127.0.0.1:9000/').url).toBe('http://127.0.0.1:9000');
    expect(() => resolveEndpoint('ftp://x')).toThrow(ConfigError);
    expect(() => resolveEndpoint('nowhere')).toThrow(/aws, gcs or a URL/);
  });

  it('parses byte ranges as S3 does', () => {
    expect(parseRange('bytes=0-99', 1000)).toEqual({ start: 0, end: 99 });
    expect(parseRange('bytes=900-', 1000)).toEqual({ start: 900, end: 999 });
    expect(parseRange('bytes=-10', 1000)).toEqual({ start: 990, end: 999 });
    expect(parseRange('bytes=0-5000', 1000)).toEqual({ start: 0, end: 999 });
    expect(parseRange('bytes=1000-', 1000)).toBeUndefined();
    expect(parseRange('items=0-1', 1000)).toBeUndefined();
  });
});
