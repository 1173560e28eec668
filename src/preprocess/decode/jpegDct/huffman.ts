/**
 * Huffman entropy decoding for sequential DCT JPEG with libjpeg's (jdhuff.c) semantics:
 *  - entropy-coded bytes: FF 00 is a data FF, runs of FF fill bytes before a marker are skipped,
 *    and reading stops at a marker (the reader never consumes it);
 *  - bits needed past the end of the segment are zeros, but using any of them flags the segment
 *    as truncated (libjpeg warns and greys the rest of the segment; we report it and the caller
 *    throws);
 *  - HUFF_EXTEND sign semantics; DC prediction kept as int, coefficients stored as JCOEF (16-bit);
 *  - AC run lengths that overshoot position 63 write to position 63 (libjpeg's padded
 *    jpeg_natural_order), so corrupt streams behave the same way.
 */

export const LOOKAHEAD = 9;

export interface HuffTable {
  /** [LOOKAHEAD-bit prefix] → (code length << 8) | symbol, or 0 when the code is longer. */
  lookup: Int32Array;
  /** Per code length 1..16 (index 17 sentinel): largest code, −1 when none. */
  maxcode: Int32Array;
  /** Per code length: symbols index of the first code minus that code. */
  valoffset: Int32Array;
  symbols: Uint8Array;
  /** Largest symbol value (DC tables must stay ≤ 15: checked when the table is used as DC). */
  maxSymbol: number;
}

/** Builds decoding tables from DHT counts (BITS, 16 entries) and symbols (HUFFVAL). */
export function buildHuffTable(counts: Uint8Array, symbols: Uint8Array): HuffTable {
  const maxcode = new Int32Array(18).fill(-1);
  const valoffset = new Int32Array(18);
  const lookup = new Int32Array(1 << LOOKAHEAD);
  let code = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    const n = counts[len - 1]!;
    if (n > 0) {
      valoffset[len] = k - code;
      for (let i = 0; i < n; i++) {
        if (len <= LOOKAHEAD) {
          const span = 1 << (LOOKAHEAD - len);
          const base = code << (LOOKAHEAD - len);
          lookup.fill((len << 8) | symbols[k]!, base, base + span);
        }
        code++;
        k++;
      }
      maxcode[len] = code - 1;
    }
    // No code may be all ones (libjpeg: JERR_BAD_HUFF_TABLE).
    if (n > 0 && code >= 1 << len) throw new Error(`JPEG: bad Huffman table (code space overflows at length ${len})`);
    code <<= 1;
  }
  maxcode[17] = 0x7fffffff;
  let maxSymbol = 0;
  for (let i = 0; i < symbols.length; i++) if (symbols[i]! > maxSymbol) maxSymbol = symbols[i]!;
  return { lookup, maxcode, valoffset, symbols, maxSymbol };
}

/** Natural order of zig-zag index k, padded with 63 for run-length overshoot (as libjpeg). */
export const NATURAL_ORDER = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36,
  29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
  // extra entries for safety in decoder
  63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]);

/** Bit reader over the entropy-coded segment starting at `pos`. */
export class BitReader {
  pos: number;
  private acc = 0;
  /** Valid bits in acc (low `nbits` bits). */
  private nbits = 0;
  /** How many of the low bits in acc are zero padding past the segment end. */
  private padBits = 0;
  /** True once a padding bit has been used. */
  truncated = false;

  constructor(
    private readonly b: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  /** Tops the buffer up to more than 24 bits; past a marker or the end, appends zero bits. */
  private fill(): void {
    const b = this.b;
    const len = b.length;
    while (this.nbits <= 24) {
      let byte = 0;
      if (this.padBits === 0 && this.pos < len) {
        byte = b[this.pos]!;
        if (byte === 0xff) {
          let p = this.pos + 1;
          while (p < len && b[p] === 0xff) p++;
          if (p < len && b[p] === 0) {
            this.pos = p + 1;
          } else {
            // A marker (or the end): leave pos on an FF of it and pad from here on.
            this.pos = p - 1;
            byte = 0;
            this.padBits += 8;
          }
        } else {
          this.pos++;
        }
      } else {
        this.padBits += 8;
      }
      this.acc = (this.acc << 8) | byte;
      this.nbits += 8;
    }
  }

  private consume(n: number): void {
    this.nbits -= n;
    if (this.nbits < this.padBits) {
      this.truncated = true;
      this.padBits = this.nbits;
    }
  }

  /** Next n bits (1..16) as an unsigned number. */
  bits(n: number): number {
    if (this.nbits < n) this.fill();
    const v = (this.acc >>> (this.nbits - n)) & ((1 << n) - 1);
    this.consume(n);
    return v;
  }

  /** Next Huffman symbol. Throws on a code that no table entry matches. */
  decode(t: HuffTable): number {
    if (this.nbits < 16) this.fill();
    const nb = this.nbits;
    const acc = this.acc;
    const e = t.lookup[(acc >>> (nb - LOOKAHEAD)) & ((1 << LOOKAHEAD) - 1)]!;
    if (e !== 0) {
      this.consume(e >> 8);
      return e & 0xff;
    }
    for (let len = LOOKAHEAD + 1; len <= 16; len++) {
      const code = (acc >>> (nb - len)) & ((1 << len) - 1);
      if (code <= t.maxcode[len]!) {
        this.consume(len);
        return t.symbols[t.valoffset[len]! + code]!;
      }
    }
    throw new Error(`JPEG: corrupt entropy data (no Huffman code matches at byte ${this.pos})`);
  }

  /** Drops buffered bits (restart or end of scan); pos then points at or before the next marker. */
  reset(): void {
    this.acc = 0;
    this.nbits = 0;
    this.padBits = 0;
    this.truncated = false;
  }
}

/** HUFF_EXTEND: r is an s-bit magnitude; values below 2^(s−1) are negative. */
export function extend(r: number, s: number): number {
  return r < 1 << (s - 1) ? r + (-1 << s) + 1 : r;
}
