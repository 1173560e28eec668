/**
 * DICOM RLE Lossless encoder (PS3.5 Annex G): a 64-byte header (segment count + 15 offsets),
 * then one PackBits segment per byte plane, most significant byte first. Rows are encoded
 * separately (runs never cross a row) and each segment is padded to an even length.
 */
export function encodeRle(pixels: Uint8Array | Uint16Array | Int16Array, rows: number, cols: number): Uint8Array {
  const bytesPerSample = pixels.BYTES_PER_ELEMENT;
  if (pixels.length !== rows * cols) throw new Error(`RLE: ${pixels.length} samples for ${rows}×${cols}`);
  const raw = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  const plane = new Uint8Array(cols);
  const segments: Uint8Array[] = [];
  for (let b = bytesPerSample - 1; b >= 0; b--) {
    // Little-endian storage: byte b of each sample; the most significant plane comes first.
    const out = new Uint8Array(rows * (cols + Math.ceil(cols / 128)) + 2);
    let n = 0;
    for (let y = 0; y < rows; y++) {
      const base = y * cols * bytesPerSample + b;
      for (let x = 0; x < cols; x++) plane[x] = raw[base + x * bytesPerSample]!;
      n = packBitsRow(plane, out, n);
    }
    if (n % 2 === 1) out[n++] = 0;
    segments.push(out.subarray(0, n));
  }
  const total = 64 + segments.reduce((a, s) => a + s.length, 0);
  const result = new Uint8Array(total);
  const header = new DataView(result.buffer);
  header.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((seg, i) => {
    header.setUint32(4 + 4 * i, offset, true);
    result.set(seg, offset);
    offset += seg.length;
  });
  return result;
}

/** PackBits one row: runs of ≥2 equal bytes become replicate runs, the rest literal runs (≤128). */
function packBitsRow(row: Uint8Array, out: Uint8Array, n: number): number {
  const len = row.length;
  let i = 0;
  while (i < len) {
    const v = row[i]!;
    let run = 1;
    while (i + run < len && run < 128 && row[i + run] === v) run++;
    if (run >= 2) {
      out[n++] = 257 - run; // −(run − 1) as a signed byte
      out[n++] = v;
      i += run;
      continue;
    }
    let j = i + 1;
    while (j < len && j - i < 128) {
      if (j + 2 < len && row[j] === row[j + 1] && row[j] === row[j + 2]) break;
      j++;
    }
    out[n++] = j - i - 1;
    for (let k = i; k < j; k++) out[n++] = row[k]!;
    i = j;
  }
  return n;
}
