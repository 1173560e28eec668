/**
 * Component upsampling to full image size with libjpeg 6b's jdsample.c choices (default
 * do_fancy_upsampling): full size → copy; 2:1 horizontal → h2v1 "fancy" triangle filter;
 * 2:1 both ways → h2v2 fancy filter with the row above/below as context; any other integral
 * ratio (or a component ≤ 2 samples wide) → box replication. Edges replicate the last real
 * sample/row of the component (jdmainct.c context pointers), never the block padding.
 */

export interface Plane {
  /** Samples, `stride` apart per row; at least `height` rows of `width` real samples. */
  data: Uint16Array;
  stride: number;
  /** Real (downsampled) size: ceil(image × factor / max factor). */
  width: number;
  height: number;
}

/** Writes the component, upsampled by (hx, vy), into `out` at every `step`-th sample from `first`. */
export function upsampleInto(p: Plane, hx: number, vy: number, outW: number, outH: number, out: Uint16Array, first: number, step: number): void {
  if (hx === 1 && vy === 1) return copy(p, outW, outH, out, first, step);
  const fancy = p.width > 2;
  if (fancy && hx === 2 && vy === 1) return h2v1Fancy(p, outW, outH, out, first, step);
  if (fancy && hx === 2 && vy === 2) return h2v2Fancy(p, outW, outH, out, first, step);
  return box(p, hx, vy, outW, outH, out, first, step);
}

function copy(p: Plane, outW: number, outH: number, out: Uint16Array, first: number, step: number): void {
  const d = p.data;
  for (let y = 0; y < outH; y++) {
    const r = y * p.stride;
    if (step === 1) {
      out.set(d.subarray(r, r + outW), y * outW);
      continue;
    }
    let o = first + y * outW * step;
    for (let x = 0; x < outW; x++, o += step) out[o] = d[r + x]!;
  }
}

function box(p: Plane, hx: number, vy: number, outW: number, outH: number, out: Uint16Array, first: number, step: number): void {
  const d = p.data;
  for (let y = 0; y < outH; y++) {
    let o = first + y * outW * step;
    const r = Math.floor(y / vy) * p.stride;
    for (let x = 0; x < outW; x++, o += step) out[o] = d[r + Math.floor(x / hx)]!;
  }
}

/** One h2v1 fancy row: 2·w output samples from w inputs at `r` (w > 2). */
function h2v1Row(d: Uint16Array, r: number, w: number, row: Int32Array): void {
  let v = d[r]!;
  row[0] = v;
  row[1] = (v * 3 + d[r + 1]! + 2) >> 2;
  let o = 2;
  for (let i = 1; i < w - 1; i++) {
    v = d[r + i]! * 3;
    row[o++] = (v + d[r + i - 1]! + 1) >> 2;
    row[o++] = (v + d[r + i + 1]! + 2) >> 2;
  }
  v = d[r + w - 1]!;
  row[o++] = (v * 3 + d[r + w - 2]! + 1) >> 2;
  row[o] = v;
}

function h2v1Fancy(p: Plane, outW: number, outH: number, out: Uint16Array, first: number, step: number): void {
  const row = new Int32Array(2 * p.width);
  for (let y = 0; y < outH; y++) {
    h2v1Row(p.data, y * p.stride, p.width, row);
    let o = first + y * outW * step;
    for (let x = 0; x < outW; x++, o += step) out[o] = row[x]!;
  }
}

function h2v2Fancy(p: Plane, outW: number, outH: number, out: Uint16Array, first: number, step: number): void {
  const d = p.data;
  const w = p.width;
  const row = new Int32Array(2 * w);
  for (let y = 0; y < outH; y++) {
    const iy = y >> 1;
    // Even output rows lean on the row above, odd ones on the row below (replicated at the edges).
    const ny = y & 1 ? Math.min(iy + 1, p.height - 1) : Math.max(iy - 1, 0);
    const r0 = iy * p.stride;
    const r1 = ny * p.stride;
    let thisSum = d[r0]! * 3 + d[r1]!;
    let nextSum = d[r0 + 1]! * 3 + d[r1 + 1]!;
    row[0] = (thisSum * 4 + 8) >> 4;
    row[1] = (thisSum * 3 + nextSum + 7) >> 4;
    let lastSum = thisSum;
    thisSum = nextSum;
    let o = 2;
    for (let i = 2; i < w; i++) {
      nextSum = d[r0 + i]! * 3 + d[r1 + i]!;
      row[o++] = (thisSum * 3 + lastSum + 8) >> 4;
      row[o++] = (thisSum * 3 + nextSum + 7) >> 4;
      lastSum = thisSum;
      thisSum = nextSum;
    }
    row[o++] = (thisSum * 3 + lastSum + 8) >> 4;
    row[o] = (thisSum * 4 + 7) >> 4;
    let q = first + y * outW * step;
    for (let x = 0; x < outW; x++, q += step) out[q] = row[x]!;
  }
}
