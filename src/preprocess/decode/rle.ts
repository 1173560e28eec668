/**
 * DICOM RLE Lossless (PS3.5 Annex G). A frame is a 64-byte header (segment count, 15 offsets) and
 * PackBits segments, one per byte plane: sample-major, most significant byte first. The output is
 * planar by sample (PlanarConfiguration does not apply to RLE) in little-endian containers.
 */

/**
 * Decode one RLE frame into `out` (pixels × samples × bytesPerSample bytes, planar, little endian).
 * Throws Error with a reason on malformed input; never writes outside `out`.
 */
export function decodeRleFrame(frame: Uint8Array, out: Uint8Array, pixels: number, samples: number, bytesPerSample: number): void {
  if (frame.length < 64) throw new Error(`RLE frame has ${frame.length} bytes, less than its 64-byte header`);
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const nSeg = dv.getUint32(0, true);
  const expected = samples * bytesPerSample;
  if (nSeg !== expected) throw new Error(`RLE header has ${nSeg} segments, expected ${expected} (samples × bytes per sample)`);
  for (let s = 0; s < nSeg; s++) {
    const start = dv.getUint32(4 + 4 * s, true);
    const end = s + 1 < nSeg ? dv.getUint32(8 + 4 * s, true) : frame.length;
    if (start < 64 || start > frame.length || end < start || end > frame.length) {
      throw new Error(`RLE segment ${s} offsets [${start}, ${end}) outside the ${frame.length}-byte frame`);
    }
    const sample = Math.floor(s / bytesPerSample);
    const byteInSample = bytesPerSample - 1 - (s % bytesPerSample); // MSB segment first → highest LE byte
    const base = sample * pixels * bytesPerSample + byteInSample;
    const written = unpackBits(frame, start, end, out, base, bytesPerSample, pixels);
    if (written < pixels) throw new Error(`RLE segment ${s} decoded ${written} bytes, expected ${pixels}`);
  }
}

/** PackBits from src[start, end) into dst[base + k*stride], at most `count` bytes; returns bytes written. */
function unpackBits(src: Uint8Array, start: number, end: number, dst: Uint8Array, base: number, stride: number, count: number): number {
  let i = start;
  let k = 0;
  let d = base;
  while (i < end && k < count) {
    const n = src[i++]!;
    if (n < 128) {
      // literal run of n+1 bytes
      let run = n + 1;
      if (run > end - i) run = end - i;
      if (run > count - k) run = count - k;
      for (let j = 0; j < run; j++) {
        dst[d] = src[i + j]!;
        d += stride;
      }
      i += n + 1;
      k += run;
    } else if (n > 128) {
      // replicate the next byte 257-n times
      if (i >= end) break;
      const v = src[i++]!;
      let run = 257 - n;
      if (run > count - k) run = count - k;
      for (let j = 0; j < run; j++) {
        dst[d] = v;
        d += stride;
      }
      k += run;
    }
    // n === 128 (-128): no-op
  }
  return k;
}
