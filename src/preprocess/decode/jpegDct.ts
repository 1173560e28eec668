/**
 * Sequential Huffman DCT JPEG decoder (ITU T.81 processes 1, 2 and 4: SOF0 baseline and SOF1
 * extended, 8- or 12-bit precision) that reproduces IJG libjpeg's default decoding bit for bit:
 * jdhuff.c entropy decoding, jidctint.c "islow" IDCT with jdmaster.c's range-limit table, and
 * jdsample.c fancy upsampling for subsampled components (no colour conversion: samples come back
 * as coded, e.g. YCbCr). DCMTK and GDCM decode DICOM JPEG (.50/.51) with that library, so this is
 * the reference behaviour for DICOM "JPEG Extended 12-bit" (1.2.840.10008.1.2.4.51), which the
 * 8-bit-only wasm codecs cannot decode.
 *
 * Strict where libjpeg merely warns: truncated entropy data, a missing or wrong restart marker,
 * or a bad Huffman code throw instead of producing grey blocks. Progressive, lossless,
 * hierarchical and arithmetic-coded streams are rejected.
 */
import { buildHuffTable, BitReader, extend, NATURAL_ORDER, type HuffTable } from './jpegDct/huffman.ts';
import { idctDcOnly, idctIslow, makeIdctTables, type IdctTables } from './jpegDct/idct.ts';
import { upsampleInto, type Plane } from './jpegDct/upsample.ts';

export interface JpegDctFrame {
  width: number;
  height: number;
  components: number;
  precision: 8 | 12;
  /** Interleaved samples, row-major (components per pixel). */
  data: Uint16Array;
}

/** Largest image accepted (pixels), as a guard against absurd headers: 8192². */
export const MAX_JPEG_PIXELS = 8192 * 8192;

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  /** Real size in samples and size in blocks (full MCU rows/columns). */
  width: number;
  height: number;
  blocksX: number;
  blocksY: number;
  plane: Uint16Array | null;
  /** Multiplier table (natural order), latched when the component's scan starts. */
  qmul: Int32Array | null;
  scanned: boolean;
}

interface Frame {
  precision: 8 | 12;
  width: number;
  height: number;
  comps: Component[];
  hmax: number;
  vmax: number;
  mcusX: number;
  mcusY: number;
}

const SOF_NAMES: Record<number, string> = {
  0xc2: 'progressive DCT (SOF2)',
  0xc3: 'lossless (SOF3)',
  0xc5: 'differential sequential DCT (SOF5, hierarchical)',
  0xc6: 'differential progressive DCT (SOF6, hierarchical)',
  0xc7: 'differential lossless (SOF7, hierarchical)',
  0xc9: 'arithmetic-coded sequential DCT (SOF9)',
  0xca: 'arithmetic-coded progressive DCT (SOF10)',
  0xcb: 'arithmetic-coded lossless (SOF11)',
  0xcd: 'arithmetic-coded differential sequential (SOF13)',
  0xce: 'arithmetic-coded differential progressive (SOF14)',
  0xcf: 'arithmetic-coded differential lossless (SOF15)',
};

function fail(msg: string): never {
  throw new Error(`JPEG: ${msg}`);
}

