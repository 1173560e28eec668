import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SplitRows, sortKey, type RowMeta } from '../../src/shards/splitRows.ts';

/** Rows past every initial capacity (1,024 rows, 16 KiB of bytes), with runs, repeats after a gap, non-ASCII and empty strings. */
function rows(n: number): RowMeta[] {
  return Array.from({ length: n }, (_, i) => ({
    label: i % 4,
    dataset: i % 700 < 350 ? 'DS-A' : 'DS-Ä', // runs that come back after another dataset
    patient: `P-${Math.floor(i / 37)}`,
    series: `1.2.3.${Math.floor(i / 100)}`,
    sop: i % 97 === 0 ? `sop-é-✓-${i}` : `1.3.6.1.4.1.14519.5.2.1.${i}`,
    frame: i % 3,
    pixelHash: i % 50 === 0 ? '' : (i * 2654435761).toString(16).padStart(16, '0').slice(-16),
  }));
}

describe('SplitRows', () => {
  it('gives back every row as it was added, through the packed columns and through bucket lines', () => {
    const input = rows(5000);
    const t = new SplitRows(7, 'train');
    input.forEach((r, i) => t.add(r, i % 13, i * 50176));
    expect(t.count).toBe(5000);
    for (let i = 0; i < input.length; i++) {
      expect(t.meta(i)).toEqual(input[i]);
      expect([t.file(i), t.offset(i)]).toEqual([i % 13, i * 50176]);
    }
    const back = new SplitRows(7, 'train');
    back.addLines(input.map((_, i) => t.line(i)));
    for (let i = 0; i < input.length; i += 1) expect(back.meta(i)).toEqual(input[i]);
    expect([...back.order()]).toEqual([...t.order()]);
  });

  it('keys rows by the first 8 bytes of SHA-256 of (seed, split, dataset, series, sop, frame)', () => {
    const d = crypto.createHash('sha256').update('3\u0000test\u0000DS\u0000s.1\u0000o.2\u00004').digest();
    expect(sortKey(3, 'test', 'DS', 's.1', 'o.2', 4)).toEqual([d.readUInt32BE(0), d.readUInt32BE(4)]);
    const t = new SplitRows(3, 'test');
    t.add({ label: 0, dataset: 'DS', patient: 'p', series: 's.1', sop: 'o.2', frame: 4, pixelHash: '' }, 0, 0);
    expect(t.keyHi(0)).toBe(d.readUInt32BE(0));
  });
});
