import { ellipse, ring, type Img } from '../raster.ts';
import { Rng } from '../random.ts';

/**
 * Cross-sectional anatomy shared by CT, MR and PET: each drawer paints shapes with the value a
 * modality gives each tissue (HU for CT, signal for MR, activity for PET). Shape parameters come
 * from the series generator (`anat`, drawn in a fixed order, so every slice of a series sees the
 * same patient); `z` in [0, 1] is the slice position, and shapes change smoothly with it.
 */
export interface Tissues {
  air: number;
  skin: number;
  fat: number;
  muscle: number;
  lung: number;
  bone: number;
  marrow: number;
  blood: number;
  heart: number;
  liver: number;
  spleen: number;
  kidney: number;
  csf: number;
  gray: number;
  white: number;
  cartilage: number;
  fluid: number;
  gas: number;
  table: number;
}

export type Drawer = (img: Img, t: Tissues, seriesSeed: number, z: number) => void;

const bump = (z: number, lo: number, hi: number) => (z <= lo || z >= hi ? 0 : Math.sin((Math.PI * (z - lo)) / (hi - lo)));

/** Vertebra: cancellous body with a cortical rim, canal, posterior arch. */
function vertebra(img: Img, t: Tissues, x: number, y: number, s: number): void {
  ellipse(img, x, y, 0.1 * s, 0.085 * s, 0, t.bone);
  ellipse(img, x, y, 0.085 * s, 0.07 * s, 0, t.marrow);
  ellipse(img, x, y + 0.13 * s, 0.038 * s, 0.035 * s, 0, t.csf);
  ring(img, x, y + 0.15 * s, 0.075 * s, 0.065 * s, 0.022 * s, 0, t.bone);
  ellipse(img, x, y + 0.25 * s, 0.025 * s, 0.05 * s, 0, t.bone);
}

/** Patient table under an axial slice: a curved top shell and, below the foam core, a bottom shell. */
function table(img: Img, t: Tissues, cx: number, y: number, s: number): void {
  if (y + 0.02 * s >= img.h) return;
  for (const dy of [0, 0.11]) {
    ellipse(img, cx, y + (0.6 + dy) * s, 1.1 * s, 0.62 * s, 0, t.table, 0, 1.5);
    ellipse(img, cx, y + (0.64 + dy) * s, 1.08 * s, 0.62 * s, 0, t.air, 0, 1.5);
  }
}

/** The table seen edge-on in a sagittal slice: a straight shell along the posterior (left) side at `x`. */
/** An axial trunk on its table: the table under it, skin, and the fat under the skin (draws no random numbers). */
function trunk(img: Img, t: Tissues, cx: number, cy: number, rx: number, ry: number, s: number): void {
  table(img, t, cx, cy + ry + 0.04 * s, s);
  ellipse(img, cx, cy, rx + 0.012 * s, ry + 0.012 * s, 0, t.skin, 0, 1.5);
  ellipse(img, cx, cy, rx, ry, 0, t.fat, 0, 1.5);
}

function tableSagittal(img: Img, t: Tissues, x: number, s: number): void {
  if (x < 0.14 * s) return;
  ellipse(img, x - 4 * s, img.h / 2, 4 * s, 4 * s, 0, t.table, 0, 1.5);
  ellipse(img, x - 4.035 * s, img.h / 2, 4 * s, 4 * s, 0, t.air, 0, 1.5);
}

