import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/core/errors.ts';
import { backoffDelay, DEFAULT_RETRY, isRetryable, parseRetryAfter, HttpStatusError, withRetry } from '../../src/http/index.ts';
import { formatTciaDate } from '../../src/tcia/endpoints.ts';

describe('retry policy', () => {
  it('parses Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:07 GMT', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it('uses full jitter under an exponential ceiling, and the server’s Retry-After when given', () => {
    const p = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(backoffDelay(1, p, new Error('x'), () => 0.999)).toBe(99);
    expect(backoffDelay(3, p, new Error('x'), () => 0.5)).toBe(200);
    expect(backoffDelay(10, p, new Error('x'), () => 0.999)).toBe(999);
    expect(backoffDelay(1, p, new Error('x'), () => 0)).toBe(0);
    expect(backoffDelay(1, p, new HttpStatusError('u', 429, '', 2500), () => 0)).toBe(2500);
    expect(backoffDelay(1, { ...p, maxRetryAfterMs: 1000 }, new HttpStatusError('u', 429, '', 1e6), () => 0)).toBe(1000);
  });

  it('retries transient failures only, never a 400', () => {
    for (const s of [429, 500, 502, 503, 504]) expect(isRetryable(new HttpStatusError('u', s, ''))).toBe(true);
    expect(isRetryable(new HttpStatusError('u', 400, 'Invalid query parameter'))).toBe(false);
    expect(isRetryable(new HttpStatusError('u', 404, ''))).toBe(false);
    expect(isRetryable(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }))).toBe(true);
    expect(isRetryable(new Error('socket hang up'))).toBe(true);
    for (const code of ['UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']) expect(isRetryable(Object.assign(new Error('undici'), { code }))).toBe(true);
    expect(isRetryable(Object.assign(new Error('closed by us'), { code: 'UND_ERR_CLOSED' }))).toBe(false);
    expect(isRetryable(new DataError('ZIP_TRUNCATED', 'cut'))).toBe(true);
    expect(isRetryable(new DataError('IMAGE_COUNT_MISMATCH', 'short'))).toBe(true);
    expect(isRetryable(new DataError('ZIP_UNSAFE_NAME', 'slip'))).toBe(false);
    expect(isRetryable(Object.assign(new Error('gone'), { name: 'AbortError' }))).toBe(false);
    expect(isRetryable(new TypeError('bug'))).toBe(false);
  });

  it('withRetry stops at maxAttempts and on a non-retryable error', async () => {
    let n = 0;
    const p = { ...DEFAULT_RETRY, maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 };
    await expect(withRetry(async () => { n++; throw new HttpStatusError('u', 503, ''); }, p)).rejects.toThrow(/503/);
    expect(n).toBe(3);
    n = 0;
    await expect(withRetry(async () => { n++; throw new HttpStatusError('u', 400, 'bad'); }, p)).rejects.toThrow(/400/);
    expect(n).toBe(1);
    n = 0;
    expect(await withRetry(async (a) => { n++; if (a < 2) throw new Error('socket hang up'); return 'ok'; }, p)).toBe('ok');
    expect(n).toBe(2);
  });

  it('an abort ends the wait at once', async () => {
    const c = new AbortController();
    const p = { ...DEFAULT_RETRY, maxAttempts: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    const run = withRetry(async () => { throw new HttpStatusError('u', 429, '', 60_000); }, p, { signal: c.signal });
    setTimeout(() => c.abort(new Error('stop')), 20);
    await expect(run).rejects.toThrow('stop');
  });

  it('formats v4 dates as MM-DD-YYYY', () => {
    expect(formatTciaDate(new Date('2024-03-07T12:00:00Z'))).toBe('03-07-2024');
  });
});

describe('archive failures that end a command', () => {
  it('exit 69 (EX_UNAVAILABLE) with one line and a hint, not a bug report', async () => {
    const { HttpStatusError, HttpNetworkError } = await import('../../src/http/index.ts');
    const { exitCodeOf, formatError } = await import('../../src/core/errors.ts');
    const net = new HttpNetworkError('https://nbia.example/getSeries', Object.assign(new Error('getaddrinfo ENOTFOUND nbia.example'), { code: 'ENOTFOUND' }));
    expect(exitCodeOf(net)).toBe(69);
    expect(exitCodeOf(new HttpStatusError('https://nbia.example/getImage', 503, 'Service Unavailable'))).toBe(69);
    expect(formatError(net)).not.toMatch(/\n\s+at /);
    expect(formatError(net)).toMatch(/hint: /);
  });
});
