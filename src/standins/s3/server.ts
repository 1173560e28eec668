/**
 * S3 stand-in for IDC's public buckets: path-style `GET|HEAD /<bucket>/<key>` with byte ranges,
 * `GET /<bucket>?list-type=2` (ListObjectsV2: prefix, max-keys, continuation-token, start-after),
 * S3's XML errors (NoSuchBucket, NoSuchKey, AccessDenied, InvalidRange, SlowDown), plus the IDC
 * index as an object (`/idc-index-data-artifacts/current/idc_index.parquet`). Same shared link,
 * latency and seeded faults as the TCIA stand-in: `slowdown` (503 SlowDown), `500`, `reset`
 * (connection dropped mid-body), `truncate` (body shorter than its Content-Length) and `etag` (the
 * body no longer matches its ETag: one byte flipped).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../core/log.ts';
import { buildCatalog } from '../tcia/catalog.ts';
import { listen } from '../server/listen.ts';
import { Wire } from '../server/wire.ts';
import { idcIndexParquet } from './indexParquet.ts';
import { buildIdcContent, type BucketContent, type StoredObject } from './objects.ts';

export const S3_FAULT_KINDS = ['slowdown', '500', 'reset', 'truncate', 'etag'] as const;
export type S3FaultKind = (typeof S3_FAULT_KINDS)[number];
const OBJECT_ONLY: ReadonlySet<S3FaultKind> = new Set(['truncate', 'etag']);

export const INDEX_BUCKET = 'idc-index-data-artifacts';
export const INDEX_KEY = 'current/idc_index.parquet';
export const STAND_IN_INDEX_VERSION = 'stand-in-1';

export interface S3StandInOptions {
  dataDir: string;
  port?: number;
  host?: string;
  bucket?: string;
  /** Keys per ListObjectsV2 page at most (S3: 1000). */
  pageSize?: number;
  /** Every n-th object gets a multipart (`-2`) ETag; 0 = none. */
  multipartEvery?: number;
  latencyMs?: number;
  bandwidthMbps?: number;
  faultRate?: number;
  faults?: S3FaultKind[];
  seed?: number;
  /** Hold every object's bytes in memory (benchmarks: no file read per GET). */
  cacheObjects?: boolean;
  log?: Logger;
}

export interface S3StandIn {
  /** Endpoint URL for `--endpoint` (no trailing slash). */
  url: string;
  /** The generated index as a URL (for `--index`). */
  indexUrl: string;
  bucket: string;
  stats(): { requests: number; bytesSent: number; faults: Record<string, number>; objectGets: Map<string, number> };
  setFaults(o: Pick<S3StandInOptions, 'faultRate' | 'faults' | 'latencyMs' | 'bandwidthMbps'>): void;
  close(): Promise<void>;
}

const XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const LAST_MODIFIED = '2024-01-01T00:00:00.000Z';

export async function startS3StandIn(opts: S3StandInOptions): Promise<S3StandIn> {
  const catalog = await buildCatalog(opts.dataDir, opts.log);
  const built = await buildIdcContent(catalog, { ...(opts.bucket ? { bucket: opts.bucket } : {}), multipartEvery: opts.multipartEvery ?? 0, keepBytes: opts.cacheObjects ?? false });
  const { bucket, content, index } = built;
  const indexBytes = Buffer.from(idcIndexParquet(index, STAND_IN_INDEX_VERSION));
  const buckets = new Map<string, BucketContent>([[bucket, content]]);
  const pageSize = opts.pageSize ?? 1000;
  const wire = new S3Wire(opts.seed ?? 1);
  wire.set(opts); // what opts leaves out keeps the wire's start: no faults, no latency, an open link

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    wire.counters.requests++;
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const [, bucketName = '', ...rest] = url.pathname.split('/');
    const key = rest.map((s) => decodeURIComponent(s)).join('/');
    const isObject = key !== '';
    if (req.method !== 'GET' && req.method !== 'HEAD') return wire.error(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', url.pathname, { Allow: 'GET, HEAD' });
    const fault = wire.pick(isObject);
    if (fault) wire.countFault(fault);
    if (wire.latencyMs > 0) await sleep(wire.latencyMs);
    if (fault === 'slowdown') return wire.error(res, 503, 'SlowDown', 'Please reduce your request rate.', url.pathname);
    if (fault === '500') return wire.error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.', url.pathname);

    if (bucketName === INDEX_BUCKET) {
      if (key !== INDEX_KEY) return wire.error(res, 404, 'NoSuchKey', 'The specified key does not exist.', url.pathname);
      return wire.object(req, res, indexBytes, `"${md5hex(indexBytes)}"`, fault);
    }
    const c = buckets.get(bucketName);
    if (!c) return wire.error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist', `/${bucketName}`);
    if (!isObject) {
      if (url.searchParams.get('list-type') !== '2') return wire.error(res, 403, 'AccessDenied', 'Access Denied (this stand-in lists with list-type=2 only)', `/${bucketName}`);
      return wire.send(res, 200, { 'Content-Type': 'application/xml' }, Buffer.from(listXml(bucketName, c, url.searchParams, pageSize)), fault === 'reset' ? 'reset' : null);
    }
    const o = c.byKey.get(key);
    if (!o) return wire.error(res, 404, 'NoSuchKey', 'The specified key does not exist.', url.pathname);
    if (req.method === 'GET' && !req.headers.range) wire.objectGets.set(key, (wire.objectGets.get(key) ?? 0) + 1);
    return wire.object(req, res, o.bytes ?? (await fs.promises.readFile(o.file)), `"${o.etag}"`, fault);
  };

  const server = await listen(handle, {
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    onError: (_req, res, err) => {
      opts.log?.warn('s3 stand-in: request failed', { error: String(err) });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    },
  });
  return {
    url: server.origin,
    indexUrl: `${server.origin}/${INDEX_BUCKET}/${INDEX_KEY}`,
    bucket,
    stats: () => ({ ...wire.stats(), objectGets: new Map(wire.objectGets) }),
    setFaults: (o) => wire.set(o),
    close: () => server.close(),
  };
}

