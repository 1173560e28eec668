import { ellipse, ellipseBox, image, resize, smoothField, ADD, type Img } from '../raster.ts';
import { Rng, normalNoise } from '../random.ts';
import { burnInAnnotation } from './burnIn.ts';

export type XrLocation = 'chest' | 'extremity' | 'breast' | 'head' | 'pelvis';

export interface XrSeries {
  location: XrLocation;
  rows: number;
  cols: number;
  bitsStored: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  /** Lateral projection (chest LL); other views are frontal. */
  lateral?: boolean;
  /** Burned-in side marker and text (BurnedInAnnotation YES). */
  burnIn?: boolean;
  marker?: 'L' | 'R';
}

/**
 * Projection radiographs: a map of attenuation along each ray (soft tissue + bone line integrals),
 * turned into detector values (bright = more attenuation on MONOCHROME2), with a heel-effect
 * gradient, quantum noise and, on some, collimator edges. MONOCHROME1 stores the inverse.
 */
export function renderXr(series: XrSeries, seriesSeed: number, imageSeed: number): Uint16Array {
  const { rows: h, cols: w } = series;
  const ir = new Rng(imageSeed);
  // Anatomy is smooth: draw the attenuation map at half resolution, upsample (which also gives the
  // detector's slight blur), then add full-resolution noise. Four times fewer geometry evaluations.
  const half = image(Math.ceil(w / 2), Math.ceil(h / 2), 0);
  if (series.location === 'chest') (series.lateral ? chestLateral : chest)(half, new Rng(seriesSeed), ir);
  else if (series.location === 'extremity') extremity(half, new Rng(seriesSeed), ir);
  else if (series.location === 'head') skull(half, new Rng(seriesSeed), ir, series.lateral === true);
  else if (series.location === 'pelvis') pelvis(half, new Rng(seriesSeed), ir);
  else breast(half, new Rng(seriesSeed), ir);
  const A = resize(half, w, h);

  const max = (1 << series.bitsStored) - 1;
  const gain = ir.uniform(0.75, 0.92);
  const floor = ir.uniform(0.02, 0.12);
  const heel = smoothField(w, h, 2, ir);
  const heelAmp = ir.uniform(0.02, 0.06);
  const noise = normalNoise(new Float32Array(w * h), ir.seed());
  // Quantum mottle: photon counts fall as exp(−μt), and the log-domain image's noise grows as
  // 1/√counts, so dense anatomy is grainy and the raw beam beside the patient nearly clean.
  const noiseAmp = ir.uniform(0.0015, 0.005);
  const k = ir.uniform(0.6, 1.8);
  // Exposure recognition: the console finds the anatomy in the histogram and maps its attenuation
  // range onto the display range, so thin and thick body parts alike span most of the grey scale.
  const aScale = ir.uniform(1.6, 2.6) / Math.max(1e-3, k * highPercentile(A.data, 0.995));
  // Vendors' tone curves differ: a per-image gamma on the detector response keeps brightness
  // statistics from being a class give-away.
  const gamma = ir.uniform(0.8, 2.6);
  // Detector response (1 − exp(−k·a))^γ from a table (a in [0, 8)), linear between entries.
  const LUT_N = 2048;
  const lutScale = LUT_N / 8;
  const lut = new Float32Array(LUT_N + 2);
  for (let j = 0; j < lut.length; j++) lut[j] = (1 - Math.exp((-k * j) / lutScale)) ** gamma;
  // The unattenuated beam saturates the detector and the processing clips it: one flat level.
  const clip = ir.chance(0.85) ? ir.uniform(0.01, 0.05) : 0;
  const collimate = ir.chance(0.5) ? ir.uniform(0.02, 0.06) : 0;
  const cx0 = Math.round(collimate * w);
  const cy0 = Math.round(collimate * h * ir.uniform(0.5, 1.5));
  const out = new Uint16Array(w * h);
  const d = A.data;
  const inv = series.photometric === 'MONOCHROME1';
  for (let y = 0; y < h; y++) {
    const yc = y < cy0 || y >= h - cy0;
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      let v: number;
      if (yc || x < cx0 || x >= w - cx0) v = 0.97 + noise[i]! * 0.004; // unexposed behind the collimator
      else {
        const a = d[i]! > 0 ? d[i]! * aScale : 0;
        let t = a * lutScale;
        if (t > LUT_N) t = LUT_N;
        const j = t | 0;
        const resp = lut[j]! + (lut[j + 1]! - lut[j]!) * (t - j);
        v = floor + gain * (resp + noise[i]! * noiseAmp * Math.min(8, Math.exp(0.5 * k * a))) + heel[i]! * heelAmp;
        if (resp < clip) v = floor + gain * clip;
      }
      if (inv) v = 1 - v;
      const s = Math.round(v * max);
      out[i] = s < 0 ? 0 : s > max ? max : s;
    }
  }
  if (series.burnIn) burnInAnnotation(out, w, h, inv ? 0 : max, series.marker ?? 'R', ir);
  return out;
}

