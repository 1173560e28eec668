/**
 * What every stand-in response shares (TCIA and S3 alike): the emulated link, the first-byte latency,
 * seeded fault draws and the counters. Each stand-in names its own fault kinds and which of them
 * apply only to payload answers (a getImage ZIP, an S3 object).
 */
import type http from 'node:http';
import { ConfigError } from '../../core/errors.ts';
import { seededRandom } from '../../core/hash.ts';
import { SharedLink } from './link.ts';
import { writePaced } from './paced.ts';

interface WireSettings {
  faultRate?: number;
  faults?: readonly string[];
  latencyMs?: number;
  bandwidthMbps?: number;
}

export class Wire<K extends string> {
  readonly link = new SharedLink();
  /** The seeded PRNG of the fault draws (also where a fault cuts a body: same seed, same faults). */
  readonly random: () => number;
  latencyMs = 0;
  readonly counters = { requests: 0, bytesSent: 0, faults: {} as Record<string, number> };
  private rate = 0;
  private kinds: K[] = [];

  constructor(
    seed: number,
    private readonly allKinds: readonly K[],
    private readonly payloadOnly: ReadonlySet<K>,
    private readonly what = '',
  ) {
    this.random = seededRandom(seed);
  }

  set(o: WireSettings): void {
    if (o.faultRate !== undefined) {
      if (!(o.faultRate >= 0 && o.faultRate <= 1)) throw new ConfigError(`fault rate must be between 0 and 1, got ${o.faultRate}`);
      this.rate = o.faultRate;
    }
    if (o.faults !== undefined) {
      const bad = o.faults.filter((k) => !(this.allKinds as readonly string[]).includes(k));
      if (bad.length > 0) throw new ConfigError(`unknown ${this.what}fault kind(s): ${bad.join(', ')}`, { hint: `use ${this.allKinds.join(', ')}` });
      this.kinds = [...(o.faults as readonly K[])];
    }
    if (o.latencyMs !== undefined) this.latencyMs = Math.max(0, o.latencyMs);
    if (o.bandwidthMbps !== undefined) this.link.setMbps(o.bandwidthMbps);
  }

  /**
   * The fault for one request, or null: with probability `faultRate`, one of the configured kinds
   * that applies (payload-only kinds only to a payload answer). Draws only when faults are on, so
   * the same seed and request sequence give the same faults.
   */
  pick(payload: boolean): K | null {
    if (this.rate <= 0 || this.kinds.length === 0) return null;
    const applicable = this.kinds.filter((k) => payload || !this.payloadOnly.has(k));
    if (this.random() >= this.rate || applicable.length === 0) return null;
    return applicable[Math.floor(this.random() * applicable.length)]!;
  }

  /** A copy of the counters. */
  stats(): { requests: number; bytesSent: number; faults: Record<string, number> } {
    return { requests: this.counters.requests, bytesSent: this.counters.bytesSent, faults: { ...this.counters.faults } };
  }

  countFault(kind: K): void {
    this.counters.faults[kind] = (this.counters.faults[kind] ?? 0) + 1;
  }

  /** Writes `data` through the link; false if the client left. */
  write(res: http.ServerResponse, data: Buffer): Promise<boolean> {
    return writePaced(res, data, this.link, this.counters);
  }
}