/** Axial chest: z = 0 at the lung apices, 1 at the domes of the diaphragm. */
export const drawChest: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.04, 0.04) * s;
  const cy = img.h / 2 + r.uniform(-0.02, 0.06) * s;
  const grow = 0.9 + 0.12 * z;
  const rx = r.uniform(0.7, 0.86) * s * grow;
  const ry = r.uniform(0.48, 0.6) * s * grow;
  const fat = r.uniform(0.03, 0.09) * s;
  const lungScale = r.uniform(0.85, 1.05);
  const heartScale = r.uniform(0.85, 1.15);
  const ribPhase = r.uniform(0, 1);
  const vessels = Array.from({ length: 14 }, () => [r.uniform(-1, 1), r.uniform(-0.8, 0.8), r.uniform(-0.3, 0.3), r.uniform(0.01, 0.022)] as const);
  trunk(img, t, cx, cy, rx, ry, s);
  ellipse(img, cx, cy, rx - fat, ry - fat, 0, t.muscle, 0, 1.5);
  // Ribs: bone dots around the inside of the chest wall, rotating with z as ribs run obliquely.
  const nRibs = 16;
  for (let k = 0; k < nRibs; k++) {
    const a = ((k + 0.5 + ribPhase + z * 0.6) / nRibs) * 2 * Math.PI;
    const ca = Math.cos(a);
    const sa = Math.sin(a);
    if (Math.abs(ca) < 0.2) continue; // sternum and spine gaps
    const px = cx + ca * (rx - fat - 0.045 * s);
    const py = cy + sa * (ry - fat - 0.045 * s);
    ellipse(img, px, py, 0.03 * s, 0.014 * s, a + Math.PI / 2, t.bone);
  }
  const L = lungScale * (0.55 + 0.45 * Math.sin(Math.PI * (0.1 + 0.75 * z)));
  const lry = Math.min(0.36 * s * L, ry - fat - 0.05 * s);
  for (const side of [-1, 1]) {
    const lx = cx + side * 0.36 * s * Math.min(L, 1.05) * (rx / (0.8 * s));
    ellipse(img, lx, cy - 0.02 * s, 0.25 * s * L, lry, side * 0.15, t.lung, 0, 1.5);
    for (const [vx, vy, vz, vr] of vessels) {
      if ((vx > 0 ? 1 : -1) !== side) continue;
      const px = lx + (Math.abs(vx) - 0.5) * 0.3 * s * L + vz * z * s * 0.3;
      const py = cy + vy * 0.3 * s * L;
      ellipse(img, px, py, vr * s, vr * s, 0, t.blood);
    }
  }
  // Liver dome under the right lung (image left) at the lung bases.
  const dome = Math.max(0, (z - 0.7) / 0.3);
  if (dome > 0) ellipse(img, cx - 0.28 * s, cy + 0.05 * s, 0.3 * s * dome, 0.3 * s * dome, 0, t.liver);
  const H = heartScale * bump(z, 0.35, 1.15);
  ellipse(img, cx, cy - 0.1 * s, 0.1 * s, 0.22 * s, 0, t.muscle);
  if (H > 0.05) ellipse(img, cx + 0.1 * s, cy - 0.02 * s, 0.24 * s * H, 0.19 * s * H, 0.5, t.heart, 0, 1.5);
  ellipse(img, cx - 0.02 * s, cy - 0.22 * s + 0.05 * s * z, 0.05 * s, 0.05 * s, 0, t.blood);
  ellipse(img, cx + 0.07 * s, cy + 0.15 * s, 0.045 * s, 0.045 * s, 0, t.blood);
  vertebra(img, t, cx, cy + ry - fat - 0.3 * s, s);
};

