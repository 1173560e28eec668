import http from 'node:http';
import https from 'node:https';
import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { AtomicFile } from '../core/fsAtomic.ts';
import { DataError, isEtlError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { ENDPOINT_PARAMS, formatTciaDate, type Endpoint } from './endpoints.ts';
import {
  DEFAULT_RETRY, TciaHttpError, TciaNetworkError, abortReason, isRetryable, parseRetryAfter, withRetry, type RetryPolicy,
} from './retry.ts';
import type { SeriesFilters, TciaPatientRow, TciaSeriesRow, TciaSeriesSize, TciaStudyRow } from './types.ts';

const WRITE_BATCH = 1 << 20;

export const DEFAULT_API_URL = 'https://nbia.cancerimagingarchive.net/nbia-api/services/v4';

export interface TciaClientOptions {
  /** Base URL up to and including the version, e.g. `https://host/nbia-api/services/v4`. */
  apiUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Connect / response-header / body-idle timeout of downloads (default 30 s). */
  timeoutMs?: number;
  /** Response timeout of metadata calls: listing a large collection takes the server a while (default 120 s). */
  metadataTimeoutMs?: number;
  /** Sockets per host in the keep-alive pools. */
  maxSockets?: number;
  log?: Logger;
  /** Aborts every request and retry wait. */
  signal?: AbortSignal;
}

export interface DownloadOptions {
  includeMd5?: boolean;
  /** `NewFileNames=Yes` (InstanceNumber-ordered `1-001.dcm` names), as tcia_utils does. */
  newFileNames?: boolean;
  /** Expected size (getSeries FileSize) to scale the whole-download deadline. */
  expectedBytes?: number;
  /** Checks the complete temporary file before it is renamed into place; throw a DataError to reject it. */
  verify?: (tempPath: string, received: DownloadedFile) => Promise<void>;
  /** Bytes as they arrive (progress); called again with a negative count when an attempt is discarded. */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
}

export interface DownloadedFile {
  bytes: number;
  sha256: string;
  attempts: number;
}

/**
 * NBIA API v4 client (tcia-api.md). Anonymous; keep-alive connection pools; typed errors; retries
 * with backoff on transient failures. Sends only parameters each endpoint lists: v4 answers 400 to
 * any other. An empty body is an empty result, never an error.
 */
export class TciaClient {
  readonly apiUrl: string;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number;
  readonly metadataTimeoutMs: number;
  private readonly http: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly log: Logger | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(options: TciaClientOptions = {}) {
    this.apiUrl = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.metadataTimeoutMs = options.metadataTimeoutMs ?? 120_000;
    this.log = options.log;
    this.signal = options.signal;
    const maxSockets = options.maxSockets ?? 32;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
    this.http = axios.create({
      baseURL: this.apiUrl + '/',
      timeout: this.timeoutMs,
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      validateStatus: () => true,
      maxRedirects: 5,
      transformResponse: [(d: unknown) => d],
      headers: { 'User-Agent': 'medimg-etl (+https://github.com/) axios', Accept: '*/*' },
    });
  }

  /** Frees the keep-alive sockets so the process can exit. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  // ── value lists ──────────────────────────────────────────────────────────────────────────

  async getCollectionValues(): Promise<string[]> {
    return values(await this.getRows<Record<string, unknown>>('getCollectionValues', {}), 'Collection');
  }

  async getModalityValues(filters: { Collection?: string; BodyPartExamined?: string } = {}): Promise<string[]> {
    return values(await this.getRows<Record<string, unknown>>('getModalityValues', filters), 'Modality');
  }

  async getBodyPartValues(filters: { Collection?: string; Modality?: string } = {}): Promise<string[]> {
    return values(await this.getRows<Record<string, unknown>>('getBodyPartValues', filters), 'BodyPartExamined');
  }

  // ── patients, studies, series ────────────────────────────────────────────────────────────

  getPatient(filters: { Collection?: string; PatientId?: string } = {}): Promise<TciaPatientRow[]> {
    return this.getRows('getPatient', filters);
  }

  getPatientStudy(filters: { Collection?: string; PatientID?: string; StudyInstanceUID?: string } = {}): Promise<TciaStudyRow[]> {
    return this.getRows('getPatientStudy', filters);
  }

  /** Without filters this lists the whole archive: pass at least a Collection. */
  getSeries(filters: SeriesFilters, signal?: AbortSignal): Promise<TciaSeriesRow[]> {
    return this.getRows('getSeries', filters, signal);
  }

  async getSeriesSize(seriesUid: string): Promise<TciaSeriesSize | undefined> {
    const rows = await this.getRows<TciaSeriesSize>('getSeriesSize', { SeriesInstanceUID: seriesUid });
    return rows[0];
  }

  async getSOPInstanceUIDs(seriesUid: string): Promise<string[]> {
    return values(await this.getRows<Record<string, unknown>>('getSOPInstanceUIDs', { SeriesInstanceUID: seriesUid }), 'SOPInstanceUID');
  }

  /** Series released strictly after `fromDate` (day granularity, server side). */
  getUpdatedSeries(fromDate: Date): Promise<TciaSeriesRow[]> {
    return this.getRows('getUpdatedSeries', { fromDate: formatTciaDate(fromDate) });
  }

  newPatientsInCollection(collection: string, fromDate: Date): Promise<TciaPatientRow[]> {
    return this.getRows('NewPatientsInCollection', { Collection: collection, fromDate: formatTciaDate(fromDate) });
  }

  /** A `.tcia` manifest for these series (one `list` form field per UID). */
  async getManifestText(seriesUids: string[], includeAnnotation = false): Promise<string> {
    const form = new URLSearchParams();
    for (const uid of seriesUids) form.append('list', uid);
    form.append('includeAnnotation', String(includeAnnotation));
    const url = this.urlOf('getManifestText', {});
    return this.call(url, async (signal) => {
      let res: AxiosResponse<string>;
      try {
        res = await this.http.post<string>('getManifestText', form.toString(), {
          responseType: 'text',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          signal,
          timeout: this.metadataTimeoutMs,
        });
      } catch (err) {
        throw wrapNetwork(url, err, signal);
      }
      if (res.status !== 200) throw httpError(url, res, String(res.data ?? ''));
      return String(res.data ?? '');
    });
  }

  // ── generic JSON GET ─────────────────────────────────────────────────────────────────────

  /** GET a v4 JSON endpoint: array of rows; empty body = no rows. Retries transient failures. */
  async getRows<T>(endpoint: Endpoint, params: Record<string, string | undefined>, signal?: AbortSignal): Promise<T[]> {
    const query = checkParams(endpoint, params);
    const url = this.urlOf(endpoint, query);
    return this.call(url, async (s) => {
      let res: AxiosResponse<string>;
      try {
        res = await this.http.get<string>(endpoint, { params: query, responseType: 'text', signal: s, timeout: this.metadataTimeoutMs });
      } catch (err) {
        throw wrapNetwork(url, err, s);
      }
      const body = typeof res.data === 'string' ? res.data : '';
      if (res.status !== 200) throw httpError(url, res, body);
      return parseRows<T>(url, body);
    }, signal);
  }

  // ── download ─────────────────────────────────────────────────────────────────────────────

  /**
   * Streams `getImage` for one series into `destFile` through a temporary file; `verify` checks it
   * before the rename, so `destFile` only ever holds a complete, verified ZIP. Transport failures
   * and failed verifications (truncated or short ZIPs) are retried under the retry policy.
   */
  async downloadSeries(seriesUid: string, destFile: string, options: DownloadOptions = {}): Promise<DownloadedFile> {
    const query = checkParams('getImage', {
      SeriesInstanceUID: seriesUid,
      NewFileNames: options.newFileNames === false ? undefined : 'Yes',
      IncludeMD5: options.includeMd5 === false ? undefined : 'Yes',
    });
    const url = this.urlOf('getImage', query);
    let attempts = 0;
    return this.call(url, async (signal) => {
      attempts++;
      const file = await AtomicFile.open(destFile);
      let received = 0;
      try {
        const { bytes, sha256 } = await this.streamTo(url, query, file, signal, options, (n) => {
          received += n;
          options.onBytes?.(n);
        });
        const result = { bytes, sha256, attempts };
        if (options.verify) await options.verify(file.tempPath, result);
        await file.commit();
        return result;
      } catch (err) {
        await file.abort();
        if (received > 0) options.onBytes?.(-received);
        throw err;
      }
    }, options.signal);
  }

  private async streamTo(
    url: string,
    query: Record<string, string>,
    file: AtomicFile,
    signal: AbortSignal,
    options: DownloadOptions,
    onBytes: (n: number) => void,
  ): Promise<{ bytes: number; sha256: string }> {
    // Whole-download deadline: 5 min + 1 min per 100 MB expected (the TCIA Data Retriever's rule), at most 60 min.
    const deadlineMs = Math.min(60 * 60_000, 5 * 60_000 + Math.ceil((options.expectedBytes ?? 0) / 100e6) * 60_000);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DataError('DOWNLOAD_TIMEOUT', `download of ${url} exceeded ${deadlineMs / 1000} s`)), deadlineMs);
    const combined = AbortSignal.any([signal, deadline.signal]);
    let res: AxiosResponse<Readable>;
    try {
      res = await this.http.get<Readable>('getImage', { params: query, responseType: 'stream', signal: combined, decompress: true });
    } catch (err) {
      clearTimeout(timer);
      if (deadline.signal.aborted && !signal.aborted) throw deadline.signal.reason;
      throw wrapNetwork(url, err, signal);
    }
    const stream = res.data;
    if (res.status !== 200) {
      clearTimeout(timer);
      const body = await readSnippet(stream);
      throw httpError(url, res, body);
    }
    const hash = crypto.createHash('sha256');
    let bytes = 0;
    let idle: NodeJS.Timeout | undefined;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => stream.destroy(Object.assign(new Error(`no data for ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })), this.timeoutMs);
    };
    const onAbort = () => stream.destroy(combined.reason instanceof Error ? combined.reason : new Error('aborted'));
    combined.addEventListener('abort', onAbort, { once: true });
    try {
      armIdle();
      // Network chunks are ~16–64 KiB; writing them in ~1 MiB batches saves most of the per-write cost.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        armIdle();
        hash.update(buf);
        pending.push(buf);
        pendingBytes += buf.byteLength;
        bytes += buf.byteLength;
        onBytes(buf.byteLength);
        if (pendingBytes >= WRITE_BATCH) {
          await file.write(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) await file.write(Buffer.concat(pending, pendingBytes));
    } catch (err) {
      if (signal.aborted) throw abortReason(signal);
      if (deadline.signal.aborted) throw deadline.signal.reason;
      throw wrapNetwork(url, err, signal, 'BODY_TRUNCATED');
    } finally {
      clearTimeout(idle);
      clearTimeout(timer);
      combined.removeEventListener('abort', onAbort);
    }
    const expected = Number(res.headers['content-length']);
    if (Number.isFinite(expected) && expected > 0 && bytes !== expected) {
      throw new DataError('BODY_TRUNCATED', `got ${bytes} of ${expected} bytes from ${url}`, { details: { url } });
    }
    return { bytes, sha256: hash.digest('hex') };
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  urlOf(endpoint: string, query: Record<string, string>): string {
    const qs = new URLSearchParams(query).toString();
    return `${this.apiUrl}/${endpoint}${qs ? `?${qs}` : ''}`;
  }

  /** Runs one request under the retry policy with the client's and the caller's abort signals. */
  private call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const signals = [this.signal, signal].filter((s): s is AbortSignal => s !== undefined);
    const s = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    return withRetry(() => fn(s), this.retry, {
      signal: s,
      onRetry: (err, attempt, delay) =>
        this.log?.debug(`retrying ${what}`, { attempt, delayMs: delay, error: isEtlError(err) ? err.code : String((err as Error)?.message ?? err) }),
    });
  }
}

function checkParams(endpoint: Endpoint, params: Record<string, string | undefined>): Record<string, string> {
  const allowed: readonly string[] = ENDPOINT_PARAMS[endpoint];
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    // A programming error, not a user one: v4 would answer 400 "Invalid query parameter".
    if (!allowed.includes(k)) throw new TypeError(`${endpoint} does not accept parameter ${k} (allowed: ${allowed.join(', ')})`);
    out[k] = v;
  }
  return out;
}

function parseRows<T>(url: string, body: string): T[] {
  if (body.trim() === '') return [];
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    // A cut-off JSON body is a transport failure; retry it like one.
    throw new DataError('BODY_TRUNCATED', `unparseable JSON from ${url} (${body.length} bytes): ${(err as Error).message}`, { details: { url } });
  }
  if (Array.isArray(value)) return value.filter((r): r is T => r !== null && typeof r === 'object');
  if (value && typeof value === 'object') return [value as T];
  throw new DataError('TCIA_UNEXPECTED', `expected a JSON array from ${url}, got ${typeof value}`, { details: { url } });
}

/** Values of a single-column list; a NULL value arrives as `{}` and is dropped. */
function values(rows: Array<Record<string, unknown>>, column: string): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const v = r[column];
    if (typeof v === 'string' && v !== '') out.push(v);
  }
  return out;
}

function httpError(url: string, res: AxiosResponse, body: string): TciaHttpError {
  const ra = res.headers['retry-after'];
  return new TciaHttpError(url, res.status, body, parseRetryAfter(typeof ra === 'string' ? ra : undefined));
}

function wrapNetwork(url: string, err: unknown, signal: AbortSignal, code = 'NETWORK'): unknown {
  if (signal.aborted) return abortReason(signal);
  if (isEtlError(err)) return err;
  // Body errors are transport failures whatever their cause; a request that failed for a
  // non-transient reason (bad host name, TLS) is not worth retrying.
  return new TciaNetworkError(url, err, code === 'NETWORK' && !isRetryable(err) ? 'NETWORK_ERROR' : code);
}

async function readSnippet(stream: Readable, max = 2048): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  // An error body that never ends must not hold the download slot.
  const stall = setTimeout(() => stream.destroy(), 10_000);
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      n += (c as Buffer).length;
      if (n >= max) break;
    }
  } catch {
    // the error body is only for the message
  } finally {
    clearTimeout(stall);
  }
  stream.destroy();
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}
