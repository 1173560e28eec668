/**
 * JPEG Lossless encoder, process 14, first-order prediction (selection value 1) — the DICOM
 * transfer syntax 1.2.840.10008.1.2.4.70. One component, precision 2–16 bits, point transform 0.
 * The Huffman table for the difference categories is built per image (ITU T.81 Annex K.2).
 * Signed samples are coded as their 16-bit two's-complement patterns (differences are modulo 2^16).
 */
export function encodeJpegLossless(pixels: Uint16Array | Int16Array | Uint8Array, rows: number, cols: number, precision: number): Uint8Array {
  if (precision < 2 || precision > 16) throw new Error(`JPEG lossless: precision ${precision} not in 2–16`);
  if (pixels.length !== rows * cols) throw new Error(`JPEG lossless: ${pixels.length} samples for ${rows}×${cols}`);
  const mask = precision === 16 ? 0xffff : (1 << precision) - 1;
  const src = pixels instanceof Int16Array ? new Uint16Array(pixels.buffer, pixels.byteOffset, pixels.length) : pixels;
  const n = rows * cols;
  const diffs = new Int32Array(n);
  const cats = new Uint8Array(n);
  const freq = new Uint32Array(17);
  for (let y = 0; y < rows; y++) {
    const row = y * cols;
    for (let x = 0; x < cols; x++) {
      const i = row + x;
      const pred = x > 0 ? src[i - 1]! & mask : y > 0 ? src[i - cols]! & mask : 1 << (precision - 1);
      let d = ((src[i]! & mask) - pred) & 0xffff;
      if (d >= 0x8000) d -= 0x10000; // −32768 stays: category 16 codes it with no extra bits
      const a = d < 0 ? -d : d;
      const c = a === 0 ? 0 : 32 - Math.clz32(a);
      diffs[i] = d;
      cats[i] = c;
      freq[c]!++;
    }
  }
  const { bits, huffval } = huffmanTable(freq);
  const code = new Uint16Array(17);
  const size = new Uint8Array(17);
  let c = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let m = 0; m < bits[len]!; m++, k++) {
      code[huffval[k]!] = c++;
      size[huffval[k]!] = len;
    }
    c <<= 1;
  }

  const w = new BitWriter(n * 2 + 1024);
  w.bytes([0xff, 0xd8]);
  // SOF3: lossless, Huffman. One component, no subsampling.
  w.bytes([0xff, 0xc3, 0, 11, precision, rows >> 8, rows & 0xff, cols >> 8, cols & 0xff, 1, 1, 0x11, 0]);
  const nsym = huffval.length;
  w.bytes([0xff, 0xc4, (3 + 16 + nsym) >> 8, (3 + 16 + nsym) & 0xff, 0x00]);
  w.bytes(Array.from(bits.subarray(1, 17)));
  w.bytes(huffval);
  // SOS: Ss = predictor 1, Se = 0, Ah/Al = 0 (no point transform).
  w.bytes([0xff, 0xda, 0, 8, 1, 1, 0x00, 1, 0, 0]);
  for (let i = 0; i < n; i++) {
    const cat = cats[i]!;
    w.put(code[cat]!, size[cat]!);
    if (cat > 0 && cat < 16) {
      const d = diffs[i]!;
      w.put((d < 0 ? d - 1 : d) & ((1 << cat) - 1), cat);
    }
  }
  w.flush();
  w.bytes([0xff, 0xd9]);
  return w.result();
}

/** Code lengths limited to 16 bits with the all-ones code reserved (Annex K.2, figures K.1–K.4). */
function huffmanTable(counts: Uint32Array): { bits: Uint8Array; huffval: number[] } {
  const nsym = counts.length;
  const freq = new Float64Array(nsym + 1);
  freq.set(counts);
  freq[nsym] = 1; // reserved symbol: no real code is all ones
  const codesize = new Int32Array(nsym + 1);
  const others = new Int32Array(nsym + 1).fill(-1);
  for (;;) {
    let v1 = -1;
    let v2 = -1;
    for (let i = 0; i <= nsym; i++) {
      if (freq[i]! <= 0) continue;
      if (v1 < 0 || freq[i]! <= freq[v1]!) v1 = i;
    }
    for (let i = 0; i <= nsym; i++) {
      if (freq[i]! <= 0 || i === v1) continue;
      if (v2 < 0 || freq[i]! <= freq[v2]!) v2 = i;
    }
    if (v2 < 0) break;
    freq[v1] = freq[v1]! + freq[v2]!;
    freq[v2] = 0;
    codesize[v1]!++;
    while (others[v1]! >= 0) {
      v1 = others[v1]!;
      codesize[v1]!++;
    }
    others[v1] = v2;
    codesize[v2]!++;
    while (others[v2]! >= 0) {
      v2 = others[v2]!;
      codesize[v2]!++;
    }
  }
  const bitsLong = new Int32Array(64);
  for (let i = 0; i <= nsym; i++) if (codesize[i]! > 0) bitsLong[codesize[i]!]!++;
  for (let i = 63; i > 16; i--) {
    while (bitsLong[i]! > 0) {
      let j = i - 2;
      while (bitsLong[j] === 0) j--;
      bitsLong[i]! -= 2;
      bitsLong[i - 1]!++;
      bitsLong[j + 1]! += 2;
      bitsLong[j]!--;
    }
  }
  let top = 16;
  while (bitsLong[top] === 0) top--;
  bitsLong[top]!--; // drop the reserved symbol (it has the longest code)
  const bits = new Uint8Array(17);
  for (let i = 1; i <= 16; i++) bits[i] = bitsLong[i]!;
  const huffval: number[] = [];
  for (let len = 1; len < 64; len++) for (let i = 0; i < nsym; i++) if (codesize[i] === len) huffval.push(i);
  return { bits, huffval };
}

/** MSB-first bit writer with JPEG byte stuffing (0xFF → 0xFF 0x00 inside entropy-coded data). */
class BitWriter {
  private buf: Uint8Array;
  private n = 0;
  private acc = 0;
  private nbits = 0;
  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }
  private ensure(extra: number): void {
    if (this.n + extra <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.n + extra));
    next.set(this.buf.subarray(0, this.n));
    this.buf = next;
  }
  bytes(list: ArrayLike<number>): void {
    this.ensure(list.length);
    for (let i = 0; i < list.length; i++) this.buf[this.n++] = list[i]!;
  }
  put(value: number, len: number): void {
    this.acc = ((this.acc << len) | value) >>> 0;
    this.nbits += len;
    this.ensure(8);
    while (this.nbits >= 8) {
      this.nbits -= 8;
      const byte = (this.acc >>> this.nbits) & 0xff;
      this.buf[this.n++] = byte;
      if (byte === 0xff) this.buf[this.n++] = 0;
    }
    this.acc &= (1 << this.nbits) - 1;
  }
  flush(): void {
    if (this.nbits > 0) this.put((1 << (8 - this.nbits)) - 1, 8 - this.nbits);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}
