import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Agent, EnvHttpProxyAgent, type Dispatcher, type ProxyAgent } from 'undici';
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
 *
 * The transport is undici (the Node team's HTTP/1.1 client): per request it costs a fraction of
 * axios over node:http, which mattered for IDC's one GET per instance (docs/idc.md, "undici").
 * HTTP_PROXY / HTTPS_PROXY / NO_PROXY (either case) are honoured through its EnvHttpProxyAgent;
 * redirects are followed (at most 5); gzip/deflate/br bodies are decoded.
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
  private readonly dispatcher: Dispatcher;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly log: Logger | undefined;
  private readonly signal: AbortSignal | undefined;

  constructor(options: HttpClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.log = options.log;
    this.signal = options.signal;
    const base = new URL(this.baseUrl);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.dispatcher = dispatcherOf(options.maxSockets ?? 32);
    this.headers = { 'user-agent': options.userAgent ?? 'medimg-etl', accept: '*/*', 'accept-encoding': 'gzip, deflate, br' };
  }

  /** Frees the keep-alive sockets so the process can exit. */
  close(): void {
    this.dispatcher.destroy().catch(() => undefined);
  }

  urlOf(path: string, params: Record<string, string> = {}): string {
    return this.origin + this.pathOf(path, params);
  }

  private pathOf(path: string, params: Record<string, string> | undefined): string {
    const qs = params ? new URLSearchParams(params).toString() : '';
    return `${this.basePath}/${path}${qs ? `?${qs}` : ''}`;
  }

  /**
   * One request under the retry policy: `consume` reads the body of an accepted answer (200) and
   * returns the result; any other status is an HttpStatusError. Each attempt gets fresh limits.
   */
  request<T>(spec: RequestSpec, consume: (res: OpenResponse, attempt: number) => Promise<T>): Promise<T> {
    const signals = [this.signal, spec.signal].filter((s): s is AbortSignal => s !== undefined);
    const outer = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    const path = this.pathOf(spec.path, spec.params);
    const url = this.origin + path;
    const target = { url, path };
    return withRetry((attempt) => this.attempt(target, spec, outer, (res) => consume(res, attempt)), this.retry, {
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

  private async attempt<T>(target: Target, spec: RequestSpec, outer: AbortSignal, consume: (res: OpenResponse) => Promise<T>): Promise<T> {
    const release = spec.gate ? await spec.gate() : () => undefined;
    try {
      return await this.gatedAttempt(target, spec, outer, consume, release);
    } finally {
      release();
    }
  }

  private async gatedAttempt<T>(target: Target, spec: RequestSpec, outer: AbortSignal, consume: (res: OpenResponse) => Promise<T>, release: () => void): Promise<T> {
    const url = target.url;
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
      let res: Dispatcher.ResponseData;
      try {
        res = await this.dispatcher.request({
          origin: this.origin,
          path: target.path,
          method: spec.method ?? 'GET',
          // A copy each time: undici's proxy path writes `host` into the object it is given.
          headers: { ...this.headers, ...(spec.headers ? lowerKeys(spec.headers) : {}) },
          ...(spec.data !== undefined ? { body: spec.data } : {}),
          signal: ac.signal,
        });
      } catch (err) {
        throw failure(url, err, outer, guard, false);
      }
      // undici's body has no error listener of its own: one destroyed (or reset by the peer) before
      // `consume` reads it would be an uncaught 'error'. Readers still see the error.
      res.body.on('error', () => undefined);
      const encoding = header(res.headers, 'content-encoding');
      stream = decoded(res.body, encoding);
      guard.headers();
      if (!(spec.accept ?? [200]).includes(res.statusCode)) {
        const body = await readSnippet(stream);
        throw new HttpStatusError(url, res.statusCode, body, parseRetryAfter(header(res.headers, 'retry-after')));
      }
      const declared = Number(header(res.headers, 'content-length'));
      guard.declared(declared);
      if (guard.reason) throw guard.reason;
      inBody = true;
      const result = await consume({ url, headers: res.headers, body: counted(stream, guard), release });
      if (Number.isFinite(declared) && declared > 0 && guard.received !== declared && !encoding) {
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

interface Target {
  /** The whole URL, for messages. */
  url: string;
  /** Path and query on the client's origin. */
  path: string;
}

/**
 * Keep-alive pools of at most `connections` sockets per origin, no pipelining, redirects followed.
 * undici's own header and body timeouts are off: LimitGuard bounds every attempt (limits.ts).
 * Behind a proxy (HTTP_PROXY / HTTPS_PROXY set) EnvHttpProxyAgent routes requests, honouring NO_PROXY.
 */
function dispatcherOf(connections: number): Dispatcher {
  const opts = { connections, pipelining: 1, maxRedirections: 5, headersTimeout: 0, bodyTimeout: 0 };
  const env = process.env;
  const proxied = env.http_proxy || env.HTTP_PROXY || env.https_proxy || env.HTTPS_PROXY;
  // proxyTunnel false: http:// targets go to the proxy as plain requests, as axios and curl send
  // them (a CONNECT to port 80 is refused by Squid's default rules); https:// still tunnels.
  // EnvHttpProxyAgent hands its options to the ProxyAgents it makes; its types omit this one
  // (test/http/transport.test.ts holds the behaviour).
  const viaProxy: Pick<ProxyAgent.Options, 'proxyTunnel'> = { proxyTunnel: false };
  return proxied ? new EnvHttpProxyAgent({ ...opts, ...viaProxy } as EnvHttpProxyAgent.Options) : new Agent(opts);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** The body with its Content-Encoding undone (as axios, the earlier transport, did); identity bodies as they are. */
function decoded(body: Readable, encoding: string | undefined): Readable {
  const e = encoding?.trim().toLowerCase();
  const decoder = e === 'gzip' || e === 'x-gzip' ? zlib.createGunzip() : e === 'deflate' ? zlib.createInflate() : e === 'br' ? zlib.createBrotliDecompress() : undefined;
  if (!decoder) return body;
  return pipeline(body, decoder, () => undefined);
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
