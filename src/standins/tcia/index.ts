/**
 * TCIA stand-in: serves NBIA API v4 (`/nbia-api/services/v4/<endpoint>`) from a folder of DICOM
 * collections with the real server's behaviour (tcia-api.md §2–§6), plus seeded fault injection,
 * first-byte latency and a shared-bandwidth link, so clients are built and benchmarked against the
 * spec rather than against a friendly mock.
 *
 * Deliberate choices: JSON escapes `/` as `\/` like Jettison 1.1 (any parser reads both);
 * `v1/getImage` is served for MONAI-style clients (no parameter validation, no IncludeMD5).
 */
import fs from 'node:fs';
import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, messageOf } from '../../core/errors.ts';
import type { Logger } from '../../core/log.ts';
import { buildCatalog, type Catalog } from './catalog.ts';
import { ENDPOINTS, SERVER_ERROR, SERVER_ERROR_NULL, invalidParamReply, type Endpoint, type Params, type Reply } from './endpoints.ts';
import { FAULT_KINDS, SERVICE_UNAVAILABLE_HTML, ZIP_ONLY, type FaultKind } from './faults.ts';
import { toHtml, toJson, toCsvQuoted, toValueCsv, toValueHtml, toValueXml, toXml, type Column } from './format.ts';
import { listen } from '../server/listen.ts';
import { Wire } from '../server/wire.ts';
import { seriesZip, type SeriesZipOptions } from './seriesZip.ts';
import { ZipCache, type ZipAnswer } from './zipCache.ts';

export type { FaultKind } from './faults.ts';
export { FAULT_KINDS } from './faults.ts';
export { listCollectionDirs } from './catalog.ts';

export interface StandInOptions {
  dataDir: string;
  /** 0 = a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Delay before each response's first byte. */
  latencyMs?: number;
  /** Capacity of one link shared by all connections (Mbit/s); unset = unlimited. */
  bandwidthMbps?: number;
  /** Probability per request of injecting one of `faults`. */
  faultRate?: number;
  faults?: FaultKind[];
  seed?: number;
  /**
   * Deflate level of getImage ZIPs, 1–9 (default 6 like the real server's java.util.zip). Lower
   * levels let a small benchmark machine fill a fast link: deflate is CPU-bound.
   */
  zipCompressionLevel?: number;
  /**
   * Keep up to this many MB of getImage answers in memory (0/unset = none), each built on its
   * first request. For benchmarks: after a warm-up pass the client is measured, not the stand-in's
   * deflate.
   */
  zipCacheMb?: number;
  log?: Logger;
}

export interface StandInServer {
  /** e.g. `http://127.0.0.1:PORT/nbia-api/services/v4` (no trailing slash). */
  url: string;
  port: number;
  stats(): { requests: number; bytesSent: number; faults: Record<string, number> };
  setFaults(o: Pick<StandInOptions, 'faultRate' | 'faults' | 'latencyMs' | 'bandwidthMbps'>): void;
  /** Re-scan dataDir (new series appeared). */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export const API_PREFIX = '/nbia-api/services';

interface Rendered {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** v1 getImage: same ZIP as v4 without IncludeMD5; v1 does not validate parameter names. */
const V1_GET_IMAGE: Endpoint = {
  ...ENDPOINTS.getImage!,
  handle: (p, ctx) => {
    const reply = ENDPOINTS.getImage!.handle(p, ctx);
    return reply.kind === 'zip' ? { ...reply, includeMd5: false } : reply;
  },
};

const MAX_FORM_BYTES = 64 * 1024 * 1024;

export async function startStandIn(opts: StandInOptions): Promise<StandInServer> {
  const log = opts.log;
  const scanStart = performance.now();
  let catalog: Catalog = await buildCatalog(opts.dataDir, log);
  const scanSeconds = (performance.now() - scanStart) / 1000;
  const compressionLevel = opts.zipCompressionLevel ?? 6;
  if (!Number.isInteger(compressionLevel) || compressionLevel < 1 || compressionLevel > 9) {
    throw new ConfigError(`zip compression level must be an integer 1–9, got ${compressionLevel}`);
  }
  const wire = new Wire<FaultKind>(opts.seed ?? 1, FAULT_KINDS, ZIP_ONLY);
  wire.set(opts); // what opts leaves out keeps the wire's start: no faults, no latency, an open link
  const cache = opts.zipCacheMb ? new ZipCache(compressionLevel, opts.zipCacheMb * 1e6) : undefined;
  const send = new Sender(wire, compressionLevel, cache, log);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    wire.counters.requests++;
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const m = /^\/nbia-api\/services\/(v1|v4)\/([^/]+)\/?$/.exec(url.pathname);
    const version = m?.[1];
    const name = m?.[2] ?? '';
    const ep = version === 'v4' ? (Object.hasOwn(ENDPOINTS, name) ? ENDPOINTS[name] : undefined) : name === 'getImage' && version === 'v1' ? V1_GET_IMAGE : undefined;
    if (!ep) return send.rendered(res, text(404, 'Not Found', 'text/plain'), false);
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method !== ep.method) return send.rendered(res, { ...text(405, 'Method Not Allowed', 'text/plain'), headers: { 'Content-Type': 'text/plain', Allow: ep.method } }, false);

