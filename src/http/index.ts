/** Domain-neutral HTTP: client with retries and per-attempt limits, errors, JSON list streaming. */
export { HttpClient, type HttpClientOptions, type OpenResponse, type RequestSpec } from './client.ts';
export { gateOf, type Gate } from './gate.ts';
export { HttpLimitError, HttpNetworkError, HttpStatusError, UNAVAILABLE_EXIT, isTransientNetError, originOf } from './errors.ts';
export { readJsonRows } from './json.ts';
export { DOWNLOAD_LIMITS, LimitGuard, METADATA_LIMITS, downloadDeadlineMs, type RequestLimits } from './limits.ts';
export {
  DEFAULT_RETRY, RETRYABLE_DATA_CODES, RETRYABLE_STATUS, abortReason, backoffDelay, isRetryable, parseRetryAfter, sleep, withRetry,
  type RetryHooks, type RetryPolicy,
} from './retry.ts';
