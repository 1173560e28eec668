/**
 * Seeded fault injection: with probability `faultRate` per request, one of the configured kinds
 * that applies to the endpoint (truncate/short only to image downloads). The same seed and the
 * same request sequence give the same faults.
 */
import { seededRandom } from '../../core/hash.ts';

export const FAULT_KINDS = ['429', '500', '503', 'reset', 'truncate', 'short'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const ZIP_ONLY: ReadonlySet<FaultKind> = new Set(['truncate', 'short']);

export function isFaultKind(s: string): s is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(s);
}

export class FaultPicker {
  readonly random: () => number;
  rate = 0;
  kinds: FaultKind[] = [];

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** The fault for one request, or null. Draws from the PRNG only when faults are on. */
  pick(zipEndpoint: boolean): FaultKind | null {
    if (this.rate <= 0 || this.kinds.length === 0) return null;
    const applicable = this.kinds.filter((k) => zipEndpoint || !ZIP_ONLY.has(k));
    const hit = this.random() < this.rate;
    if (!hit || applicable.length === 0) return null;
    return applicable[Math.floor(this.random() * applicable.length)]!;
  }
}

/** Apache httpd's 503 page, as a proxy in front of a busy or restarting server sends it. */
export const SERVICE_UNAVAILABLE_HTML = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>503 Service Unavailable</title>
</head><body>
<h1>Service Unavailable</h1>
<p>The server is temporarily unable to service your
request due to maintenance downtime or capacity
problems. Please try again later.</p>
</body></html>
`;