    const form = ep.method === 'POST';
    const params = paramsOf(form ? new URLSearchParams(await readBody(req)) : url.searchParams);
    const fault = wire.pick(!!ep.zip);
    if (wire.latencyMs > 0) await sleep(wire.latencyMs);
    if (fault === '429' || fault === '500' || fault === '503') {
      wire.countFault(fault);
      return send.rendered(res, faultResponse(fault), false);
    }

    const unknown = version === 'v4' ? params.names().find((p) => !ep.allowed.includes(p)) : undefined;
    const origin = `http://${req.headers.host ?? 'localhost'}`;
    const reply = unknown !== undefined ? invalidParamReply(unknown, ep.allowed, form) : ep.handle(params, { catalog, origin });
    if (reply.kind === 'zip') return send.zip(res, reply, fault);
    if (fault === 'reset') wire.countFault(fault);
    if (reply.kind === 'file') {
      const body = await fs.promises.readFile(reply.file);
      return send.rendered(res, { status: 200, headers: { 'Content-Type': reply.contentType, ...reply.headers }, body }, fault === 'reset');
    }
    return send.rendered(res, render(reply), fault === 'reset');
  };

  const server = await listen(handle, {
    ...(opts.port !== undefined ? { port: opts.port } : {}),
    ...(opts.host !== undefined ? { host: opts.host } : {}),
    onError: (req, res, err) => {
      log?.error('stand-in: request failed', { url: req.url, error: messageOf(err) });
      if (!res.headersSent) {
        const body = Buffer.from(`${SERVER_ERROR}\n${messageOf(err)}`);
        res.writeHead(500, { 'Content-Type': 'text/plain', 'Content-Length': String(body.length) });
        res.end(body);
      } else res.destroy();
    },
  });
  log?.info(
    `stand-in: indexed ${catalog.collections.length} collections, ${catalog.series.length} series, ` +
      `${catalog.series.reduce((n, s) => n + s.images.length, 0)} files in ${scanSeconds.toFixed(1)} s`,
  );
  return {
    url: `${server.origin}${API_PREFIX}/v4`,
    port: server.port,
    stats: () => wire.stats(),
    setFaults: (o) => wire.set(o),
    async reload() {
      catalog = await buildCatalog(opts.dataDir, log);
    },
    close: () => server.close(),
  };
}

/** Turns replies into bytes on the wire: rendered bodies, getImage ZIPs (cached or live), faults. */
class Sender {
  constructor(
    private readonly wire: Wire<FaultKind>,
    private readonly compressionLevel: number,
    private readonly cache: ZipCache | undefined,
    private readonly log: Logger | undefined,
  ) {}

  async rendered(res: http.ServerResponse, r: Rendered, reset: boolean): Promise<void> {
    if (reset) {
      const half = r.body.subarray(0, Math.floor(r.body.length / 2));
      if (half.length === 0) {
        res.socket?.destroy();
        return;
      }
      res.writeHead(r.status, { ...r.headers, 'Content-Length': String(r.body.length) });
      await this.wire.write(res, half);
      res.socket?.destroy();
      return;
    }
    res.writeHead(r.status, { ...r.headers, 'Content-Length': String(r.body.length) });
    if (r.body.length > 0 && res.req.method !== 'HEAD') await this.wire.write(res, r.body);
    res.end();
  }