/** The q-quantile of the positive values (a 256-bin histogram: exact enough for a display range). */
function highPercentile(d: Float32Array, q: number): number {
  let hi = 0;
  for (let i = 0; i < d.length; i++) if (d[i]! > hi) hi = d[i]!;
  if (hi <= 0) return 0;
  const bins = new Uint32Array(256);
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v > 0) {
      bins[Math.min(255, Math.floor((v / hi) * 256))]!++;
      n++;
    }
  }
  let acc = 0;
  for (let b = 0; b < 256; b++) {
    acc += bins[b]!;
    if (acc >= q * n) return ((b + 1) / 256) * hi;
  }
  return hi;
}

/** PA chest: torso thickness, lung fields, heart and mediastinum, spine, rib arcs, clavicles. */
function chest(A: Img, r: Rng, ir: Rng): void {
  const { w, h, data } = A;
  const cx = w / 2 + r.uniform(-0.05, 0.05) * w;
  const torso = r.uniform(0.3, 0.4) * w;
  const thick = r.uniform(0.8, 1.1);
  const shoulder = r.uniform(0.12, 0.2) * h;
  for (let y = 0; y < h; y++) {
    const v = y / h;
    // Half-width: neck at the top, shoulders, then a slightly narrowing torso.
    const hw = y < shoulder ? 0.1 * w + (torso - 0.1 * w) * Math.pow(y / shoulder, 0.6) : torso * (1 - 0.08 * (v - 0.2));
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const u = (x + 0.5 - cx) / hw;
      if (u > -1 && u < 1) data[i] = thick * Math.sqrt(1 - u * u);
    }
  }
  const s = Math.min(w, h);
  const lungTop = h * r.uniform(0.16, 0.22);
  const lungBot = h * r.uniform(0.68, 0.78) + ir.uniform(-0.01, 0.01) * h; // inspiration varies per image
  const lr = (lungBot - lungTop) / 2;
  for (const side of [-1, 1]) {
    const lx = cx + side * torso * r.uniform(0.42, 0.52);
    ellipse(A, lx, lungTop + lr, torso * 0.36, lr, side * -0.08, -0.5 * thick, ADD, s * 0.03);
  }
  ellipse(A, cx + torso * r.uniform(0.05, 0.18), lungTop + lr * 1.45, torso * r.uniform(0.3, 0.42), lr * 0.55, 0.2, 0.45 * thick, ADD, s * 0.03);
  ellipse(A, cx, lungTop + lr * 0.6, torso * 0.12, lr * 0.9, 0, 0.3 * thick, ADD, s * 0.02);
  // Spine: vertical band with a faint vertebral rhythm.
  const sw = torso * 0.09;
  for (let y = 0; y < h; y++) {
    const rhythm = 0.85 + 0.15 * Math.cos((y / h) * 2 * Math.PI * 11);
    for (let x = Math.max(0, Math.floor(cx - sw)); x < Math.min(w, Math.ceil(cx + sw)); x++) {
      const u = (x + 0.5 - cx) / sw;
      data[y * w + x] = data[y * w + x]! + 0.45 * rhythm * Math.sqrt(Math.max(0, 1 - u * u));
    }
  }
  // Posterior ribs: from the spine they rise a little, then curve down laterally; the cortex
  // (edges of the band) attenuates more than the middle.
  const ribStep = (lungBot - lungTop) / r.uniform(9, 11);
  const ribT = ribStep * r.uniform(0.2, 0.28);
  const rise = r.uniform(0.4, 0.8) * ribStep;
  const drop = r.uniform(2.2, 3.2) * ribStep;
  const ribW = r.uniform(0.1, 0.16);
  for (const side of [-1, 1]) {
    for (let k = -1; k < 10; k++) {
      const y0 = lungTop + k * ribStep + ir.uniform(-0.05, 0.05) * ribStep;
      const x0 = Math.max(0, Math.floor(cx - torso));
      const x1 = Math.min(w, Math.ceil(cx + torso));
      for (let x = x0; x < x1; x++) {
        const u = ((x + 0.5 - cx) * side) / torso;
        if (u < 0.06 || u > 0.95) continue;
        const yc = y0 - rise * u + drop * u * u;
        const fade = u > 0.8 ? (0.95 - u) / 0.15 : 1;
        const ya = Math.max(0, Math.floor(yc - ribT));
        const yb = Math.min(h - 1, Math.ceil(yc + ribT));
        for (let y = ya; y <= yb; y++) {
          const t = (y + 0.5 - yc) / ribT;
          if (t <= -1 || t >= 1) continue;
          const chord = Math.sqrt(1 - t * t);
          data[y * w + x] = data[y * w + x]! + ribW * fade * (0.5 * chord + (1 - chord) * (chord > 0.15 ? 1.2 : 0));
        }
      }
    }
  }
  for (const side of [-1, 1]) {
    ellipse(A, cx + side * torso * 0.45, lungTop - 0.01 * h, torso * 0.45, s * 0.014, side * 0.18, 0.35, ADD, 2);
  }
}

