import { EtlError, isEtlError } from '../core/errors.ts';
import { HttpNetworkError, HttpStatusError, isTransientNetError } from './errors.ts';

/**
 * Retry policy for HTTP calls: exponential backoff with full jitter (delay = random(0, min(cap,
 * base·2^n))), or the server's Retry-After when it sent one. Only transient failures are retried:
 * 429/5xx gateway errors, dropped or timed-out connections, stalled or crawling bodies, and the
 * data codes a caller marks as transit damage (truncated bodies, short ZIPs). A 400 is the server
 * telling us the request is wrong; retrying it cannot help.
 */
export interface RetryPolicy {
  /** Attempts in all, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Upper bound on a Retry-After we honour (a server asking for an hour should not stall a run). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

/** Data codes of a response that went wrong in transit (a retry can fix them). */
export const RETRYABLE_DATA_CODES = new Set([
  'ZIP_TRUNCATED', 'ZIP_UNREADABLE', 'IMAGE_COUNT_MISMATCH', 'MD5_MISMATCH', 'BODY_TRUNCATED',
  'RESPONSE_TOO_SLOW', 'RESPONSE_DEADLINE', 'RESPONSE_IDLE',
]);

/** `Retry-After` is either delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | undefined | null, now = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const v = String(value).trim();
  if (v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

export function isRetryable(err: unknown): boolean {
  if (err instanceof HttpStatusError) return RETRYABLE_STATUS.has(err.status);
  if (err instanceof HttpNetworkError) return err.transient;
  if (isEtlError(err)) return RETRYABLE_DATA_CODES.has(err.code);
  return isTransientNetError(err);
}

/** Delay before retry number `attempt` (1 = after the first failure). `random` in [0,1). */
export function backoffDelay(attempt: number, policy: RetryPolicy, err: unknown, random: () => number = Math.random): number {
  const retryAfter = err instanceof HttpStatusError ? err.retryAfterMs : undefined;
  if (retryAfter !== undefined) return Math.min(retryAfter, policy.maxRetryAfterMs);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  const err = r instanceof Error ? r : new Error('aborted');
  if (!(err instanceof EtlError)) Object.assign(err, { name: 'AbortError' });
  return err;
}

export interface RetryHooks {
  signal?: AbortSignal;
  /** Called before each wait; for logging. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
}

/** Run `fn` until it succeeds, fails with a non-retryable error, or runs out of attempts. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, policy: RetryPolicy, hooks: RetryHooks = {}): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (hooks.signal?.aborted) throw abortReason(hooks.signal);
      if (attempt >= policy.maxAttempts || !isRetryable(err)) throw err;
      const delay = backoffDelay(attempt, policy, err, hooks.random);
      hooks.onRetry?.(err, attempt, delay);
      await sleep(delay, hooks.signal);
    }
  }
}
