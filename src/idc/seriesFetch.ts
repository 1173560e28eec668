import fsp from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { DataError, isEtlError } from '../core/errors.ts';
import { stableJson, writeJsonAtomic } from '../core/fsAtomic.ts';
import type { PlannedSeries, RawSeriesRecord } from '../core/types.ts';
import { readDicomHeader, skipReason } from '../preprocess/index.ts';
import { readSidecar, verifySeriesZip, type SeriesOutcome } from '../tcia/index.ts';
import { isPlainMd5, type ListedObject } from './listXml.ts';
import type { ObjectStore } from './objectStore.ts';
import type { DigestPool } from './digestPool.ts';
import { SeriesStore } from './seriesStore.ts';
import type { Gate } from '../http/index.ts';

/**
 * One planned series from IDC → `raw/<Collection>/<SeriesUID>.zip` + sidecar, like a TCIA series.
 * The series is listed (ListObjectsV2), the listing must hold exactly `instanceCount` objects, and
 * each needed object streams into its slot of the series store in `raw/<Collection>/.<SeriesUID>.parts/`
 * (seriesStore.ts), checked on the way (size; MD5 where the ETag is one) and journalled: a verified
 * object survives a kill and is never fetched again. When every needed object is there, the store is
 * closed, synced and renamed into place, then the sidecar — the "verified" marker — is written and the
 * parts folder goes.
 */

/** Where a series' objects are. */
export interface SeriesLocation {
  bucket: string;
  /** `<crdc_series_uuid>/` */
  prefix: string;
}

export interface IdcSeriesOptions {
  store: ObjectStore;
  /** Shared by all series: bounds object requests in flight across the whole fetch. */
  gate: Gate;
  /** Shared by all series: MD5, CRC-32 and SHA-256 on worker threads. */
  digests: DigestPool;
  verifyExisting?: boolean;
  onBytes?: (n: number) => void;
}

/** Header bytes read (Range GET) to order instances when a cap cuts the series. */
const HEADER_PREFIX = 64 * 1024;
const CHOICE = 'choice.json';

export async function fetchIdcSeries(s: PlannedSeries, loc: SeriesLocation, ctx: RunContext, o: IdcSeriesOptions): Promise<SeriesOutcome> {
  const zipPath = ctx.paths.rawZip(s.collection, s.seriesUid);
  const sidecarPath = ctx.paths.rawSidecar(s.collection, s.seriesUid);
  const partsDir = ctx.paths.rawParts(s.collection, s.seriesUid);
  const sourceUrl = `${o.store.endpoint}/${loc.bucket}/${loc.prefix}`;
  try {
    const existing = await checkExisting(s, zipPath, sidecarPath, sourceUrl, o.verifyExisting ?? false);
    if (existing) {
      // A kill between the ZIP's rename (or its sidecar) and this removal left the parts folder behind.
      await fsp.rm(partsDir, { recursive: true, force: true });
      return existing;
    }
    // The store's files open while the listing's round trip is under way.
    const files = SeriesStore.prepare(partsDir);
    files.catch(() => undefined); // its error is thrown where it is awaited, after the listing
    let store: SeriesStore | undefined;
    let bytes = 0;
    let zip;
    let allMd5 = false;
    try {
      const listed = await o.store.list(loc.bucket, loc.prefix);
      if (listed.length !== s.imageCount) {
        throw new DataError('IDC_COUNT_MISMATCH', `${sourceUrl}: ${listed.length} objects listed, the index says instanceCount ${s.imageCount}`, {
          hint: 'the bucket and the index disagree (a newer or older release?); use the index of the same IDC release',
          details: { got: listed.length, expected: s.imageCount },
        });
      }
      await files;
      const needed = s.keep < listed.length ? await chooseInstances(s, loc, listed, partsDir, o) : listed;
      store = await SeriesStore.open(files, needed.map((obj) => ({ name: path.posix.basename(obj.key), size: obj.size })), o.digests);
      const into = store;
      // allSettled: the store stays open until no download of this series writes into it.
      const settled = await Promise.allSettled(
        needed.map(async (obj) => {
          const name = path.posix.basename(obj.key);
          if (into.stored(name)) return;
          const got = await o.store.download(loc.bucket, obj.key, obj, () => into.sink(name), { gate: o.gate, ...(o.onBytes ? { onBytes: o.onBytes } : {}) });
          bytes += got.bytes;
          await into.accept(name, got);
        }),
      );
      const failed = settled.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
      zip = await store.finish(zipPath);
      // Every object was checked against its listed size; against its MD5 where every ETag is one.
      allMd5 = needed.every((n) => isPlainMd5(n.etag));
    } finally {
      // A store closes its files; files no store took are closed (and their new folder removed) here.
      await (store ? store.close() : files.then(SeriesStore.discard, () => undefined));
    }
    await writeJsonAtomic(sidecarPath, sidecarOf(s, zip.entries, zip, allMd5, sourceUrl));
    await fsp.rm(partsDir, { recursive: true, force: true });
    return { status: 'verified', bytes, images: s.keep };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (!(err instanceof DataError)) throw err;
    ctx.rejects.record({ stage: 'fetch', key: s.seriesUid, dataset: s.dataset, seriesUid: s.seriesUid, file: zipPath, error: err });
    ctx.log.warn(`series ${s.seriesUid} failed: ${err.code}`, { dataset: s.dataset });
    return { status: 'failed', bytes: 0, images: 0, code: err.code };
  }
}

