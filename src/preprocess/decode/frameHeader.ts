/**
 * Reads the image size from a compressed frame's own header (JPEG SOF, JPEG-LS SOF55, J2K SIZ)
 * WITHOUT decoding it, so a frame whose declared size disagrees with Rows/Columns, or is absurd,
 * is rejected before a codec allocates (wasm heaps only grow).
 */

export interface CodestreamSize {
  width: number;
  height: number;
  components: number;
  precision: number;
}

const u16 = (b: Uint8Array, i: number): number => (b[i]! << 8) | b[i + 1]!;
const u32 = (b: Uint8Array, i: number): number => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;

/** JPEG (baseline, extended, lossless) and JPEG-LS: the first SOFn / SOF55 segment. */
export function jpegSize(b: Uint8Array): CodestreamSize | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  let i = 2;
  while (i + 3 < b.length) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1]!;
    if (m === 0xff) {
      i++; // fill byte
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (m === 0xd9 || m === 0xda) return null; // EOI / SOS before any frame header
    const len = u16(b, i + 2);
    if (len < 2) return null;
    const isSof = (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) || m === 0xf7;
    if (isSof) {
      if (i + 10 > b.length) return null;
      return { precision: b[i + 4]!, height: u16(b, i + 5), width: u16(b, i + 7), components: b[i + 9]! };
    }
    i += 2 + len;
  }
  return null;
}

/** JPEG 2000 / HTJ2K: the SIZ segment after SOC (found inside a JP2 wrapper too). */
export function j2kSize(b: Uint8Array): CodestreamSize | null {
  const limit = Math.min(b.length - 42, 1 << 16);
  for (let i = 0; i < limit; i++) {
    if (b[i] === 0xff && b[i + 1] === 0x4f && b[i + 2] === 0xff && b[i + 3] === 0x51) {
      const s = i + 4; // Lsiz(2) Rsiz(2) Xsiz Ysiz XOsiz YOsiz XTsiz YTsiz XTOsiz YTOsiz (4 each) Csiz(2) Ssiz...
      const xsiz = u32(b, s + 4);
      const ysiz = u32(b, s + 8);
      const xo = u32(b, s + 12);
      const yo = u32(b, s + 16);
      const components = u16(b, s + 36);
      const ssiz = b[s + 38] ?? 0;
      return { width: xsiz - xo, height: ysiz - yo, components, precision: (ssiz & 0x7f) + 1 };
    }
  }
  return null;
}