/** Axial abdomen: z = 0 upper abdomen (liver, spleen), 1 lower (kidneys' lower poles, bowel). */
export const drawAbdomen: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.04, 0.04) * s;
  const cy = img.h / 2 + r.uniform(-0.02, 0.05) * s;
  const rx = r.uniform(0.74, 0.9) * s;
  const ry = r.uniform(0.52, 0.66) * s;
  const fat = r.uniform(0.05, 0.14) * s;
  const liverScale = r.uniform(0.85, 1.1);
  const bowel = Array.from({ length: 12 }, () => [r.uniform(-0.5, 0.5), r.uniform(-0.45, 0.1), r.uniform(0.03, 0.07), r.int(0, 2), r.uniform(-0.3, 0.3)] as const);
  trunk(img, t, cx, cy, rx, ry, s);
  ellipse(img, cx, cy, rx - fat, ry - fat, 0, t.muscle, 0, 1.5);
  ellipse(img, cx, cy, rx - fat - 0.04 * s, ry - fat - 0.04 * s, 0, (t.fat + t.muscle) / 2, 0, 3);
  const Lv = liverScale * (1 - 0.8 * z);
  if (Lv > 0.05) ellipse(img, cx - 0.3 * s, cy - 0.02 * s, 0.36 * s * Lv, 0.32 * s * Lv, -0.3, t.liver, 0, 1.5);
  const Sp = bump(z, -0.3, 0.6);
  if (Sp > 0.05) ellipse(img, cx + 0.42 * s, cy + 0.08 * s, 0.12 * s * Sp, 0.2 * s * Sp, 0.4, t.spleen, 0, 1.5);
  const K = bump(z, 0.15, 1.0);
  if (K > 0.05) {
    for (const side of [-1, 1]) {
      ellipse(img, cx + side * 0.27 * s, cy + 0.18 * s, 0.08 * s * K, 0.12 * s * K, side * 0.4, t.kidney, 0, 1.5);
      ellipse(img, cx + side * 0.24 * s, cy + 0.17 * s, 0.03 * s * K, 0.05 * s * K, side * 0.4, t.fluid);
    }
  }
  for (const [bx, by, br, kind, drift] of bowel) {
    const v = kind === 0 ? t.gas : kind === 1 ? t.fluid : (t.fluid + t.muscle) / 2;
    ellipse(img, cx + (bx + drift * z) * s, cy + by * s + z * 0.1 * s, br * s * (0.5 + z), br * s * 0.8 * (0.5 + z), bx * 3, v, 0, 1.5);
  }
  ellipse(img, cx + 0.04 * s, cy + 0.1 * s, 0.045 * s, 0.045 * s, 0, t.blood);
  ellipse(img, cx - 0.08 * s, cy + 0.1 * s, 0.05 * s, 0.035 * s, 0, t.blood);
  for (const side of [-1, 1]) ellipse(img, cx + side * 0.14 * s, cy + ry - fat - 0.2 * s, 0.08 * s, 0.11 * s, 0, t.muscle);
  vertebra(img, t, cx, cy + ry - fat - 0.3 * s, s);
};

/** Axial head: z = 0 skull base (orbits, sinuses), 1 vertex. */
export const drawHead: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.05, 0.05) * s;
  const cy = img.h / 2 + r.uniform(-0.05, 0.05) * s;
  const tilt = r.uniform(-0.12, 0.12);
  const hz = z < 0.45 ? 0.9 + 0.22 * z : 1 - 1.6 * (z - 0.45) * (z - 0.45);
  const rx = r.uniform(0.55, 0.64) * s * hz;
  const ry = r.uniform(0.7, 0.8) * s * hz;
  const skull = r.uniform(0.035, 0.06) * s;
  const ventScale = r.uniform(0.7, 1.4);
  const sulci = Array.from({ length: 18 }, () => [r.uniform(0, 2 * Math.PI), r.uniform(0.012, 0.025)] as const);
  table(img, t, cx, cy + ry + 0.1 * s, s);
  ellipse(img, cx, cy, rx + 0.03 * s, ry + 0.03 * s, tilt, t.skin, 0, 1.5);
  ellipse(img, cx, cy, rx + 0.015 * s, ry + 0.015 * s, tilt, t.fat, 0, 1);
  ellipse(img, cx, cy, rx, ry, tilt, t.bone, 0, 1);
  ellipse(img, cx, cy, rx - skull * 0.35, ry - skull * 0.35, tilt, t.marrow, 0, 1);
  ellipse(img, cx, cy, rx - skull * 0.65, ry - skull * 0.65, tilt, t.bone, 0, 1);
  const brx = rx - skull;
  const bry = ry - skull;
  ellipse(img, cx, cy, brx, bry, tilt, t.csf, 0, 1);
  ellipse(img, cx, cy, brx - 0.015 * s, bry - 0.015 * s, tilt, t.gray, 0, 1.5);
  ellipse(img, cx, cy, brx * 0.72, bry * 0.75, tilt, t.white, 0, 3);
  for (const [a, rr] of sulci) {
    const px = cx + Math.cos(a + z) * (brx - 0.03 * s);
    const py = cy + Math.sin(a + z) * (bry - 0.03 * s);
    ellipse(img, px, py, rr * s, rr * 2.5 * s, a + Math.PI / 2, t.csf);
  }
  ellipse(img, cx, cy, 0.006 * s, bry * 0.9, tilt, t.csf);
  const V = ventScale * bump(z, 0.3, 0.85);
  if (V > 0.05) {
    for (const side of [-1, 1]) ellipse(img, cx + side * 0.06 * s * V, cy - 0.05 * s, 0.04 * s * V, 0.2 * s * V, tilt + side * 0.25, t.csf, 0, 1.5);
  }
  if (z < 0.25) {
    const o = 1 - z / 0.25;
    for (const side of [-1, 1]) ellipse(img, cx + side * 0.2 * s, cy - bry * 0.8, 0.09 * s * o, 0.08 * s * o, 0, t.gas);
    ellipse(img, cx, cy + bry * 0.55, 0.16 * s * o, 0.12 * s * o, 0, t.bone);
  }
};