/** Lateral chest: deep torso, one overlapped lung field, spine behind, heart in front, arms raised. */
function chestLateral(A: Img, r: Rng, ir: Rng): void {
  const { w, h, data } = A;
  const s = Math.min(w, h);
  const cx = w / 2 + r.uniform(-0.04, 0.04) * w;
  const depth = r.uniform(0.3, 0.38) * w;
  const thick = r.uniform(0.9, 1.2);
  const top = h * r.uniform(0.05, 0.12);
  for (let y = Math.floor(top); y < h; y++) {
    const hw = depth * Math.min(1, 0.55 + (y - top) / (0.25 * h));
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const u = (x + 0.5 - cx) / hw;
      if (u > -1 && u < 1) data[i] = thick * 1.3 * Math.sqrt(1 - u * u);
    }
  }
  const lungTop = h * r.uniform(0.14, 0.2);
  const lungBot = h * r.uniform(0.68, 0.78) + ir.uniform(-0.01, 0.01) * h;
  const lr = (lungBot - lungTop) / 2;
  ellipse(A, cx - depth * 0.05, lungTop + lr, depth * 0.72, lr, 0.05, -0.7 * thick, ADD, s * 0.04);
  ellipse(A, cx - depth * 0.4, lungTop + lr * 1.4, depth * 0.38, lr * 0.5, -0.3, 0.5 * thick, ADD, s * 0.03);
  // Thoracic spine: a column of vertebral bodies behind the lungs (image right = posterior).
  const sx = cx + depth * 0.6;
  for (let k = 0; k < 14; k++) {
    const vy = top + (k + 0.5) * ((h - top) / 13);
    ellipse(A, sx, vy, depth * 0.1, (h - top) / 32, 0.1, 0.5, ADD, 2);
  }
  // Raised arms: two humeri crossing the upper chest.
  for (const off of [-0.1, 0.08]) {
    ellipse(A, cx + depth * off, top + 0.1 * h, depth * 0.07, h * 0.22, 0.25 + off, 0.45, ADD, 2);
  }
  ellipse(A, cx, lungBot + lr * 0.1, depth * 0.9, lr * 0.25, 0, 0.25 * thick, ADD, s * 0.03);
}

