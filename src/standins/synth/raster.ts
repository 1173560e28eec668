import { Rng } from './random.ts';

/**
 * Drawing kernels for the phantoms: a float image plus shape painters that touch only their
 * bounding box. Coordinates are pixels; shapes have a soft (partial-volume) edge.
 */
export interface Img {
  w: number;
  h: number;
  data: Float32Array;
}

export function image(w: number, h: number, fill = 0): Img {
  const data = new Float32Array(w * h);
  if (fill !== 0) data.fill(fill);
  return { w, h, data };
}

export const SET = 0;
export const ADD = 1;
export const MUL = 2;
export type PaintMode = typeof SET | typeof ADD | typeof MUL;

/** Pixel bounds of a rotated ellipse (cos `c`, sin `s`) grown by `soft`, clipped to the image. */
export function ellipseBox(img: Img, cx: number, cy: number, rx: number, ry: number, c: number, s: number, soft: number) {
  const hx = Math.sqrt(rx * rx * c * c + ry * ry * s * s) + soft;
  const hy = Math.sqrt(rx * rx * s * s + ry * ry * c * c) + soft;
  return {
    x0: Math.max(0, Math.floor(cx - hx)),
    x1: Math.min(img.w - 1, Math.ceil(cx + hx)),
    y0: Math.max(0, Math.floor(cy - hy)),
    y1: Math.min(img.h - 1, Math.ceil(cy + hy)),
  };
}

/**
 * Paints a rotated ellipse. SET blends toward `value` by coverage, ADD adds `value × coverage`,
 * MUL multiplies by `1 + (value − 1) × coverage`. `soft` is the edge width in pixels.
 */
export function ellipse(
  img: Img,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  theta: number,
  value: number,
  mode: PaintMode = SET,
  soft = 1,
): void {
  if (rx <= 0 || ry <= 0) return;
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const { x0, x1, y0, y1 } = ellipseBox(img, cx, cy, rx, ry, c, s, soft);
  const irx = 1 / rx;
  const iry = 1 / ry;
  // Edge coverage: distance inside the boundary, scaled by the smaller radius, over `soft` pixels.
  const edge = Math.min(rx, ry) / Math.max(soft, 1e-3);
  const d = img.data;
  const w = img.w;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    let i = y * w + x0;
    for (let x = x0; x <= x1; x++, i++) {
      const dx = x + 0.5 - cx;
      const u = (dx * c + dy * s) * irx;
      const v = (dy * c - dx * s) * iry;
      const r2 = u * u + v * v;
      if (r2 >= (1 + 1 / edge) * (1 + 1 / edge)) continue;
      let a = (1 - Math.sqrt(r2)) * edge + 0.5;
      if (a <= 0) continue;
      if (a > 1) a = 1;
      if (mode === SET) d[i] = d[i]! + (value - d[i]!) * a;
      else if (mode === ADD) d[i] = d[i]! + value * a;
      else d[i] = d[i]! * (1 + (value - 1) * a);
    }
  }
}

/** An elliptical ring (e.g. skull, cortical bone): the outer ellipse minus the inner one. */
export function ring(
  img: Img,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  thickness: number,
  theta: number,
  value: number,
  soft = 1,
): void {
  // Coverage of the outer ellipse minus coverage of the inner one, per pixel.
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const { x0, x1, y0, y1 } = ellipseBox(img, cx, cy, rx, ry, c, s, soft);
  const rxi = Math.max(rx - thickness, 0.5);
  const ryi = Math.max(ry - thickness, 0.5);
  const eo = Math.min(rx, ry) / soft;
  const ei = Math.min(rxi, ryi) / soft;
  const d = img.data;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    let i = y * img.w + x0;
    for (let x = x0; x <= x1; x++, i++) {
      const dx = x + 0.5 - cx;
      const p = dx * c + dy * s;
      const q = dy * c - dx * s;
      const ro = Math.sqrt((p * p) / (rx * rx) + (q * q) / (ry * ry));
      let ao = (1 - ro) * eo + 0.5;
      if (ao <= 0) continue;
      if (ao > 1) ao = 1;
      const ri = Math.sqrt((p * p) / (rxi * rxi) + (q * q) / (ryi * ryi));
      let ai = (1 - ri) * ei + 0.5;
      if (ai < 0) ai = 0;
      else if (ai > 1) ai = 1;
      const a = ao - ai;
      if (a > 0) d[i] = d[i]! + (value - d[i]!) * a;
    }
  }
}

