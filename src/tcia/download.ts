import fsp from 'node:fs/promises';
import type { RunContext } from '../core/context.ts';
import { DataError, isEtlError } from '../core/errors.ts';
import { stableJson, writeJsonAtomic } from '../core/fsAtomic.ts';
import type { PlannedSeries, RawSeriesRecord } from '../core/types.ts';
import type { Gate } from '../http/index.ts';
import type { TciaClient } from './client.ts';
import { seriesLimits, type SeriesLimits } from './seriesLimits.ts';
import { verifySeriesZip, type ZipVerification } from './verifyZip.ts';

/**
 * One planned series → `raw/<Collection>/<SeriesUID>.zip` + sidecar. The ZIP is streamed to a
 * temporary name, verified there, renamed into place, and only then is the sidecar written
 * (atomically): the sidecar is the "verified" marker, so a crash at any moment leaves either a
 * verified pair, or a ZIP without sidecar (verified again on the next run), or a temp file
 * (removed at startup).
 */

export type SeriesStatus = 'verified' | 'skipped' | 'updated' | 'recovered' | 'failed';

export interface SeriesOutcome {
  status: SeriesStatus;
  /** Bytes downloaded in this run (0 when skipped). */
  bytes: number;
  images: number;
  code?: string;
}

export interface SeriesFetchOptions {
  apiUrl: string;
  /** ZIP verification (default: in this thread); fetchTcia passes a worker pool. */
  verify?: (file: string, expectedImages: number, limits?: SeriesLimits) => Promise<ZipVerification>;
  /** Largest image accepted (default MAX_IMAGE_BYTES). */
  maxImageBytes?: number;
  /** Re-hash existing ZIPs instead of the cheap size check. */
  verifyExisting?: boolean;
  onBytes?: (n: number) => void;
  /** Bounds downloads in flight across series; left before verification. */
  gate?: Gate;
}

export async function fetchSeries(client: TciaClient, s: PlannedSeries, ctx: RunContext, options: SeriesFetchOptions): Promise<SeriesOutcome> {
  const zipPath = ctx.paths.rawZip(s.collection, s.seriesUid);
  const sidecarPath = ctx.paths.rawSidecar(s.collection, s.seriesUid);
  const limits = seriesLimits(s.imageCount, s.fileSize, options.maxImageBytes);
  try {
    const existing = await checkExisting(s, zipPath, sidecarPath, options, limits);
    if (existing) return existing;
    let verification: ZipVerification | undefined;
    const got = await client.downloadSeries(s.seriesUid, zipPath, {
      includeMd5: true,
      newFileNames: true,
      ...(s.fileSize !== undefined ? { expectedBytes: s.fileSize } : {}),
      maxBytes: limits.maxZipBytes,
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
      ...(options.gate ? { gate: options.gate } : {}),
      signal: ctx.signal,
      // The verifier reads the whole file anyway (on a worker thread): it hashes it there.
      verify: async (tmp) => {
        verification = await (options.verify ?? verifySeriesZip)(tmp, s.imageCount, limits);
      },
    });
    if (got.attempts > 1) ctx.log.debug(`series ${s.seriesUid} verified after ${got.attempts} attempts`);
    await writeSidecar(sidecarPath, sidecarOf(s, verification!, got.bytes, verification!.zipSha256, options.apiUrl));
    return { status: 'verified', bytes: got.bytes, images: s.imageCount };
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    if (!(err instanceof DataError)) throw err;
    ctx.rejects.record({ stage: 'fetch', key: s.seriesUid, dataset: s.dataset, seriesUid: s.seriesUid, file: zipPath, error: err });
    ctx.log.warn(`series ${s.seriesUid} failed: ${err.code}`, { dataset: s.dataset });
    return { status: 'failed', bytes: 0, images: 0, code: err.code };
  }
}

/** What is already on disk for this series, or undefined when it must be downloaded. */
async function checkExisting(s: PlannedSeries, zipPath: string, sidecarPath: string, options: SeriesFetchOptions, limits: SeriesLimits): Promise<SeriesOutcome | undefined> {
  const zipSize = await fsp.stat(zipPath).then((st) => st.size, () => undefined);
  if (zipSize === undefined) return undefined;
  const sidecar = await readSidecar(sidecarPath);
  if (sidecar && sidecar.seriesUid === s.seriesUid && sidecar.zipBytes === zipSize && sidecar.imageCount === s.imageCount) {
    if (options.verifyExisting) {
      const ok = await verifySeriesZip(zipPath, s.imageCount, limits).then((v) => v.zipSha256 === sidecar.zipSha256, () => false);
      if (!ok) return undefined;
    }
    if (stableJson(sidecar.planned) === stableJson(s)) return { status: 'skipped', bytes: 0, images: s.imageCount };
    // Same data, new plan entry (new cap, label, location): rewrite only the sidecar's `planned`.
    await writeSidecar(sidecarPath, { ...sidecar, planned: s });
    return { status: 'updated', bytes: 0, images: s.imageCount };
  }
  // A ZIP under its final name was verified before the rename; a crash before the sidecar only
  // lost the marker. Verify it against the current plan and write the sidecar.
  try {
    const v = await verifySeriesZip(zipPath, s.imageCount, limits);
    await writeSidecar(sidecarPath, sidecarOf(s, v, zipSize, v.zipSha256, sidecar?.apiUrl ?? options.apiUrl));
    return { status: 'recovered', bytes: 0, images: s.imageCount };
  } catch (err) {
    if (!isEtlError(err)) throw err;
    return undefined;
  }
}

function sidecarOf(s: PlannedSeries, v: ZipVerification, zipBytes: number, zipSha256: string, apiUrl: string): RawSeriesRecord {
  return {
    version: 1,
    collection: s.collection,
    seriesUid: s.seriesUid,
    imageCount: v.imageCount,
    zipBytes,
    zipSha256,
    md5Verified: v.md5Verified,
    entries: v.entries,
    downloadedAt: new Date().toISOString(),
    apiUrl,
    planned: s,
  };
}

async function writeSidecar(file: string, rec: RawSeriesRecord): Promise<void> {
  await writeJsonAtomic(file, rec);
}

export async function readSidecar(file: string): Promise<RawSeriesRecord | undefined> {
  try {
    const v = JSON.parse(await fsp.readFile(file, 'utf8')) as RawSeriesRecord;
    return v && v.version === 1 && typeof v.zipBytes === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