/** Extremity: a limb with long bones (tubes with cortex) meeting at a joint, rotated at random. */
function extremity(A: Img, r: Rng, ir: Rng): void {
  const { w, h, data } = A;
  const s = Math.min(w, h);
  const ang = r.uniform(-0.3, 0.3) + ir.uniform(-0.03, 0.03);
  const ca = Math.cos(ang);
  const sa = Math.sin(ang);
  const cx = w / 2 + r.uniform(-0.08, 0.08) * w;
  const cy = h / 2 + r.uniform(-0.1, 0.1) * h;
  const limbR = r.uniform(0.15, 0.22) * s;
  const joint = r.uniform(-0.1, 0.1) * h;
  const R1 = r.uniform(0.045, 0.065) * s;
  const R2 = R1 * r.uniform(0.75, 0.95);
  const R3 = R1 * r.uniform(0.35, 0.5);
  const cort = r.uniform(0.2, 0.35);
  const gap = r.uniform(0.012, 0.025) * s;
  // Bones in limb coordinates (p = across, q = along): [p centre, q from, q to, radius].
  const bones: Array<readonly [number, number, number, number]> = [
    [0, -2 * h, joint - gap, R1],
    [-R2 * 0.9, joint + gap, 2 * h, R2],
    [R2 * 0.9 + R3 * 1.2, joint + gap * 2, 2 * h, R3],
  ];
  for (let y = 0; y < h; y++) {
    const dy = y + 0.5 - cy;
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const dx = x + 0.5 - cx;
      const p = dx * ca + dy * sa;
      const q = -dx * sa + dy * ca;
      let a = 0;
      if (Math.abs(p) < limbR) a = 0.9 * Math.sqrt(1 - (p / limbR) ** 2);
      for (const [bp, q0, q1, R] of bones) {
        // Epiphyses widen near the joint end; ends are rounded (distance to the segment).
        const dp = p - bp;
        if (dp * dp >= 2.1 * R * R) continue; // outside even the widest epiphysis (1.45 R)
        const qc = q < q0 ? q0 : q > q1 ? q1 : q;
        const dj = Math.min(Math.abs(q - q0), Math.abs(q - q1));
        const Rq = R * (1 + 0.45 * Math.exp(-((dj / (1.5 * R)) ** 2)));
        const dq = q - qc;
        const dist2 = dp * dp + dq * dq;
        if (dist2 >= Rq * Rq) continue;
        const outer = Math.sqrt(Rq * Rq - dist2);
        const Ri = Rq * (1 - cort * (1 - Math.exp(-((dj / (2 * R)) ** 2)) * 0.9 - 0.1));
        const inner = dist2 < Ri * Ri ? Math.sqrt(Ri * Ri - dist2) : 0;
        a += ((2.2 * (outer - inner) + 0.5 * inner) / s) * 3.5;
      }
      data[i] = a;
    }
  }
}