/**
 * Axial neck: z = 0 below the mandible (C3, hyoid), 1 at the thoracic inlet (C7, thyroid). A round
 * cross-section like the head's, with the soft tissue, airway and vertebra of a body slice.
 */
export const drawNeck: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.05, 0.05) * s;
  const cy = img.h / 2 + r.uniform(-0.05, 0.05) * s;
  const widen = 1 + 0.25 * z * z; // shoulders come into the slab at the inlet
  const rx = r.uniform(0.48, 0.6) * s * widen;
  const ry = r.uniform(0.46, 0.56) * s;
  const fat = r.uniform(0.03, 0.08) * s;
  const tilt = r.uniform(-0.1, 0.1);
  const nodes = Array.from({ length: r.int(0, 4) }, () => [r.uniform(-0.35, 0.35), r.uniform(-0.2, 0.15), r.uniform(0.02, 0.045)] as const);
  table(img, t, cx, cy + ry + 0.06 * s, s);
  ellipse(img, cx, cy, rx + 0.012 * s, ry + 0.012 * s, tilt, t.skin, 0, 1.5);
  ellipse(img, cx, cy, rx, ry, tilt, t.fat, 0, 1.5);
  ellipse(img, cx, cy + 0.02 * s, rx - fat, ry - fat, tilt, t.muscle, 0, 1.5);
  // Fat planes between the muscle groups, then sternocleidomastoids, carotids and jugulars.
  for (const side of [-1, 1]) {
    ellipse(img, cx + side * 0.22 * s, cy - 0.02 * s, 0.1 * s, 0.14 * s, side * 0.3, t.fat, 0, 2);
    ellipse(img, cx + side * 0.3 * s, cy - 0.14 * s, 0.07 * s, 0.13 * s, side * 0.5, t.muscle, 0, 1.5);
    ellipse(img, cx + side * 0.17 * s, cy - 0.02 * s, 0.03 * s, 0.03 * s, 0, t.blood);
    ellipse(img, cx + side * 0.25 * s, cy - 0.04 * s, 0.045 * s, 0.035 * s, 0, t.blood);
  }
  for (const [nx, ny, nr] of nodes) ellipse(img, cx + nx * s, cy + ny * s, nr * s, nr * s, 0, t.spleen);
  // Thyroid lobes low in the neck, either side of the airway.
  const th = bump(z, 0.45, 1.3);
  if (th > 0.05) for (const side of [-1, 1]) ellipse(img, cx + side * 0.09 * s, cy - 0.2 * s, 0.06 * s * th, 0.07 * s * th, side * 0.4, t.liver);
  ellipse(img, cx, cy - 0.23 * s, 0.07 * s, 0.06 * s, 0, t.cartilage, 0, 1); // larynx / tracheal ring
  ellipse(img, cx, cy - 0.23 * s, 0.05 * s, 0.045 * s, 0, t.gas, 0, 1);
  ellipse(img, cx + 0.02 * s, cy - 0.12 * s, 0.03 * s, 0.025 * s, 0, t.muscle); // oesophagus
  if (z < 0.25) {
    // Mandible: a U of cortical bone round the front of the upper neck.
    for (let k = 0; k <= 8; k++) {
      const a = Math.PI * (1.1 + 0.1 * k);
      ellipse(img, cx + Math.cos(a) * 0.36 * s, cy - 0.05 * s + Math.sin(a) * 0.32 * s, 0.035 * s, 0.025 * s, a + Math.PI / 2, t.bone);
    }
  }
  vertebra(img, t, cx, cy + 0.02 * s, s * 0.9);
};

