import { AtomicFile } from '../core/fsAtomic.ts';
import type { Logger } from '../core/log.ts';
import {
  DOWNLOAD_LIMITS, HttpClient, METADATA_LIMITS, downloadDeadlineMs, readJsonRows, type Gate, type RequestLimits, type RetryPolicy,
} from '../http/index.ts';
import { ENDPOINT_PARAMS, formatTciaDate, type Endpoint } from './endpoints.ts';
import type { TciaSeriesRow } from '../core/catalog.ts';
import type { SeriesFilters, TciaPatientRow, TciaSeriesSize, TciaStudyRow } from './types.ts';

const WRITE_BATCH = 1 << 20;

export const DEFAULT_API_URL = 'https://nbia.cancerimagingarchive.net/nbia-api/services/v4';

export interface TciaClientOptions {
  /** Base URL up to and including the version, e.g. `https://host/nbia-api/services/v4`. */
  apiUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Limits of each metadata attempt (default METADATA_LIMITS: 10 min overall, 1 kB/s, 256 MiB). */
  metadataLimits?: Partial<RequestLimits>;
  /** Limits of each download attempt; deadline and size also follow each series' catalog figures. */
  downloadLimits?: Partial<RequestLimits>;
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
  /** Largest body accepted (from what the catalog states); more is RESPONSE_TOO_LARGE. */
  maxBytes?: number;
  /** Checks the complete temporary file before it is renamed into place; throw a DataError to reject it. */
  verify?: (tempPath: string, received: DownloadedFile) => Promise<void>;
  /** Bytes as they arrive (progress); called again with a negative count when an attempt is discarded. */
  onBytes?: (n: number) => void;
  signal?: AbortSignal;
  /** Bounds downloads in flight; left once the body is on disk, before `verify`. */
  gate?: Gate;
}

export interface DownloadedFile {
  bytes: number;
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
  readonly metadataLimits: RequestLimits;
  readonly downloadLimits: RequestLimits;
  private readonly http: HttpClient;

  constructor(options: TciaClientOptions = {}) {
    this.apiUrl = (options.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, '');
    this.metadataLimits = { ...METADATA_LIMITS, ...options.metadataLimits };
    this.downloadLimits = { ...DOWNLOAD_LIMITS, ...options.downloadLimits };
    this.http = new HttpClient({
      baseUrl: this.apiUrl,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}),
      ...(options.log ? { log: options.log } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      userAgent: 'medimg-etl (+https://github.com/)',
    });
    this.retry = this.http.retry;
  }

  /** Frees the keep-alive sockets so the process can exit. */
  close(): void {
    this.http.close();
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
    return this.http.text({
      path: 'getManifestText',
      method: 'POST',
      data: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      limits: this.metadataLimits,
    });
  }

  // ── generic JSON GET ─────────────────────────────────────────────────────────────────────

  /** GET a v4 JSON endpoint: array of rows; empty body = no rows. Retries transient failures. */
  async getRows<T>(endpoint: Endpoint, params: Record<string, string | undefined>, signal?: AbortSignal): Promise<T[]> {
    const query = checkParams(endpoint, params);
    return this.http.request({ path: endpoint, params: query, limits: this.metadataLimits, ...(signal ? { signal } : {}) }, (res) => readJsonRows<T>(res));
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
    const limits: RequestLimits = {
      ...this.downloadLimits,
      deadlineMs: Math.max(this.downloadLimits.deadlineMs, downloadDeadlineMs(options.expectedBytes)),
      maxBytes: Math.min(this.downloadLimits.maxBytes, options.maxBytes ?? Infinity),
    };
    const spec = { path: 'getImage', params: query, limits, ...(options.signal ? { signal: options.signal } : {}), ...(options.gate ? { gate: options.gate } : {}) };
    return this.http.request(spec, async (res, attempts) => {
      const file = await AtomicFile.open(destFile);
      let received = 0;
      try {
        // Network chunks are ~16–64 KiB; writing them in ~1 MiB gathered writes saves most of the
        // per-write cost without copying them into one buffer.
        let pending: Buffer[] = [];
        let pendingBytes = 0;
        const flush = async () => {
          if (pendingBytes === 0) return;
          await file.writev(pending);
          pending = [];
          pendingBytes = 0;
        };
        for await (const buf of res.body) {
          pending.push(buf);
          pendingBytes += buf.byteLength;
          received += buf.byteLength;
          options.onBytes?.(buf.byteLength);
          if (pendingBytes >= WRITE_BATCH) await flush();
        }
        await flush();
        res.release();
        const result = { bytes: received, attempts };
        if (options.verify) await options.verify(file.tempPath, result);
        await file.commit();
        return result;
      } catch (err) {
        await file.abort();
        if (received > 0) options.onBytes?.(-received);
        throw err;
      }
    });
  }

  // ── plumbing ─────────────────────────────────────────────────────────────────────────────

  urlOf(endpoint: string, query: Record<string, string>): string {
    return this.http.urlOf(endpoint, query);
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

/** Values of a single-column list; a NULL value arrives as `{}` and is dropped. */
function values(rows: Array<Record<string, unknown>>, column: string): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const v = r[column];
    if (typeof v === 'string' && v !== '') out.push(v);
  }
  return out;
}