/** Mammogram: compressed breast against the chest wall, fibroglandular texture, pectoral muscle (MLO). */
function breast(A: Img, r: Rng, ir: Rng): void {
  const { w, h, data } = A;
  const left = r.chance(0.5);
  const rx = r.uniform(0.55, 0.85) * w;
  const ry = r.uniform(0.3, 0.45) * h;
  const cy = h * r.uniform(0.45, 0.58);
  const mlo = ir.chance(0.5);
  const pw = w * r.uniform(0.15, 0.3);
  const ph = h * r.uniform(0.3, 0.55);
  const density = r.uniform(0.2, 0.9);
  const tex = smoothField(w, h, 14, ir);
  const fine = smoothField(w, h, 60, ir);
  const edge = 0.06;
  for (let y = 0; y < h; y++) {
    let i = y * w;
    const vy = (y + 0.5 - cy) / ry;
    for (let x = 0; x < w; x++, i++) {
      const xw = left ? x + 0.5 : w - x - 0.5; // distance from the chest wall
      const u = xw / rx;
      const rr = Math.sqrt(u * u + vy * vy);
      if (rr >= 1) continue;
      const thickness = Math.min(1, (1 - rr) / edge) ** 0.5;
      const glandular = Math.max(0, tex[i]! * 0.6 + density - rr * 1.2) * (1 - u);
      let a = 0.5 * thickness + 0.45 * glandular + 0.04 * fine[i]!;
      if (mlo && xw < pw * (1 - y / ph)) a += 0.35;
      data[i] = a;
    }
  }
  const calcs = r.int(0, 6);
  for (let k = 0; k < calcs; k++) {
    const x = left ? r.uniform(0.1, 0.6) * rx : w - r.uniform(0.1, 0.6) * rx;
    ellipse(A, x, cy + r.uniform(-0.5, 0.5) * ry, 1.2, 1.2, 0, 0.6, ADD, 0.7);
  }
}

/**
 * Adds the path length through a solid ellipsoid (semi-axes rx, ry in the image plane, depth
 * `depth` × the smaller of them) times `mu`: 2·depth·√(1 − r²), the projection of a solid body.
 * A negative `mu` removes material (gas in a sinus or the bowel).
 */
function ellipsoid(A: Img, cx: number, cy: number, rx: number, ry: number, theta: number, mu: number, depth = 1): void {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  const { x0, x1, y0, y1 } = ellipseBox(A, cx, cy, rx, ry, c, s, 0);
  const t = 2 * depth * Math.min(rx, ry) * mu;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - cy;
    for (let x = x0; x <= x1; x++) {
      const dx = x + 0.5 - cx;
      const u = (dx * c + dy * s) / rx;
      const v = (dy * c - dx * s) / ry;
      const r2 = u * u + v * v;
      if (r2 < 1) A.data[y * A.w + x] = A.data[y * A.w + x]! + t * Math.sqrt(1 - r2);
    }
  }
}

/** A bony shell (skull vault): the outer ellipsoid minus the inner one, brightest where rays run tangent to it. */
function shell(A: Img, cx: number, cy: number, rx: number, ry: number, thick: number, theta: number, mu: number): void {
  ellipsoid(A, cx, cy, rx, ry, theta, mu);
  ellipsoid(A, cx, cy, rx - thick, ry - thick, theta, -mu);
}