/** Decodes one sequential Huffman DCT JPEG codestream (SOI … EOI). */
export function decodeJpegDct(bytes: Uint8Array): JpegDctFrame {
  const b = bytes;
  const n = b.length;
  if (n < 4 || b[0] !== 0xff || b[1] !== 0xd8) fail('not a JPEG codestream (no SOI marker FFD8 at the start)');
  let pos = 2;
  const qtables: (Uint16Array | null)[] = [null, null, null, null];
  const dcTables: (HuffTable | null)[] = [null, null, null, null];
  const acTables: (HuffTable | null)[] = [null, null, null, null];
  let restartInterval = 0;
  let frame: Frame | null = null;
  let idct: IdctTables | null = null;

  const u16 = (p: number): number => {
    if (p + 2 > n) fail(`truncated marker segment at byte ${p}`);
    return (b[p]! << 8) | b[p + 1]!;
  };

  for (;;) {
    // Next marker; like libjpeg, skip stray bytes and FF fill bytes between segments.
    while (pos < n && b[pos] !== 0xff) pos++;
    while (pos < n && b[pos] === 0xff) pos++;
    if (pos >= n) {
      if (frame && frame.comps.every((c) => c.scanned)) break; // complete image, EOI missing
      fail(frame ? 'truncated stream (image data incomplete, no EOI)' : 'truncated stream (no frame header)');
    }
    const marker = b[pos++]!;
    if (marker === 0xd9) break; // EOI
    // Stuffed FF 00 in leftover scan bytes, TEM, stray RSTn: no payload (libjpeg skips them too).
    if (marker === 0x00 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (marker === 0xd8) fail('unexpected second SOI marker');
    const len = u16(pos);
    if (len < 2 || pos + len > n) fail(`marker FF${hex(marker)} segment length ${len} runs past the end of the stream`);
    const seg = pos + 2;
    const end = pos + len;
    pos = end;

    switch (marker) {
      case 0xc0:
      case 0xc1: {
        if (frame) fail('more than one frame header (SOF)');
        frame = readFrame(b, seg, end);
        idct = makeIdctTables(frame.precision);
        break;
      }
      case 0xc4:
        readDht(b, seg, end, dcTables, acTables);
        break;
      case 0xdb:
        readDqt(b, seg, end, qtables);
        break;
      case 0xdd:
        if (len !== 4) fail(`DRI segment length ${len}, expected 4`);
        restartInterval = u16(seg);
        break;
      case 0xdc:
        fail('DNL marker (image height defined after the first scan) is not supported');
        break;
      case 0xda: {
        if (!frame || !idct) fail('scan (SOS) before the frame header (SOF)');
        pos = decodeScan(b, seg, end, frame, idct, qtables, dcTables, acTables, restartInterval);
        break;
      }
      default: {
        const name = SOF_NAMES[marker];
        if (name) fail(`${name} is not supported (only baseline SOF0 and extended sequential Huffman SOF1)`);
        // APPn, COM, DHP, EXP, JPGn and others: skipped by length.
      }
    }
  }

  if (!frame) fail('no frame header (SOF) before EOI');
  for (const c of frame.comps) if (!c.scanned) fail(`component ${c.id} has no scan data`);
  return assemble(frame);
}

function hex(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}

function readFrame(b: Uint8Array, p: number, end: number): Frame {
  if (end - p < 6) fail('SOF segment too short');
  const precision = b[p]!;
  const height = (b[p + 1]! << 8) | b[p + 2]!;
  const width = (b[p + 3]! << 8) | b[p + 4]!;
  const nc = b[p + 5]!;
  if (precision !== 8 && precision !== 12) fail(`sample precision ${precision} is not supported (8 or 12 bits)`);
  // A 12-bit SOF0 is non-conformant but libjpeg decodes it (it checks only the precision): so do we.
  if (height === 0) fail('image height 0 (defined by a DNL marker) is not supported');
  if (width === 0) fail('image width 0');
  if (nc < 1 || nc > 4) fail(`${nc} components (1 to 4 supported)`);
  if (end - p !== 6 + 3 * nc) fail(`SOF segment length does not match ${nc} components`);
  if (width * height > MAX_JPEG_PIXELS) fail(`image ${width}×${height} is too large`);
  const comps: Component[] = [];
  let hmax = 1;
  let vmax = 1;
  for (let i = 0; i < nc; i++) {
    const q = p + 6 + 3 * i;
    const h = b[q + 1]! >> 4;
    const v = b[q + 1]! & 15;
    const tq = b[q + 2]!;
    if (h < 1 || h > 4 || v < 1 || v > 4) fail(`component ${b[q]} has bad sampling factors ${h}×${v}`);
    if (tq > 3) fail(`component ${b[q]} uses quantisation table ${tq}`);
    if (comps.some((c) => c.id === b[q])) fail(`duplicate component id ${b[q]}`);
    hmax = Math.max(hmax, h);
    vmax = Math.max(vmax, v);
    comps.push({ id: b[q]!, h, v, tq, width: 0, height: 0, blocksX: 0, blocksY: 0, plane: null, qmul: null, scanned: false });
  }
  const mcusX = Math.ceil(width / (8 * hmax));
  const mcusY = Math.ceil(height / (8 * vmax));
  for (const c of comps) {
    c.width = Math.ceil((width * c.h) / hmax);
    c.height = Math.ceil((height * c.v) / vmax);
    c.blocksX = mcusX * c.h;
    c.blocksY = mcusY * c.v;
  }
  return { precision, width, height, comps, hmax, vmax, mcusX, mcusY };
}

function readDht(b: Uint8Array, p: number, end: number, dc: (HuffTable | null)[], ac: (HuffTable | null)[]): void {
  while (p < end) {
    if (p + 17 > end) fail('DHT segment too short');
    const tc = b[p]! >> 4;
    const th = b[p]! & 15;
    if (tc > 1 || th > 3) fail(`DHT table class ${tc} / id ${th} out of range`);
    const counts = b.subarray(p + 1, p + 17);
    let total = 0;
    for (let i = 0; i < 16; i++) total += counts[i]!;
    if (total > 256 || p + 17 + total > end) fail('DHT segment: symbol count exceeds the segment');
    const symbols = b.slice(p + 17, p + 17 + total);
    (tc === 0 ? dc : ac)[th] = buildHuffTable(counts, symbols);
    p += 17 + total;
  }
}

function readDqt(b: Uint8Array, p: number, end: number, q: (Uint16Array | null)[]): void {
  while (p < end) {
    const pq = b[p]! >> 4;
    const tq = b[p]! & 15;
    if (pq > 1 || tq > 3) fail(`DQT precision ${pq} / id ${tq} out of range`);
    const size = pq ? 128 : 64;
    if (p + 1 + size > end) fail('DQT segment too short');
    const t = new Uint16Array(64);
    for (let k = 0; k < 64; k++) t[NATURAL_ORDER[k]!] = pq ? (b[p + 1 + 2 * k]! << 8) | b[p + 2 + 2 * k]! : b[p + 1 + k]!;
    q[tq] = t;
    p += 1 + size;
  }
}

interface ScanComponents {
  comps: Component[];
  dcs: HuffTable[];
  acs: HuffTable[];
}

/** The SOS header: the scan's components and their tables, checked (dequantisation multipliers set). */
function scanComponents(
  b: Uint8Array,
  p: number,
  end: number,
  f: Frame,
  qtables: (Uint16Array | null)[],
  dcTables: (HuffTable | null)[],
  acTables: (HuffTable | null)[],
): ScanComponents {
  const ns = b[p]!;
  if (ns < 1 || ns > 4 || end - p !== 4 + 2 * ns) fail(`SOS segment malformed (${ns} components)`);
  const comps: Component[] = [];
  const dcs: HuffTable[] = [];
  const acs: HuffTable[] = [];
  for (let i = 0; i < ns; i++) {
    const id = b[p + 1 + 2 * i]!;
    const c = f.comps.find((x) => x.id === id);
    if (!c) fail(`scan refers to unknown component ${id}`);
    if (comps.includes(c)) fail(`scan lists component ${id} twice`);
    if (c.scanned) fail(`component ${id} appears in more than one scan (progressive-style multi-scan data)`);
    const td = b[p + 2 + 2 * i]! >> 4;
    const ta = b[p + 2 + 2 * i]! & 15;
    const dc = dcTables[td];
    const ac = acTables[ta];
    if (td > 3 || !dc) fail(`scan uses undefined DC Huffman table ${td}`);
    if (ta > 3 || !ac) fail(`scan uses undefined AC Huffman table ${ta}`);
    if (dc.maxSymbol > 15) fail(`DC Huffman table ${td} has a symbol above 15`);
    const q = qtables[c.tq];
    if (!q) fail(`component ${id} uses undefined quantisation table ${c.tq}`);
    // ISLOW_MULT_TYPE is MULTIPLIER = int in IJG 6b (DCMTK, GDCM): quant values as they are.
    c.qmul = Int32Array.from(q);
    comps.push(c);
    dcs.push(dc);
    acs.push(ac);
  }
  // Ss/Se/Ah/Al are not checked for sequential scans (libjpeg only warns and decodes the full band).
  if (ns > 1) {
    let blocks = 0;
    for (const c of comps) blocks += c.h * c.v;
    if (blocks > 10) fail(`interleaved scan with ${blocks} blocks per MCU (at most 10)`);
  }
  return { comps, dcs, acs };
}

/**
 * The AC coefficients of one block, run/size symbols in zig-zag order, into `block` (which holds
 * zeros past the DC on entry). Returns whether any AC coefficient is non-zero.
 */
function decodeAc(reader: BitReader, ac: HuffTable, block: Int16Array): boolean {
  let any = false;
  for (let k = 1; k < 64; k++) {
    const rs = reader.decode(ac);
    const r = rs >> 4;
    const sz = rs & 15;
    if (sz !== 0) {
      k += r;
      block[NATURAL_ORDER[k]!] = extend(reader.bits(sz), sz);
      any = true;
    } else {
      if (r !== 15) break;
      k += 15;
    }
  }
  return any;
}

/** Decodes one scan; returns the position after its entropy-coded data. */
function decodeScan(
  b: Uint8Array,
  p: number,
  end: number,
  f: Frame,
  idct: IdctTables,
  qtables: (Uint16Array | null)[],
  dcTables: (HuffTable | null)[],
  acTables: (HuffTable | null)[],
  restartInterval: number,
): number {
  const { comps, dcs, acs } = scanComponents(b, p, end, f, qtables, dcTables, acTables);
  const ns = comps.length;
  const single = ns === 1;
  const c0 = comps[0]!;
  const mcusX = single ? Math.ceil(c0.width / 8) : f.mcusX;
  const mcusY = single ? Math.ceil(c0.height / 8) : f.mcusY;
  const total = mcusX * mcusY;
  // Every block costs at least 2 bits (DC and EOB codes of ≥ 1 bit), so a header that claims
  // more blocks than the remaining bytes can hold is corrupt: fail before allocating planes.
  const blocksPerMcu = single ? 1 : comps.reduce((a, c) => a + c.h * c.v, 0);
  if (total * blocksPerMcu > 4 * (b.length - end)) {
    fail(`truncated stream: ${total * blocksPerMcu} blocks in the scan cannot fit in the ${b.length - end} bytes left`);
  }
  for (const c of comps) {
    c.plane = new Uint16Array(c.blocksX * 8 * c.blocksY * 8);
    c.scanned = true;
  }

  const reader = new BitReader(b, end);
  const block = new Int16Array(64);
  const pred = new Int32Array(ns);
  let togo = restartInterval;
  let nextRst = 0;

  for (let m = 0; m < total; m++) {
    if (restartInterval !== 0) {
      if (togo === 0) {
        reader.pos = expectRestart(b, reader.pos, nextRst, m);
        reader.reset();
        nextRst = (nextRst + 1) & 7;
        pred.fill(0);
        togo = restartInterval;
      }
      togo--;
    }
    const mx = m % mcusX;
    const my = (m - mx) / mcusX;
    for (let ci = 0; ci < ns; ci++) {
      const c = comps[ci]!;
      const dc = dcs[ci]!;
      const ac = acs[ci]!;
      const plane = c.plane!;
      const stride = c.blocksX * 8;
      const bh = single ? 1 : c.h;
      const bv = single ? 1 : c.v;
      for (let v = 0; v < bv; v++) {
        for (let h = 0; h < bh; h++) {
          // DC: difference category, then prediction (int), stored as JCOEF.
          let s = reader.decode(dc);
          if (s !== 0) s = extend(reader.bits(s), s);
          const d = (pred[ci]! + s) | 0;
          pred[ci] = d;
          block[0] = d;
          const bx = single ? mx : mx * c.h + h;
          const by = single ? my : my * c.v + v;
          const at = by * 8 * stride + bx * 8;
          if (decodeAc(reader, ac, block)) {
            idctIslow(idct, block, c.qmul!, plane, at, stride);
            block.fill(0);
          } else {
            idctDcOnly(idct, block[0]!, c.qmul![0]!, plane, at, stride);
          }
        }
      }
    }
    if (reader.truncated) fail(`truncated entropy-coded data (MCU ${m} of ${total} runs past the end of its segment)`);
  }
  return reader.pos;
}

/** Finds the restart marker that must follow a restart interval; returns the position after it. */
function expectRestart(b: Uint8Array, p: number, want: number, mcu: number): number {
  const n = b.length;
  // libjpeg skips leftover bytes up to the next marker (a warning there).
  while (p < n && !(b[p] === 0xff && p + 1 < n && b[p + 1] !== 0 && b[p + 1] !== 0xff)) p++;
  if (p + 1 >= n) fail(`truncated stream: restart marker RST${want} expected before MCU ${mcu}`);
  const m = b[p + 1]!;
  if (m !== 0xd0 + want) fail(`expected restart marker RST${want} before MCU ${mcu}, found FF${hex(m)}`);
  return p + 2;
}

function assemble(f: Frame): JpegDctFrame {
  const { width, height, comps, precision } = f;
  const nc = comps.length;
  const out = new Uint16Array(width * height * nc);
  for (let i = 0; i < nc; i++) {
    const c = comps[i]!;
    if (f.hmax % c.h !== 0 || f.vmax % c.v !== 0) fail(`fractional upsampling ${f.hmax}/${c.h} × ${f.vmax}/${c.v} is not supported`);
    const plane: Plane = { data: c.plane!, stride: c.blocksX * 8, width: c.width, height: c.height };
    upsampleInto(plane, f.hmax / c.h, f.vmax / c.v, width, height, out, i, nc);
  }
  return { width, height, components: nc, precision, data: out };
}
