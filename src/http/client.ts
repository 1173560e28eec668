import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { DataError, isEtlError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { HttpNetworkError, HttpStatusError } from './errors.ts';
import type { Gate } from './gate.ts';
import { LimitGuard, type RequestLimits } from './limits.ts';
import { DEFAULT_RETRY, abortReason, parseRetryAfter, withRetry, type RetryPolicy } from './retry.ts';

/**
 * Domain-neutral HTTP for the archive clients (TCIA, S3, GCS): keep-alive pools, retries with
 * backoff, and per-attempt limits (overall deadline, idle timeout, minimum throughput, body size)
 * applied to every byte of every response, so a hostile or broken server can hold neither a run
 * nor its memory. Bodies are always streamed; callers consume them through `request`.
 */

export interface HttpClientOptions {
  /** Base URL that request paths are relative to. */
  baseUrl: string;
  retry?: Partial<RetryPolicy>;
  /** Sockets per host in the keep-alive pools. */
  maxSockets?: number;
  userAgent?: string;
  log?: Logger;
  /** Aborts every request and retry wait. */
  signal?: AbortSignal;
}

export interface RequestSpec {
  /** Path relative to the base URL. */
  path: string;
  params?: Record<string, string>;
  method?: 'GET' | 'POST';
  data?: string;
  headers?: Record<string, string>;
  /** Statuses whose body is the answer (default 200; a Range request also takes 206). */
  accept?: readonly number[];
  limits: RequestLimits;
  signal?: AbortSignal;
  /** Entered before each attempt's request is sent, left when its body is read (`release`) or it ends. */
  gate?: Gate;
}

/** An accepted (200) response being read: `body` yields its chunks, counted against the limits. */
export interface OpenResponse {
  url: string;
  headers: Record<string, unknown>;
  body: AsyncIterable<Buffer>;
  /** Leaves the request's gate early: call once the body is read and only local work remains. */
  release(): void;
}

export class HttpClient {
  readonly baseUrl: string;
  readonly retry: RetryPolicy;
  private readonly axios: AxiosInstance;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly log: Logger | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.log = options.log;
    this.signal = options.signal;
    const maxSockets = options.maxSockets ?? 32;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
    this.axios = axios.create({
      baseURL: this.baseUrl + '/',
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      validateStatus: () => true,
      maxRedirects: 5,
      transformResponse: [(d: unknown) => d],
      headers: { 'User-Agent': options.userAgent ?? 'medimg-etl axios', Accept: '*/*' },
    });
  }

  /** Frees the keep-alive sockets so the process can exit. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  urlOf(path: string, params: Record<string, string> = {}): string {
    const qs = new URLSearchParams(params).toString();
    return `${this.baseUrl}/${path}${qs ? `?${qs}` : ''}`;
  }

  /**
   * One request under the retry policy: `consume` reads the body of an accepted answer (200) and
   * returns the result; any other status is an HttpStatusError. Each attempt gets fresh limits.
   */
  request<T>(spec: RequestSpec, consume: (res: OpenResponse, attempt: number) => Promise<T>): Promise<T> {
    const signals = [this.signal, spec.signal].filter((s): s is AbortSignal => s !== undefined);
    const outer = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const url = this.urlOf(spec.path, spec.params);
    return withRetry((attempt) => this.attempt(url, spec, outer, (res) => consume(res, attempt)), this.retry, {
      signal: outer,
      onRetry: (err, attempt, delay) =>
        this.log?.debug(`retrying ${url}`, { attempt, delayMs: delay, error: isEtlError(err) ? err.code : String((err as Error)?.message ?? err) }),
    });
  }

  /** The whole body as text (bounded by the limits' maxBytes). */
  text(spec: RequestSpec): Promise<string> {
    return this.request(spec, async (res) => {
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c);
      return Buffer.concat(chunks).toString('utf8');
    });
  }

  private async attempt<T>(url: string, spec: RequestSpec, outer: AbortSignal, consume: (res: OpenResponse) => Promise<T>): Promise<T> {
    const release = spec.gate ? await spec.gate() : () => undefined;
    try {
      return await this.gatedAttempt(url, spec, outer, consume, release);
    } finally {
      release();
    }
  }

  private async gatedAttempt<T>(url: string, spec: RequestSpec, outer: AbortSignal, consume: (res: OpenResponse) => Promise<T>, release: () => void): Promise<T> {
    if (outer.aborted) throw abortReason(outer);
    const ac = new AbortController();
    let stream: Readable | undefined;
    const guard = new LimitGuard(url, spec.limits, (err) => {
      ac.abort(err);
      stream?.destroy(err);
    });
    const onOuter = () => {
      ac.abort(outer.reason);
      stream?.destroy(abortReason(outer));
    };
    outer.addEventListener('abort', onOuter, { once: true });
    let inBody = false;
    try {
      let res: AxiosResponse<Readable>;
      try {
        res = await this.axios.request<Readable>({
          url: spec.path,
          method: spec.method ?? 'GET',
          params: spec.params,
          data: spec.data,
          headers: spec.headers,
          responseType: 'stream',
          signal: ac.signal,
          decompress: true,
        });
      } catch (err) {
        throw failure(url, err, outer, guard, false);
      }
      stream = res.data;
      guard.headers();
      if (!(spec.accept ?? [200]).includes(res.status)) {
        const body = await readSnippet(stream);
        const ra = res.headers['retry-after'];
        throw new HttpStatusError(url, res.status, body, parseRetryAfter(typeof ra === 'string' ? ra : undefined));
      }
      const declared = Number(res.headers['content-length']);
      guard.declared(declared);
      if (guard.reason) throw guard.reason;
      inBody = true;
      const result = await consume({ url, headers: res.headers as Record<string, unknown>, body: counted(stream, guard), release });
      if (Number.isFinite(declared) && declared > 0 && guard.received !== declared && !res.headers['content-encoding']) {
        throw new DataError('BODY_TRUNCATED', `got ${guard.received} of ${declared} bytes from ${url}`, { details: { url } });
      }
      return result;
    } catch (err) {
      throw failure(url, err, outer, guard, inBody);
    } finally {
      guard.stop();
      outer.removeEventListener('abort', onOuter);
      if (stream && !stream.destroyed) stream.destroy();
    }
  }
}

async function* counted(stream: Readable, guard: LimitGuard): AsyncGenerator<Buffer> {
  for await (const c of stream) {
    const buf = c as Buffer;
    guard.bytes(buf.byteLength);
    if (guard.reason) throw guard.reason;
    yield buf;
  }
}

/**
 * What an attempt failed with: the caller's abort, a broken limit, our own typed errors as they are;
 * anything else from the transport is a network failure (before the body) or a truncated body.
 */
function failure(url: string, err: unknown, outer: AbortSignal, guard: LimitGuard, inBody: boolean): unknown {
  if (outer.aborted) return abortReason(outer);
  if (guard.reason) return guard.reason;
  if (isEtlError(err)) return err;
  if (inBody) {
    return new DataError('BODY_TRUNCATED', `the body from ${url} broke off: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { url } });
  }
  return new HttpNetworkError(url, err);
}

/** The start of an error body, for the message; never waits long for it. */
async function readSnippet(stream: Readable, max = 2048): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
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
