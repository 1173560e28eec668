/**
 * A shared link for the stand-in: `--bandwidth-mbps` models one pipe of that capacity that all
 * connections share (so a benchmark can measure how well a client fills it), and `--latency-ms`
 * delays every response's first byte.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes written per pacing step: small enough that concurrent responses interleave fairly. */
export const PACE_CHUNK = 16 * 1024;
/** Idle time the link may "bank" as a burst (keeps a single stream from stalling on timer jitter). */
const BURST_MS = 20;

export class SharedLink {
  private bytesPerMs = 0;
  /** Time (performance.now) at which everything granted so far has left the link. */
  private freeAt = 0;

  constructor(mbps?: number) {
    this.setMbps(mbps);
  }

  setMbps(mbps: number | undefined): void {
    this.bytesPerMs = mbps && mbps > 0 ? (mbps * 1e6) / 8 / 1000 : 0;
  }

  get limited(): boolean {
    return this.bytesPerMs > 0;
  }

  /**
   * Waits until `n` more bytes fit through the link. Grants are first come, first served, so
   * callers sending PACE_CHUNK pieces share the capacity evenly.
   */
  async take(n: number): Promise<void> {
    if (this.bytesPerMs === 0) return;
    const now = performance.now();
    const start = Math.max(this.freeAt, now - BURST_MS);
    this.freeAt = start + n / this.bytesPerMs;
    const wait = this.freeAt - now;
    if (wait >= 1) await sleep(wait);
  }
}
