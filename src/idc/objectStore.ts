import crypto from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { DataError, asEnvironmentError } from '../core/errors.ts';
import { AtomicFile } from '../core/fsAtomic.ts';
import type { Logger } from '../core/log.ts';
import { DOWNLOAD_LIMITS, HttpClient, METADATA_LIMITS, downloadDeadlineMs, type Gate, type OpenResponse, type RequestLimits, type RetryPolicy } from '../http/index.ts';
import { isPlainMd5, parseListPage, s3ErrorText, type ListedObject } from './listXml.ts';
import type { ByteSink } from './seriesStore.ts';

/**
 * Anonymous S3 (or GCS XML API) client over src/http (retries, backoff, Retry-After, deadlines,
 * minimum throughput, size limits): ListObjectsV2 with paging, ranged GETs, and object downloads
 * that are checked for size and — where the ETag is a plain MD5 — for MD5 before they are renamed
 * into place. Requests are path-style: `<endpoint>/<bucket>/<key>`.
 */

export interface ObjectStoreOptions {
  endpoint: string;
  retry?: Partial<RetryPolicy>;
  maxSockets?: number;
  log?: Logger;
  signal?: AbortSignal;
}

export interface DownloadedObject {
  bytes: number;
  md5: string;
  crc32: number;
  /** The ETag was a plain MD5 and matched. */
  md5Verified: boolean;
}

/** A listing page is at most 1000 keys (~350 kB of XML). */
const LIST_LIMITS: RequestLimits = { ...METADATA_LIMITS, maxBytes: 16 * 1024 * 1024 };
const WRITE_BATCH = 1 << 20;

export class ObjectStore {
  readonly endpoint: string;
  private readonly http: HttpClient;
  private readonly options: ObjectStoreOptions;

  constructor(o: ObjectStoreOptions) {
    this.endpoint = o.endpoint.replace(/\/+$/, '');
    this.options = o;
    // Every request listens on the run's signal, also while it waits for a slot: all objects of the
    // series in flight (thousands for large series), so the count is bounded by the plan, not by Node's 10.
    if (o.signal) setMaxListeners(0, o.signal);
    this.http = new HttpClient({ baseUrl: this.endpoint, maxSockets: o.maxSockets ?? 64, ...opt(o) });
  }

  close(): void {
    this.http.close();
  }

  /** Every object under `prefix`, in key order, following continuation tokens. */
  async list(bucket: string, prefix: string): Promise<ListedObject[]> {
    const out: ListedObject[] = [];
    let token: string | undefined;
    for (let page = 0; ; page++) {
      const params: Record<string, string> = { 'list-type': '2', prefix, ...(token ? { 'continuation-token': token } : {}) };
      const body = await this.http.text({ path: encodeURIComponent(bucket), params, limits: LIST_LIMITS }).catch(s3Error);
      const p = parseListPage(body, this.http.urlOf(bucket, params));
      out.push(...p.objects);
      if (!p.isTruncated) break;
      if (!p.nextContinuationToken) throw new DataError('S3_UNEXPECTED', `listing ${bucket}/${prefix}: IsTruncated without NextContinuationToken`);
      if (page > 100_000) throw new DataError('S3_UNEXPECTED', `listing ${bucket}/${prefix}: more than 100,000 pages`);
      token = p.nextContinuationToken;
    }
    return out;
  }

  /** The first `bytes` bytes of an object (a DICOM header), by a Range request. */
  getPrefix(bucket: string, key: string, bytes: number, size: number, gate?: Gate): Promise<Buffer> {
    const want = Math.min(bytes, size);
    const limits: RequestLimits = { ...DOWNLOAD_LIMITS, maxBytes: want };
    const spec = { path: keyPath(bucket, key), headers: { Range: `bytes=0-${want - 1}` }, accept: [200, 206], limits, ...(gate ? { gate } : {}) };
    return this.http
      .request(spec, async (res) => {
        const chunks: Buffer[] = [];
        let n = 0;
        for await (const c of res.body) {
          chunks.push(c);
          n += c.length;
          if (n >= want) break;
        }
        const buf = Buffer.concat(chunks);
        if (buf.length < want) throw new DataError('BODY_TRUNCATED', `got ${buf.length} of ${want} bytes of ${res.url}`);
        return buf.subarray(0, want);
      })
      .catch(s3Error);
  }

