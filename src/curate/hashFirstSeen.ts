/**
 * Pixel hash → the first dataset id it was seen in, for every image of a build (millions): an
 * open-addressing table over the hashes' 64 bits in typed arrays, 12 bytes an entry at most 3/4
 * full: 25.6 B a hash against 141.6 B for a Map of the hex strings (1 M hashes, heap after GC). The
 * hashes are `pixelHash`'s 16 lowercase hex digits; any other string (none written today) goes to a
 * plain Map, so every input keeps its exact identity.
 */
export class HashFirstSeen {
  private hi = new Uint32Array(1 << 12);
  private lo = new Uint32Array(1 << 12);
  /** Dataset id + 1 (0 = empty slot). */
  private ids = new Uint32Array(1 << 12);
  private used = 0;
  private readonly other = new Map<string, number>();
  private readonly seed = (Math.random() * 2 ** 32) >>> 0;

  /** The first dataset id recorded for `hash`, recording `id` if there is none yet. */
  firstOrSet(hash: string, id: number): number {
    const hi = hex8(hash, 0);
    const lo = hash.length === 16 ? hex8(hash, 8) : -1;
    if (hi < 0 || lo < 0) {
      const first = this.other.get(hash);
      if (first === undefined) this.other.set(hash, id);
      return first ?? id;
    }
    const mask = this.ids.length - 1;
    for (let s = this.slot(hi, lo) & mask; ; s = (s + 1) & mask) {
      const v = this.ids[s]!;
      if (v === 0) {
        this.hi[s] = hi;
        this.lo[s] = lo;
        this.ids[s] = id + 1;
        if (++this.used * 4 > this.ids.length * 3) this.grow();
        return id;
      }
      if (this.lo[s] === lo && this.hi[s] === hi) return v - 1;
    }
  }

  /**
   * Both halves, mixed with the table's seed (murmur3's finaliser): hashes read from a dataset
   * someone sent (`etl verify`) could share their low bits on purpose and turn every insert into a
   * walk along one run of slots.
   */
  private slot(hi: number, lo: number): number {
    return fmix32(lo ^ fmix32(hi ^ this.seed));
  }

  get size(): number {
    return this.used + this.other.size;
  }

  private grow(): void {
    const { hi, lo, ids } = this;
    this.hi = new Uint32Array(ids.length * 2);
    this.lo = new Uint32Array(ids.length * 2);
    this.ids = new Uint32Array(ids.length * 2);
    const mask = this.ids.length - 1;
    for (let i = 0; i < ids.length; i++) {
      if (ids[i] === 0) continue;
      let s = this.slot(hi[i]!, lo[i]!) & mask;
      while (this.ids[s] !== 0) s = (s + 1) & mask;
      this.hi[s] = hi[i]!;
      this.lo[s] = lo[i]!;
      this.ids[s] = ids[i]!;
    }
  }
}

/** The 8 lowercase hex digits of `s` at `at` as an unsigned 32-bit number, or -1 if they are not. */
function hex8(s: string, at: number): number {
  if (s.length < at + 8) return -1;
  let v = 0;
  for (let i = at; i < at + 8; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
