import { HttpLimitError } from './errors.ts';

/**
 * Bounds on one request, so that no server can hold a run or its memory: a socket timeout alone
 * only fires on silence, and a server that sends one byte every few seconds is never silent.
 */
export interface RequestLimits {
  /** Overall deadline of one attempt: connect, headers and the whole body. */
  deadlineMs: number;
  /** Longest silence allowed (before the headers, or between body chunks). */
  idleMs: number;
  /**
   * Minimum body rate: each window of `windowMs` must bring at least minBytesPerSec × windowMs/1000
   * bytes (the body ending inside a window is fine).
   */
  minBytesPerSec: number;
  windowMs: number;
  /** Body bytes allowed; more is RESPONSE_TOO_LARGE. */
  maxBytes: number;
}

/** Metadata (JSON lists): 10 min whole; 1 kB/s over 30 s windows; 256 MiB of JSON (streamed into rows). */
export const METADATA_LIMITS: RequestLimits = {
  deadlineMs: 10 * 60_000,
  idleMs: 120_000,
  minBytesPerSec: 1024,
  windowMs: 30_000,
  maxBytes: 256 * 1024 * 1024,
};

/** Downloads: the deadline and size come from what the catalog says (downloadLimits). */
export const DOWNLOAD_LIMITS: RequestLimits = {
  deadlineMs: 5 * 60_000,
  idleMs: 30_000,
  minBytesPerSec: 16 * 1024,
  windowMs: 30_000,
  maxBytes: Number.MAX_SAFE_INTEGER,
};

/**
 * Deadline of a download of `expectedBytes`: 5 min + 1 min per 100 MB (the TCIA Data Retriever's
 * rule), at most 60 min.
 */
export function downloadDeadlineMs(expectedBytes: number | undefined): number {
  return Math.min(60 * 60_000, 5 * 60_000 + Math.ceil((expectedBytes ?? 0) / 100e6) * 60_000);
}

/**
 * Watches one attempt: call `bytes(n)` per chunk; when a limit breaks, `abort` is called once with
 * the HttpLimitError (the caller destroys the request and stream with it). `stop()` when done.
 */
export class LimitGuard {
  private readonly start = Date.now();
  private lastData = this.start;
  private windowStart = this.start;
  private windowBytes = 0;
  private total = 0;
  private bodyStarted = false;
  private readonly timer: NodeJS.Timeout;
  reason: HttpLimitError | undefined;

  constructor(
    private readonly url: string,
    private readonly limits: RequestLimits,
    private readonly abort: (err: HttpLimitError) => void,
  ) {
    const tick = Math.max(10, Math.min(1000, Math.floor(Math.min(limits.windowMs, limits.idleMs) / 4)));
    this.timer = setInterval(() => this.check(), tick);
    this.timer.unref?.();
  }

  /** Response headers arrived: the throughput windows start now. */
  headers(): void {
    this.bodyStarted = true;
    this.lastData = Date.now();
    this.windowStart = this.lastData;
    this.windowBytes = 0;
  }

  bytes(n: number): void {
    this.total += n;
    this.windowBytes += n;
    this.lastData = Date.now();
    if (this.total > this.limits.maxBytes) {
      this.fail('RESPONSE_TOO_LARGE', `response exceeds ${this.limits.maxBytes} bytes`, { maxBytes: this.limits.maxBytes });
    }
  }

  get received(): number {
    return this.total;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(): void {
    const now = Date.now();
    if (now - this.start > this.limits.deadlineMs) {
      return this.fail('RESPONSE_DEADLINE', `no complete answer within ${this.limits.deadlineMs / 1000} s`, { deadlineMs: this.limits.deadlineMs });
    }
    if (now - this.lastData > this.limits.idleMs) {
      return this.fail('RESPONSE_IDLE', `no data for ${this.limits.idleMs / 1000} s`, { idleMs: this.limits.idleMs });
    }
    if (this.bodyStarted && now - this.windowStart >= this.limits.windowMs) {
      const need = (this.limits.minBytesPerSec * (now - this.windowStart)) / 1000;
      if (this.windowBytes < need) {
        return this.fail('RESPONSE_TOO_SLOW', `${this.windowBytes} bytes in ${((now - this.windowStart) / 1000).toFixed(1)} s, below the minimum of ${this.limits.minBytesPerSec} B/s`, {
          minBytesPerSec: this.limits.minBytesPerSec,
        });
      }
      this.windowStart = now;
      this.windowBytes = 0;
    }
  }

  /** Rejects a body up front when its Content-Length already says it is too large. */
  declared(contentLength: number): void {
    if (Number.isFinite(contentLength) && contentLength > this.limits.maxBytes) {
      this.fail('RESPONSE_TOO_LARGE', `Content-Length ${contentLength} exceeds ${this.limits.maxBytes} bytes`, { maxBytes: this.limits.maxBytes, contentLength });
    }
  }

  private fail(code: ConstructorParameters<typeof HttpLimitError>[0], message: string, details: Record<string, unknown>): void {
    if (this.reason) return;
    this.reason = new HttpLimitError(code, this.url, message, details);
    this.stop();
    this.abort(this.reason);
  }
}