/** Axial pelvis: z = 0 at the iliac crests (wings, sacrum, bowel), 1 at the hips (femoral heads, bladder, rectum). */
export const drawPelvis: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.04, 0.04) * s;
  const cy = img.h / 2 + r.uniform(-0.02, 0.05) * s;
  const rx = r.uniform(0.8, 0.94) * s;
  const ry = r.uniform(0.52, 0.64) * s;
  r.uniform(0.06, 0.16); // a fat thickness the pelvis does not draw; the draw keeps every later number (and image) as it was
  const bladder = r.uniform(0.6, 1.3);
  const loops = Array.from({ length: 8 }, () => [r.uniform(-0.35, 0.35), r.uniform(-0.4, 0), r.uniform(0.03, 0.06), r.int(0, 2)] as const);
  trunk(img, t, cx, cy, rx, ry, s);
  // Gluteal muscles behind, iliopsoas in front of the hips.
  for (const side of [-1, 1]) {
    ellipse(img, cx + side * 0.42 * s, cy + 0.22 * s, 0.36 * s, 0.28 * s, side * -0.3, t.muscle, 0, 1.5);
    ellipse(img, cx + side * 0.35 * s, cy - 0.12 * s, 0.14 * s, 0.12 * s, 0, t.muscle, 0, 1.5);
  }
  const W = Math.max(0, 1 - z / 0.55); // iliac wings fade toward the hips
  const F = bump(z, 0.45, 1.4); // femoral heads and acetabula
  for (const side of [-1, 1]) {
    if (W > 0.05) {
      ellipse(img, cx + side * 0.48 * s, cy + 0.02 * s, 0.08 * s * W + 0.02 * s, 0.3 * s * W + 0.02 * s, side * 0.6, t.bone, 0, 1);
      ellipse(img, cx + side * 0.48 * s, cy + 0.02 * s, 0.055 * s * W + 0.01 * s, 0.26 * s * W + 0.01 * s, side * 0.6, t.marrow, 0, 1);
    }
    if (F > 0.05) {
      ellipse(img, cx + side * 0.45 * s, cy + 0.02 * s, 0.15 * s * F, 0.15 * s * F, 0, t.bone, 0, 1);
      ellipse(img, cx + side * 0.45 * s, cy + 0.02 * s, 0.125 * s * F, 0.125 * s * F, 0, t.marrow, 0, 1);
      ellipse(img, cx + side * 0.45 * s, cy + 0.02 * s, 0.13 * s * F, 0.13 * s * F, 0, t.cartilage, 0, 0.5);
      ellipse(img, cx + side * 0.45 * s, cy + 0.02 * s, 0.11 * s * F, 0.11 * s * F, 0, t.marrow, 0, 1);
    }
    ellipse(img, cx + side * 0.2 * s, cy - 0.05 * s, 0.035 * s, 0.035 * s, 0, t.blood); // iliac vessels
  }
  const Sa = Math.max(0, 1 - z / 0.7);
  if (Sa > 0.05) {
    ellipse(img, cx, cy + 0.3 * s, 0.22 * s * Sa + 0.04 * s, 0.09 * s, 0, t.bone, 0, 1);
    ellipse(img, cx, cy + 0.3 * s, 0.19 * s * Sa + 0.02 * s, 0.065 * s, 0, t.marrow, 0, 1);
  }
  const B = bladder * bump(z, 0.3, 1.3);
  if (B > 0.05) ellipse(img, cx, cy - 0.22 * s, 0.2 * s * B, 0.14 * s * B, 0, t.fluid, 0, 1.5);
  else for (const [bx, by, br, kind] of loops) ellipse(img, cx + bx * s, cy + by * s, br * s, br * s * 0.8, bx * 3, kind === 0 ? t.gas : kind === 1 ? t.fluid : t.muscle, 0, 1.5);
  const R = bump(z, 0.35, 1.3);
  if (R > 0.05) {
    ellipse(img, cx, cy + 0.16 * s, 0.07 * s, 0.06 * s, 0, t.muscle);
    ellipse(img, cx, cy + 0.16 * s, 0.035 * s, 0.03 * s, 0, r.chance(0.5) ? t.gas : t.fluid);
  }
};

