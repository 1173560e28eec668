import { describe, expect, it } from 'vitest';
import { seededRandom, sha256Hex } from '../../src/core/hash.ts';
import { HashFirstSeen } from '../../src/curate/hashFirstSeen.ts';

describe('HashFirstSeen', () => {
  it('answers as a Map of first ids would, through growth, for pixel hashes and any other string', () => {
    const rnd = seededRandom(5);
    const hashes = Array.from({ length: 30_000 }, (_, i) => sha256Hex(`img ${i}`).slice(0, 16));
    // Upper case (kept apart from its lower-case twin), other lengths and non-hex go outside the typed arrays.
    const odd = ['ABCDEF0123456789', 'abcdef0123456789', 'abcdef01234567', 'abcdef0123456789ff', 'xyz', 'g000000000000000'];
    const table = new HashFirstSeen();
    const reference = new Map<string, number>();
    for (let n = 0; n < 120_000; n++) {
      const h = rnd() < 0.01 ? odd[Math.floor(rnd() * odd.length)]! : hashes[Math.floor(rnd() * hashes.length)]!;
      const id = Math.floor(rnd() * 7);
      const want = reference.get(h) ?? id;
      if (!reference.has(h)) reference.set(h, id);
      expect(table.firstOrSet(h, id)).toBe(want);
    }
    expect(table.size).toBe(reference.size);
    expect(reference.size).toBeGreaterThan(25_000); // grew well past the initial 4,096 slots
  });

  it('keeps apart hashes that share their low 32 bits (hashes from a dataset someone sent may, on purpose)', () => {
    const t = new HashFirstSeen();
    for (let i = 0; i < 5000; i++) expect(t.firstOrSet(`${i.toString(16).padStart(8, '0')}deadbeef`, i % 3)).toBe(i % 3);
    for (let i = 0; i < 5000; i++) expect(t.firstOrSet(`${i.toString(16).padStart(8, '0')}deadbeef`, 9)).toBe(i % 3);
    expect(t.size).toBe(5000);
  });

  it('keeps hashes that differ in one bit apart (both halves of the 64 bits count)', () => {
    const t = new HashFirstSeen();
    expect(t.firstOrSet('0000000100000000', 1)).toBe(1);
    expect(t.firstOrSet('0000000000000000', 2)).toBe(2);
    expect(t.firstOrSet('0000000000000001', 3)).toBe(3);
    expect(t.firstOrSet('ffffffffffffffff', 4)).toBe(4);
    expect(t.firstOrSet('0000000100000000', 9)).toBe(1);
    expect(t.firstOrSet('ffffffffffffffff', 9)).toBe(4);
    expect(t.size).toBe(4);
  });
});
