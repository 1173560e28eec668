import crypto from 'node:crypto';
import { seededRandom } from '../../core/hash.ts';

/**
 * Seeded randomness for the generators. Everything derives from (seed, names…), never from
 * arrival order, so a series renders to the same bytes whichever worker makes it.
 */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }

  static of(...parts: Array<string | number>): Rng {
    return new Rng(seedOf(...parts));
  }

  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }

  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A 32-bit seed for a child generator (e.g. the noise of one image). */
  seed(): number {
    return Math.floor(this.next() * 4294967296) >>> 0;
  }
}

export function seedOf(...parts: Array<string | number>): number {
  return crypto.createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0);
}

/** 65,536 standard normal values, made once from a fixed seed: per-pixel noise is a table lookup. */
const NORMALS = (() => {
  const r = new Rng(0x5eed);
  const t = new Float32Array(65536);
  for (let i = 0; i < t.length; i++) t[i] = r.normal();
  return t;
})();

/**
 * Fills `out` with standard-normal noise quickly: an xorshift32 stream indexes the table.
 * Good enough for image noise (no visible pattern; mean 0, sd 1), ~10× faster than Box–Muller.
 */
export function normalNoise(out: Float32Array, seed: number): Float32Array {
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = NORMALS[(x >>> 8) & 0xffff]!;
  }
  return out;
}