  /**
   * Object → `sink` (a fresh one per attempt), which digests what it stored (MD5, CRC-32); the size
   * and, for a plain-MD5 ETag, the MD5 must match the listing, else the attempt fails and is retried
   * like a transport failure. `gate` bounds attempts in flight: it is left once the body is read, so
   * neither digesting nor a retry's backoff holds a slot.
   */
  download(bucket: string, key: string, expected: { size: number; etag: string }, sink: () => ByteSink, o: { onBytes?: (n: number) => void; gate?: Gate } = {}): Promise<DownloadedObject> {
    const limits: RequestLimits = { ...DOWNLOAD_LIMITS, deadlineMs: downloadDeadlineMs(expected.size), maxBytes: expected.size };
    const spec = { path: keyPath(bucket, key), limits, ...(o.gate ? { gate: o.gate } : {}) };
    return this.http
      .request(spec, async (res) => {
        const out = sink();
        let bytes = 0;
        let digest;
        try {
          for await (const buf of res.body) {
            bytes += buf.byteLength;
            o.onBytes?.(buf.byteLength);
            await out.write(buf);
          }
          res.release();
          digest = await out.close();
        } catch (err) {
          if (bytes > 0) o.onBytes?.(-bytes);
          throw err;
        }
        const { md5, crc32 } = digest;
        const plain = isPlainMd5(expected.etag);
        const bad =
          bytes !== expected.size
            ? new DataError('BODY_TRUNCATED', `${res.url}: got ${bytes} bytes, the listing says ${expected.size}`, { details: { url: res.url } })
            : plain && md5 !== expected.etag
              ? new DataError('MD5_MISMATCH', `${res.url}: MD5 ${md5}, the ETag says ${expected.etag}`, { details: { url: res.url, got: md5, expected: expected.etag } })
              : undefined;
        if (bad) {
          if (bytes > 0) o.onBytes?.(-bytes);
          throw bad;
        }
        return { bytes, md5, crc32, md5Verified: plain };
      })
      .catch(s3Error);
  }

  /** A whole URL (the index file) → `dest`, atomically; checked against a plain-MD5 ETag when the server sends one. */
  async downloadUrl(url: string, dest: string, maxBytes = 4 * 1024 * 1024 * 1024): Promise<{ bytes: number }> {
    const u = new URL(url);
    const slash = u.pathname.lastIndexOf('/');
    const client = new HttpClient({ baseUrl: `${u.origin}${u.pathname.slice(0, slash)}`, ...opt(this.options) });
    try {
      const limits: RequestLimits = { ...DOWNLOAD_LIMITS, deadlineMs: 60 * 60_000, maxBytes };
      return await client.request({ path: u.pathname.slice(slash + 1) + u.search, limits }, async (res) => {
        const got = await toFile(res, dest);
        const etag = String(res.headers.etag ?? '').replace(/"/g, '').toLowerCase();
        if (isPlainMd5(etag) && etag !== got.md5) {
          await got.file.abort();
          throw new DataError('MD5_MISMATCH', `${url}: MD5 ${got.md5}, the ETag says ${etag}`, { details: { url } });
        }
        await got.file.commit();
        return { bytes: got.bytes };
      });
    } finally {
      client.close();
    }
  }

  /** A small JSON document (a release description). */
  async json(url: string): Promise<unknown> {
    const u = new URL(url);
    const client = new HttpClient({ baseUrl: u.origin, ...opt(this.options) });
    try {
      const text = await client.text({ path: u.pathname.slice(1) + u.search, limits: { ...METADATA_LIMITS, maxBytes: 4 * 1024 * 1024 } });
      try {
        return JSON.parse(text);
      } catch {
        throw new DataError('BODY_TRUNCATED', `unparseable JSON from ${url}`);
      }
    } finally {
      client.close();
    }
  }
}

function opt(o: ObjectStoreOptions) {
  return { ...(o.retry ? { retry: o.retry } : {}), ...(o.log ? { log: o.log } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}

function keyPath(bucket: string, key: string): string {
  return [bucket, ...key.split('/')].map(encodeURIComponent).join('/');
}

/** S3 answers errors as XML: put its Code and Message into the error's text. */
function s3Error(err: unknown): never {
  const e = err as { status?: number; body?: string; message?: string };
  if (typeof e?.status === 'number' && typeof e.body === 'string' && e.body.includes('<Code>')) {
    e.message = `${e.message?.split(': <')[0] ?? ''}: ${s3ErrorText(e.body)}`;
  }
  throw err;
}

/** The body streamed into a temporary file next to `dest`, with its size and MD5 (not committed yet). */
async function toFile(res: OpenResponse, dest: string): Promise<{ file: AtomicFile; bytes: number; md5: string }> {
  const file = await AtomicFile.open(dest).catch((err: unknown) => {
    throw asEnvironmentError(err, dest) ?? err;
  });
  const hash = crypto.createHash('md5');
  let bytes = 0;
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const buf of res.body) {
      hash.update(buf);
      pending.push(buf);
      pendingBytes += buf.byteLength;
      bytes += buf.byteLength;
      if (pendingBytes >= WRITE_BATCH) {
        await file.writev(pending);
        pending = [];
        pendingBytes = 0;
      }
    }
    if (pendingBytes > 0) await file.writev(pending);
  } catch (err) {
    await file.abort();
    throw asEnvironmentError(err, file.tempPath) ?? err;
  }
  return { file, bytes, md5: hash.digest('hex') };
}