/** The shared wire (server/wire.ts), and how S3 answers go out through it. */
class S3Wire extends Wire<S3FaultKind> {
  /** Whole-object GETs by key (a rerun after a crash must not fetch a verified object again). */
  readonly objectGets = new Map<string, number>();

  constructor(seed: number) {
    super(seed, S3_FAULT_KINDS, OBJECT_ONLY, 'S3 ');
  }

  /** Sends `body` (or part of it, for faults) with the given status and headers. */
  async send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Buffer, fault: S3FaultKind | null = null): Promise<void> {
    res.writeHead(status, { ...headers, 'Content-Length': String(body.length) });
    if (res.req.method === 'HEAD') return void res.end();
    if (fault === 'reset' || fault === 'truncate') {
      await this.write(res, body.subarray(0, Math.floor(body.length / 2)));
      if (fault === 'reset') res.socket?.resetAndDestroy();
      else res.socket?.end();
      return;
    }
    if (fault === 'etag' && body.length > 0) {
      body = Buffer.from(body);
      body[Math.floor(this.random() * body.length)]! ^= 0xff;
    }
    if (await this.write(res, body)) res.end();
  }

  error(res: http.ServerResponse, status: number, code: string, message: string, resource: string, extra: Record<string, string> = {}): Promise<void> {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${esc(message)}</Message><Resource>${esc(resource)}</Resource><RequestId>STANDIN</RequestId></Error>`;
    return this.send(res, status, { 'Content-Type': 'application/xml', ...extra }, Buffer.from(xml));
  }

  object(req: http.IncomingMessage, res: http.ServerResponse, data: Buffer, etag: string, fault: S3FaultKind | null): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/dicom', ETag: etag, 'Last-Modified': new Date(LAST_MODIFIED).toUTCString(), 'Accept-Ranges': 'bytes' };
    const range = req.headers.range;
    if (!range) return this.send(res, 200, headers, data, fault);
    const r = parseRange(range, data.length);
    if (!r) return this.error(res, 416, 'InvalidRange', 'The requested range is not satisfiable', req.url ?? '', { 'Content-Range': `bytes */${data.length}` });
    return this.send(res, 206, { ...headers, 'Content-Range': `bytes ${r.start}-${r.end}/${data.length}` }, data.subarray(r.start, r.end + 1), fault);
  }
}

/** ListObjectsV2: prefix, max-keys, continuation-token (the last key, base64url), start-after. */
function listXml(name: string, c: BucketContent, q: URLSearchParams, pageSize: number): string {
  const prefix = q.get('prefix') ?? '';
  const max = Math.max(0, Math.min(pageSize, Number(q.get('max-keys') ?? pageSize) || 0));
  const token = q.get('continuation-token');
  const after = token !== null ? Buffer.from(token, 'base64url').toString('utf8') : (q.get('start-after') ?? '');
  let i = lowerBound(c.objects, after > prefix ? after : prefix);
  while (i < c.objects.length && c.objects[i]!.key <= after) i++;
  const page: StoredObject[] = [];
  for (; i < c.objects.length && c.objects[i]!.key.startsWith(prefix) && page.length < max; i++) page.push(c.objects[i]!);
  const truncated = i < c.objects.length && c.objects[i]!.key.startsWith(prefix) && page.length > 0;
  const contents = page.map((o) => `<Contents><Key>${esc(o.key)}</Key><LastModified>${LAST_MODIFIED}</LastModified><ETag>&quot;${o.etag}&quot;</ETag><Size>${o.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`).join('');
  const next = truncated ? `<NextContinuationToken>${Buffer.from(page[page.length - 1]!.key).toString('base64url')}</NextContinuationToken>` : '';
  const tokenEcho = token !== null ? `<ContinuationToken>${esc(token)}</ContinuationToken>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="${XMLNS}"><Name>${esc(name)}</Name><Prefix>${esc(prefix)}</Prefix>${tokenEcho}<KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`;
}

function lowerBound(objects: StoredObject[], key: string): number {
  let lo = 0;
  let hi = objects.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (objects[mid]!.key < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); undefined when unsatisfiable. */
export function parseRange(h: string, size: number): { start: number; end: number } | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(h.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const n = Number(m[2]);
    return n > 0 && size > 0 ? { start: Math.max(0, size - n), end: size - 1 } : undefined;
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return start < size && start <= end ? { start, end } : undefined;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function md5hex(b: Buffer): string {
  return crypto.createHash('md5').update(b).digest('hex');
}