/** Skull, PA or lateral: scalp, vault, sinuses and orbits (PA) or sella and mastoids (lateral), jaw, cervical spine, neck. */
function skull(A: Img, r: Rng, ir: Rng, lateral: boolean): void {
  const { w, h } = A;
  const s = Math.min(w, h);
  const cx = w / 2 + r.uniform(-0.05, 0.05) * w;
  const cy = h * r.uniform(0.4, 0.48);
  const rx = s * (lateral ? r.uniform(0.36, 0.42) : r.uniform(0.3, 0.36));
  const ry = s * r.uniform(0.34, 0.4);
  const tilt = r.uniform(-0.12, 0.12) + ir.uniform(-0.02, 0.02);
  const vault = s * r.uniform(0.018, 0.03);
  const bone = r.uniform(2.5, 4);
  // Neck and cervical spine down to the lower edge, under the skull base.
  ellipsoid(A, cx + (lateral ? 0.05 * s : 0), cy + ry + 0.3 * s, 0.2 * s, 0.55 * s, 0, 0.35);
  for (let k = 0; k < 6; k++) ellipsoid(A, cx + (lateral ? 0.1 * s : 0), cy + ry * 0.8 + k * 0.075 * s, 0.045 * s, 0.03 * s, 0, bone * 0.5);
  ellipsoid(A, cx, cy, rx + 0.02 * s, ry + 0.02 * s, tilt, 0.35);
  shell(A, cx, cy, rx, ry, vault, tilt, bone);
  // Skull base: dense petrous ridges (PA) or the base and sella (lateral).
  ellipsoid(A, cx, cy + ry * 0.45, rx * 0.75, ry * 0.12, tilt, bone * 0.35);
  if (lateral) {
    ellipsoid(A, cx - rx * 0.55, cy + ry * 0.1, rx * 0.18, ry * 0.22, 0.3, -0.4); // frontal and maxillary sinuses
    ellipsoid(A, cx + rx * 0.35, cy + ry * 0.5, rx * 0.1, ry * 0.12, 0, bone * 0.4); // mastoid
    ellipsoid(A, cx - rx * 0.35, cy + ry * 0.95, rx * 0.35, ry * 0.08, 0.4, bone * 0.35); // mandible
  } else {
    for (const side of [-1, 1]) {
      ellipsoid(A, cx + side * rx * 0.35, cy + ry * 0.1, rx * 0.18, ry * 0.15, 0, -0.25); // orbits
      ellipsoid(A, cx + side * rx * 0.3, cy + ry * 0.55, rx * 0.16, ry * 0.14, 0, -0.3); // maxillary sinuses
    }
    ellipsoid(A, cx, cy + ry * 0.95, rx * 0.7, ry * 0.1, 0, bone * 0.25); // mandible
  }
}

/** AP pelvis: soft tissue wider than the detector, iliac wings, sacrum, hips and femora, bowel gas. */
function pelvis(A: Img, r: Rng, ir: Rng): void {
  const { w, h } = A;
  const s = Math.min(w, h);
  const cx = w / 2 + r.uniform(-0.04, 0.04) * w;
  const cy = h * r.uniform(0.42, 0.5);
  const bone = r.uniform(1.5, 2.5);
  const width = r.uniform(0.55, 0.75) * w;
  ellipsoid(A, cx, cy, width, 1.4 * h, 0, 0.3, 0.5);
  ellipsoid(A, cx, cy - 0.45 * h, 0.05 * s, 0.06 * s, 0, bone * 0.6); // L5
  ellipsoid(A, cx, cy - 0.05 * h, 0.12 * s, 0.2 * s, 0, bone * 0.3); // sacrum
  for (const side of [-1, 1]) {
    shell(A, cx + side * 0.27 * s, cy - 0.17 * h, 0.24 * s, 0.13 * s, 0.02 * s, side * 0.35, bone * 0.5); // iliac wing
    const hx = cx + side * 0.3 * s;
    const hy = cy + 0.18 * h;
    ellipsoid(A, hx, hy, 0.07 * s, 0.07 * s, 0, bone * 0.8); // femoral head
    ellipsoid(A, hx + side * 0.06 * s, hy + 0.1 * s, 0.04 * s, 0.1 * s, side * -0.7, bone * 0.8); // neck
    ellipsoid(A, hx + side * 0.13 * s, hy + 0.5 * s, 0.06 * s, 0.4 * s, side * -0.1, bone * 0.9); // shaft
    shell(A, cx + side * 0.13 * s, cy + 0.3 * h, 0.1 * s, 0.07 * s, 0.025 * s, 0, bone * 0.6); // obturator ring
  }
  const gas = r.int(2, 7);
  for (let k = 0; k < gas; k++) {
    ellipsoid(A, cx + r.uniform(-0.3, 0.3) * s + ir.uniform(-0.02, 0.02) * s, cy - r.uniform(0.1, 0.4) * h, r.uniform(0.03, 0.08) * s, r.uniform(0.02, 0.05) * s, r.uniform(0, 3), -0.5);
  }
}
