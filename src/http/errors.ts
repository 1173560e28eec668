import { DataError } from '../core/errors.ts';

/**
 * Errors of a request to a remote server, domain-neutral (TCIA, S3, GCS). All are DataErrors: a
 * failed request is recorded as a reject of what it was for, and ends a command only when nothing
 * else can go on.
 */

/** Exit code when a server stays unreachable after retries (sysexits EX_UNAVAILABLE). */
export const UNAVAILABLE_EXIT = 69;

/** Network errors worth another attempt (the peer or the path failed; the request was fine). */
const TRANSIENT_NET_CODES = new Set([
  'ECONNRESET', 'ETIMEDOUT', 'ECONNABORTED', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE', 'ERR_SOCKET_CONNECTION_TIMEOUT',
  // undici (the transport): the socket closed under a request, its 10 s connect timeout. (A body
  // that breaks off is BODY_TRUNCATED, client.ts, retried as such.)
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
/** Nothing listens there or the name does not resolve: the address is the likely mistake. */
const NO_SERVER_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** An HTTP answer we did not want. `code` is `HTTP_<status>`. */
export class HttpStatusError extends DataError {
  /** When it ends a command: the server could not serve us (EX_UNAVAILABLE), not a bug. */
  override readonly exitCode = UNAVAILABLE_EXIT;
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly retryAfterMs: number | undefined;
  constructor(url: string, status: number, body: string, retryAfterMs?: number) {
    const snippet = body.replace(/\s+/g, ' ').trim().slice(0, 300);
    super(`HTTP_${status}`, `${originOf(url)} answered ${status} for ${url}${snippet ? `: ${snippet}` : ''}`, {
      hint: status === 400 ? 'the server rejected the request; its text above says why' : 'the server or the network failed; rerun to resume',
      details: { url, status, body: snippet, retryAfterMs },
    });
    this.url = url;
    this.status = status;
    this.body = snippet;
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * A connection-level failure (refused, reset, hang-up, DNS, TLS), normalised so it can be recorded as
 * a reject. One code, `NETWORK`; `transient` says whether another attempt can help.
 */
export class HttpNetworkError extends DataError {
  override readonly exitCode = UNAVAILABLE_EXIT;
  readonly transient: boolean;
  constructor(url: string, cause: unknown) {
    const c = cause as { code?: string; message?: string };
    const netCode = typeof c?.code === 'string' ? c.code : undefined;
    const noServer = netCode !== undefined && NO_SERVER_CODES.has(netCode);
    super('NETWORK', `request to ${url} failed: ${netCode ? `${netCode} ` : ''}${c?.message ?? String(cause)}`, {
      cause,
      hint: noServer
        ? `nothing answers at ${originOf(url)}: check the server address (the API/endpoint URL option) and the network`
        : 'a network or server problem; rerun to resume where it stopped',
      details: { url, netCode },
    });
    this.transient = isTransientNetError(cause);
  }
}

/**
 * The response broke one of the request's limits (see limits.ts). `RESPONSE_TOO_SLOW` and
 * `RESPONSE_DEADLINE` are retried (another attempt may find a healthier server); `RESPONSE_TOO_LARGE`
 * is not (the same request gets the same oversized answer).
 */
export class HttpLimitError extends DataError {
  override readonly exitCode = UNAVAILABLE_EXIT;
  constructor(code: 'RESPONSE_TOO_LARGE' | 'RESPONSE_TOO_SLOW' | 'RESPONSE_DEADLINE' | 'RESPONSE_IDLE', url: string, message: string, details: Record<string, unknown> = {}) {
    super(code, `${url}: ${message}`, {
      hint: code === 'RESPONSE_TOO_LARGE'
        ? 'the server sent more than the request can legitimately need; the answer is refused'
        : 'the server is too slow or stalled; rerun later to resume',
      details: { url, ...details },
    });
  }
}

export function isTransientNetError(err: unknown): boolean {
  const e = err as { code?: string; message?: string; name?: string; cause?: unknown };
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'AbortError' || e.code === 'ERR_CANCELED') return false;
  if (e.code && TRANSIENT_NET_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && /socket hang up|aborted|premature close|unexpected end/i.test(e.message)) return true;
  return e.cause !== undefined && e.cause !== err ? isTransientNetError(e.cause) : false;
}
