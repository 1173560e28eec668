import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { hash64, seededRandom, shuffleInPlace } from '../../src/core/hash.ts';
import { inPartition, parsePartition, partitionOf } from '../../src/core/partition.ts';

describe('partitions and hashing', () => {
  it('parse i/P and reject malformed values with a config error', () => {
    expect(parsePartition('2/4')).toEqual({ index: 2, count: 4 });
    expect(parsePartition(undefined)).toEqual({ index: 0, count: 1 });
    for (const bad of ['4/4', '1/0', 'a/b', '1-4']) expect(() => parsePartition(bad)).toThrow(ConfigError);
  });

  it('assign every series to exactly one partition', () => {
    const uids = Array.from({ length: 400 }, (_, i) => `1.2.826.0.1.${i}`);
    const parts = [0, 1, 2, 3].map((index) => uids.filter((u) => inPartition(u, { index, count: 4 })));
    expect(parts.reduce((n, p) => n + p.length, 0)).toBe(400);
    expect(new Set(parts.flat()).size).toBe(400);
    for (const p of parts) expect(p.length).toBeGreaterThan(60);
  });

  it('hash64 is the first 8 bytes of SHA-256 (what Python hashlib gives)', () => {
    // sha256("abc") = ba7816bf8f01cfea...
    expect(hash64('abc')).toBe(0xba7816bf8f01cfean);
    expect(partitionOf('abc', 7)).toBe(Number(0xba7816bf8f01cfean % 7n));
  });

  it('seeded shuffles are reproducible and seed-dependent', () => {
    const a = shuffleInPlace([...Array(50).keys()], seededRandom(1));
    const b = shuffleInPlace([...Array(50).keys()], seededRandom(1));
    const c = shuffleInPlace([...Array(50).keys()], seededRandom(2));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect([...a].sort((x, y) => x - y)).toEqual([...Array(50).keys()]);
  });
});