/**
 * Smooth random field (mean 0, sd ≈ 1): normal values on a (cells+1)² grid, interpolated with a
 * smoothstep so there are no visible cell edges. Used for textures and MR bias fields.
 */
export function smoothField(w: number, h: number, cells: number, rng: Rng): Float32Array {
  const g = cells + 1;
  const grid = new Float32Array(g * g);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.normal();
  const out = new Float32Array(w * h);
  const cx = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const t = ((x + 0.5) / w) * cells;
    const k = Math.min(cells - 1, Math.floor(t));
    const f = t - k;
    cx[x] = k;
    fx[x] = f * f * (3 - 2 * f);
  }
  for (let y = 0; y < h; y++) {
    const t = ((y + 0.5) / h) * cells;
    const k = Math.min(cells - 1, Math.floor(t));
    const f0 = t - k;
    const f = f0 * f0 * (3 - 2 * f0);
    const r0 = k * g;
    const r1 = r0 + g;
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const kx = cx[x]!;
      const a = fx[x]!;
      const top = grid[r0 + kx]! * (1 - a) + grid[r0 + kx + 1]! * a;
      const bot = grid[r1 + kx]! * (1 - a) + grid[r1 + kx + 1]! * a;
      out[i] = top * (1 - f) + bot * f;
    }
  }
  return out;
}

/** Separable box blur of radius r, `passes` times (3 passes ≈ Gaussian). In place. */
export function boxBlur(img: Img, r: number, passes = 1): void {
  if (r < 1) return;
  const { w, h, data } = img;
  const tmp = new Float32Array(Math.max(w, h));
  const norm = 1 / (2 * r + 1);
  for (let p = 0; p < passes; p++) {
    for (let y = 0; y < h; y++) blurLine(data, y * w, 1, w, r, norm, tmp);
    for (let x = 0; x < w; x++) blurLine(data, x, w, h, r, norm, tmp);
  }
}

function blurLine(d: Float32Array, start: number, stride: number, n: number, r: number, norm: number, tmp: Float32Array): void {
  for (let i = 0; i < n; i++) tmp[i] = d[start + i * stride]!;
  // Edge values extend past the ends (clamp), so borders do not darken.
  let acc = 0;
  for (let k = -r; k <= r; k++) acc += tmp[Math.min(n - 1, Math.max(0, k))]!;
  for (let i = 0; i < n; i++) {
    d[start + i * stride] = acc * norm;
    acc += tmp[Math.min(n - 1, i + r + 1)]! - tmp[Math.max(0, i - r)]!;
  }
}

/** Bilinear resample of a small image to w×h (used for blurry low-resolution PET activity). */
export function resize(src: Img, w: number, h: number): Img {
  const out = image(w, h);
  const sx = src.w / w;
  const sy = src.h / h;
  const x0 = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const t = Math.min(src.w - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    const k = Math.min(src.w - 2, Math.floor(t));
    x0[x] = Math.max(0, k);
    fx[x] = src.w > 1 ? t - Math.max(0, k) : 0;
  }
  for (let y = 0; y < h; y++) {
    const t = Math.min(src.h - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const k = Math.max(0, Math.min(src.h - 2, Math.floor(t)));
    const f = src.h > 1 ? t - k : 0;
    const r0 = k * src.w;
    const r1 = src.h > 1 ? r0 + src.w : r0;
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const a = fx[x]!;
      const kx = x0[x]!;
      const kx1 = src.w > 1 ? kx + 1 : kx;
      const top = src.data[r0 + kx]! * (1 - a) + src.data[r0 + kx1]! * a;
      const bot = src.data[r1 + kx]! * (1 - a) + src.data[r1 + kx1]! * a;
      out.data[i] = top * (1 - f) + bot * f;
    }
  }
  return out;
}
