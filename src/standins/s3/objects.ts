/**
 * The S3 stand-in's content: the same synthetic (or any DICOM) collections the TCIA stand-in
 * serves, laid out as IDC lays them out (idc.md): one object per instance under
 * `<crdc_series_uuid>/<crdc_instance_uuid>.dcm` in one bucket, UUIDs derived from the DICOM UIDs so
 * they are stable, ETags = MD5 (every `multipartEvery`-th object gets a multipart `-2` ETag, as
 * large uploads do), and the series index rows in the TCIA stand-in's series order.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import pLimit from 'p-limit';
import { idcCollectionIdOf } from '../../curate/index.ts';
import type { IdcSeries } from '../../idc/index.ts';
import type { Catalog } from '../tcia/catalog.ts';

export interface StoredObject {
  key: string;
  file: string;
  size: number;
  /** Without quotes. */
  etag: string;
  md5: string;
  /** The object's bytes, when the stand-in keeps them in memory. */
  bytes?: Buffer;
}

export interface BucketContent {
  /** Sorted by key (UTF-8 byte order = code-unit order for these ASCII keys). */
  objects: StoredObject[];
  byKey: Map<string, StoredObject>;
}

export const DEFAULT_BUCKET = 'idc-open-data';

/** A UUID-shaped name derived from `text` (version nibble 4, variant 10xx like a random UUID). */
export function uuidFrom(text: string): string {
  const h = crypto.createHash('sha256').update(text).digest();
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export async function buildIdcContent(catalog: Catalog, options: { bucket?: string; multipartEvery?: number; keepBytes?: boolean } = {}): Promise<{ bucket: string; content: BucketContent; index: IdcSeries[] }> {
  const bucket = options.bucket ?? DEFAULT_BUCKET;
  const limit = pLimit(8);
  const objects: StoredObject[] = [];
  const index: IdcSeries[] = [];
  for (const s of catalog.series) {
    const seriesUuid = uuidFrom(`series:${s.seriesUid}`);
    const made = await Promise.all(
      s.images.map((img) =>
        limit(async (): Promise<StoredObject> => {
          const data = await fsp.readFile(img.file);
          const md5 = crypto.createHash('md5').update(data).digest('hex');
          const key = `${seriesUuid}/${uuidFrom(`instance:${img.sopInstanceUid ?? img.relPath}`)}.dcm`;
          return { key, file: img.file, size: data.length, etag: md5, md5, ...(options.keepBytes ? { bytes: data } : {}) };
        }),
      ),
    );
    objects.push(...made);
    const h = s.header;
    const doi = s.collection.dataDescriptionUri?.replace(/^https?:\/\/doi\.org\//i, '') ?? null;
    index.push({
      collection_id: idcCollectionIdOf(s.collection.name),
      PatientID: s.patientId,
      StudyInstanceUID: s.studyUid,
      SeriesInstanceUID: s.seriesUid,
      Modality: h?.modality ?? '',
      BodyPartExamined: h?.bodyPartExamined ?? null,
      SeriesDescription: h?.seriesDescription ?? null,
      instanceCount: s.images.length,
      series_size_MB: Math.round(s.fileSize / 1e4) / 100,
      crdc_series_uuid: seriesUuid,
      series_aws_url: `s3://${bucket}/${seriesUuid}/*`,
      aws_bucket: bucket,
      source_DOI: doi,
      license_short_name: s.collection.licenseShortName,
    });
  }
  objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const every = options.multipartEvery ?? 0;
  if (every > 0) {
    objects.forEach((o, i) => {
      if (i % every === every - 1) o.etag = `${crypto.createHash('md5').update(Buffer.from(o.md5, 'hex')).digest('hex')}-2`;
    });
  }
  return { bucket, content: { objects, byKey: new Map(objects.map((o) => [o.key, o])) }, index };
}