  async zip(res: http.ServerResponse, reply: Extract<Reply, { kind: 'zip' }>, fault: FaultKind | null): Promise<void> {
    const n = reply.series.images.length;
    const answer: ZipAnswer = { license: reply.license, newFileNames: reply.newFileNames, includeMd5: reply.includeMd5 };
    const zipOpts: SeriesZipOptions = { ...answer, compressionLevel: this.compressionLevel };
    if (fault === 'short') zipOpts.limitImages = Math.floor(this.wire.random() * n);
    if ((fault === 'truncate' || fault === 'reset') && n > 0) zipOpts.cutAtImage = Math.floor(this.wire.random() * n);
    if (fault && (fault !== 'truncate' || n > 0)) this.wire.countFault(fault);
    // Chunked, no Content-Length: the real server does not know the size before the ZIP is written.
    const head = { 'Content-Type': 'application/octet-stream', 'Content-Disposition': `attachment; filename="${reply.series.seriesUid}.zip"` };
    const cached = fault === null && this.cache ? await this.cache.fill(reply.series, answer) : undefined;
    if (cached) {
      res.writeHead(200, head);
      if (await this.wire.write(res, cached)) res.end();
      return;
    }
    const zip = seriesZip(reply.series, zipOpts);
    res.writeHead(200, head);
    try {
      for await (const chunk of zip.stream) {
        if (!(await this.wire.write(res, chunk as Buffer))) break;
      }
    } catch (err) {
      this.log?.debug('stand-in: zip stream ended early', { error: messageOf(err) });
    } finally {
      zip.cancel();
    }
    if (fault === 'reset' && zipOpts.cutAtImage !== undefined) res.socket?.destroy();
    else if (!res.destroyed) res.end();
  }
}

function text(status: number, body: string, contentType?: string): Rendered {
  return { status, headers: contentType ? { 'Content-Type': contentType } : {}, body: Buffer.from(body, 'utf8') };
}

const EMPTY: Rendered = { status: 200, headers: {}, body: Buffer.alloc(0) };
const DOWNLOAD_HEADER = { 'Content-Disposition': 'attachment; filename="SeriesMetaData.csv"' };

/** getData.formatResponse: empty → 200 with no body; then by `format` (case-insensitive). */
export function render(reply: Exclude<Reply, { kind: 'zip' } | { kind: 'file' }>): Rendered {
  if (reply.kind === 'text') {
    const r = text(reply.status, reply.body, reply.contentType);
    return { ...r, headers: { ...r.headers, ...reply.headers } };
  }
  const format = reply.format?.toLowerCase();
  if (reply.kind === 'rows') {
    if (reply.rows.length === 0) return EMPTY;
    const { cols, rows } = reply;
    switch (format) {
      case undefined:
      case 'json':
        return text(200, toJson(cols, rows), 'application/json');
      case 'html':
        return text(200, toHtml(cols, rows), 'text/html');
      case 'xml':
        return text(200, toXml(cols, rows), 'application/xml');
      case 'csv':
      case 'csvquoted':
        return text(200, toCsvQuoted(cols, rows), 'text/csv');
      case 'csv-download':
        return { ...text(200, toCsvQuoted(cols, rows), 'text/csv'), headers: { 'Content-Type': 'text/csv', ...DOWNLOAD_HEADER } };
      default:
        return text(500, SERVER_ERROR, 'text/plain');
    }
  }
  if (reply.values.length === 0) return EMPTY;
  const col: Column[] = [{ name: reply.column, type: 'str' }];
  switch (format) {
    case undefined:
    case 'json':
      return text(200, toJson(col, reply.values.map((v) => [v])), 'application/json');
    case 'html':
      return text(200, toValueHtml(reply.column, reply.values), 'text/html');
    case 'xml':
      return text(200, toValueXml(reply.column, reply.values), 'application/xml');
    case 'csv':
      return text(200, toValueCsv(reply.column, reply.values), 'text/csv');
    case 'csv-download':
      return { ...text(200, toValueCsv(reply.column, reply.values)), headers: { 'Content-Type': 'application/force-download', ...DOWNLOAD_HEADER } };
    default:
      return text(500, SERVER_ERROR, 'text/plain');
  }
}

function faultResponse(kind: '429' | '500' | '503'): Rendered {
  if (kind === '429') return { ...text(429, 'Too Many Requests', 'text/plain'), headers: { 'Content-Type': 'text/plain', 'Retry-After': '1' } };
  if (kind === '500') return text(500, SERVER_ERROR_NULL, 'text/plain');
  return text(503, SERVICE_UNAVAILABLE_HTML, 'text/html; charset=iso-8859-1');
}

function paramsOf(search: URLSearchParams): Params {
  return {
    get: (n) => search.get(n) ?? undefined,
    all: (n) => search.getAll(n),
    names: () => [...new Set(search.keys())],
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) throw new Error('form body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