/** Sagittal knee: femur (shaft + condyle) above, tibia (plateau + shaft) below, patella in front; z runs lateral → medial. */
export const drawKnee: Drawer = (img, t, seriesSeed, z) => {
  const r = new Rng(seriesSeed);
  const s = img.w / 2;
  const cx = img.w / 2 + r.uniform(-0.08, 0.08) * s;
  const cy = img.h / 2 + r.uniform(-0.08, 0.08) * s;
  const flex = r.uniform(-0.2, 0.2);
  const limb = r.uniform(0.6, 0.8) * s;
  const fatT = r.uniform(0.05, 0.12) * s;
  const condyle = r.uniform(0.2, 0.26);
  const gap = r.uniform(0.03, 0.05);
  // Bone widths shrink toward the lateral/medial edges of the slab.
  const B = Math.sqrt(Math.max(0.05, 1 - ((z - 0.5) / 0.6) ** 2));
  const c = Math.cos(flex);
  const sn = Math.sin(flex);
  const at = (dx: number, dy: number) => [cx + (dx * c - dy * sn) * s, cy + (dx * sn + dy * c) * s] as const;
  tableSagittal(img, t, cx - 0.05 * s - limb - 0.04 * s, s);
  ellipse(img, cx - 0.05 * s, cy, limb, 1.5 * s, flex, t.skin, 0, 1.5);
  ellipse(img, cx - 0.05 * s, cy, limb - 0.01 * s, 1.5 * s, flex, t.fat, 0, 1.5);
  ellipse(img, cx - 0.1 * s, cy, limb - fatT, 1.5 * s, flex, t.muscle, 0, 1.5);
  ellipse(img, ...at(0.15, 0), 0.22 * s, 0.2 * s, flex, t.fat, 0, 4); // Hoffa's fat pad
  const bone = (x: number, y: number, rx: number, ry: number) => {
    ellipse(img, ...at(x, y), rx * s, ry * s, flex, t.bone, 0, 1);
    ellipse(img, ...at(x, y), Math.max(0.01, rx - 0.018) * s, Math.max(0.01, ry - 0.018) * s, flex, t.marrow, 0, 1);
  };
  const cr = condyle * B;
  ellipse(img, ...at(0, -cr - gap / 2 + 0.01), cr * s + 0.025 * s, cr * s + 0.025 * s, flex, t.cartilage, 0, 1);
  ellipse(img, ...at(0, 0.08 + gap / 2), 0.27 * B * s, 0.1 * s, flex, t.cartilage, 0, 1);
  ellipse(img, ...at(0, 0), 0.22 * B * s, gap * s, flex, t.fluid, 0, 1.5);
  bone(0.02, -0.75, 0.13 * B + 0.02, 0.7); // femoral shaft
  bone(0, -cr - gap / 2, cr, cr); // condyle
  bone(0, 0.1 + gap / 2, 0.26 * B, 0.1); // tibial plateau
  bone(0, 0.75, 0.12 * B + 0.02, 0.6); // tibial shaft
  ellipse(img, ...at(0, 0.1 + gap / 2), 0.24 * B * s, 0.08 * s, flex, t.marrow, 0, 2);
  const pB = Math.sqrt(Math.max(0, 1 - ((z - 0.5) / 0.35) ** 2));
  if (pB > 0.1) bone(cr + 0.14, -0.25, 0.06 * pB + 0.01, 0.15 * pB + 0.01);
  ellipse(img, ...at(cr + 0.22, 0.2), 0.025 * s, 0.3 * s, flex + 0.2, t.bone); // patellar tendon: no signal, like cortex
};

/** Adds `field` × `amp` to every pixel (tissue texture, smooth intensity variation). */
export function addField(img: Img, field: Float32Array, amp: number): void {
  const d = img.data;
  for (let i = 0; i < d.length; i++) d[i] = d[i]! + field[i]! * amp;
}