/**
 * The first `keep` image instances by InstanceNumber, then SOPInstanceUID — the order preprocess
 * uses for a cut series — from each object's header (a Range GET). Non-image objects are not
 * fetched. The choice is kept in the parts folder so a resumed run does not read headers again.
 */
async function chooseInstances(s: PlannedSeries, loc: SeriesLocation, listed: ListedObject[], partsDir: string, o: IdcSeriesOptions): Promise<ListedObject[]> {
  const choiceFile = path.join(partsDir, CHOICE);
  const byKey = new Map(listed.map((l) => [l.key, l]));
  try {
    const saved = JSON.parse(await fsp.readFile(choiceFile, 'utf8')) as { keep: number; keys: string[] };
    if (saved.keep === s.keep && saved.keys.every((k) => byKey.has(k))) return saved.keys.map((k) => byKey.get(k)!);
  } catch {
    // no saved choice
  }
  const ranked = await Promise.all(
    listed.map(async (obj) => {
      const head = await o.store.getPrefix(loc.bucket, obj.key, HEADER_PREFIX, obj.size, o.gate);
      try {
        const h = readDicomHeader(head);
        return skipReason(h) === null ? { obj, instance: h.instanceNumber ?? Infinity, sop: h.sopInstanceUid } : undefined;
      } catch {
        return undefined; // not DICOM, or a header longer than the prefix: never ranked first
      }
    }),
  );
  const images = ranked.filter((r): r is NonNullable<typeof r> => r !== undefined);
  images.sort((a, b) => a.instance - b.instance || (a.sop < b.sop ? -1 : a.sop > b.sop ? 1 : 0));
  const keys = images.slice(0, s.keep).map((r) => r.obj.key);
  await writeJsonAtomic(choiceFile, { keep: s.keep, keys });
  return keys.map((k) => byKey.get(k)!);
}

async function checkExisting(s: PlannedSeries, zipPath: string, sidecarPath: string, sourceUrl: string, verifyExisting: boolean): Promise<SeriesOutcome | undefined> {
  const zipSize = await fsp.stat(zipPath).then((st) => st.size, () => undefined);
  if (zipSize === undefined) return undefined;
  const expected = Math.min(s.keep, s.imageCount);
  const sidecar = await readSidecar(sidecarPath);
  if (sidecar && sidecar.seriesUid === s.seriesUid && sidecar.zipBytes === zipSize && sidecar.planned.keep === s.keep && sidecar.imageCount === expected) {
    if (verifyExisting) {
      const ok = await verifySeriesZip(zipPath, expected).then((v) => v.zipSha256 === sidecar.zipSha256, () => false);
      if (!ok) return undefined;
    }
    if (stableJson(sidecar.planned) === stableJson(s)) return { status: 'skipped', bytes: 0, images: expected };
    await writeJsonAtomic(sidecarPath, { ...sidecar, planned: s });
    return { status: 'updated', bytes: 0, images: expected };
  }
  // The ZIP was complete before its rename; a crash before the sidecar only lost the marker.
  try {
    const v = await verifySeriesZip(zipPath, expected);
    const zip = { bytes: zipSize, sha256: v.zipSha256 };
    await writeJsonAtomic(sidecarPath, sidecarOf(s, v.entries, zip, v.md5Verified, sourceUrl));
    return { status: 'recovered', bytes: 0, images: expected };
  } catch (err) {
    if (!isEtlError(err)) throw err;
    return undefined;
  }
}

function sidecarOf(s: PlannedSeries, entries: RawSeriesRecord['entries'], zip: { bytes: number; sha256: string }, md5Verified: boolean, sourceUrl: string): RawSeriesRecord {
  return {
    version: 1,
    collection: s.collection,
    seriesUid: s.seriesUid,
    imageCount: entries.length,
    zipBytes: zip.bytes,
    zipSha256: zip.sha256,
    md5Verified,
    entries: [...entries].sort((a, b) => (a.name < b.name ? -1 : 1)),
    downloadedAt: new Date().toISOString(),
    apiUrl: sourceUrl,
    source: 'idc',
    planned: s,
  };
}
