import { boxBlur, ellipse, image, resize, ADD } from '../raster.ts';
import { Rng, normalNoise } from '../random.ts';
import { drawAbdomen, drawChest, drawHead, type Drawer, type Tissues } from './anatomy.ts';

export type PtLocation = 'chest' | 'head' | 'abdomen';

const DRAW: Record<PtLocation, Drawer> = { chest: drawChest, head: drawHead, abdomen: drawAbdomen };

/** FDG uptake relative to blood pool: faint body, hot brain cortex, heart, kidneys. */
const UPTAKE: Tissues = {
  air: 0, skin: 0.5, fat: 0.35, muscle: 0.8, lung: 0.25, bone: 0.6, marrow: 1.6, blood: 1.5, heart: 4, liver: 2.3,
  spleen: 1.9, kidney: 3.5, csf: 0.3, gray: 9, white: 3.2, cartilage: 0.6, fluid: 0.8, gas: 0, table: 0,
};

export interface PtSeries {
  location: PtLocation;
  rows: number;
  cols: number;
}

export interface PtSlice {
  pixels: Uint16Array;
  /** Per-image RescaleSlope (Bq/mL per stored unit), as PET scanners write. */
  slope: number;
}

/**
 * One PET slice: activity drawn at low resolution, lesions as hot spots, upsampled and blurred
 * (PET resolution is several pixels), count noise that grows with activity, then scaled so the
 * slice maximum fills int16 range with a float RescaleSlope that differs per image.
 */
export function renderPt(series: PtSeries, seriesSeed: number, z: number, imageSeed: number): PtSlice {
  const { rows: h, cols: w } = series;
  const jr = new Rng(seriesSeed ^ 0x7e7);
  const t: Tissues = { ...UPTAKE };
  for (const k of Object.keys(t) as Array<keyof Tissues>) t[k] = Math.max(0, t[k] * jr.uniform(0.75, 1.3));
  t.heart *= jr.uniform(0.3, 1.8); // myocardial uptake varies a lot between patients
  // Body background relative to hot organs varies with uptake time, weight, glucose.
  const background = jr.uniform(1.5, 4);
  for (const k of ['skin', 'fat', 'muscle', 'lung', 'bone', 'marrow', 'fluid'] as const) t[k] *= background;
  // Log-uniform activity scale: RescaleSlope ends up anywhere from ~0.02 to ~3, as across scanners.
  const bqPerUnit = Math.exp(jr.uniform(Math.log(60), Math.log(9000)));
  const countNoise = jr.uniform(0.15, 0.45);
  const lesions = Array.from({ length: jr.int(0, 3) }, () => ({
    x: jr.uniform(-0.4, 0.4), y: jr.uniform(-0.35, 0.3), z: jr.uniform(0, 1), r: jr.uniform(0.03, 0.08), a: jr.uniform(1.5, 8),
  }));

  const lw = Math.max(16, Math.round(w / 2));
  const lh = Math.max(16, Math.round(h / 2));
  const low = image(lw, lh, 0);
  DRAW[series.location](low, t, seriesSeed, z);
  const s = lw / 2;
  for (const l of lesions) {
    const dz = (z - l.z) / (l.r * 3);
    const k = Math.exp(-dz * dz);
    if (k > 0.05) ellipse(low, lw / 2 + l.x * s, lh / 2 + l.y * s, l.r * s * k + 0.5, l.r * s * k + 0.5, 0, l.a * k, ADD, 2);
  }
  const img = resize(low, w, h);
  const ir = new Rng(imageSeed);
  const noise = normalNoise(new Float32Array(w * h), ir.seed());
  const d = img.data;
  for (let i = 0; i < d.length; i++) {
    const a = d[i]!;
    d[i] = a > 0 ? a + Math.sqrt(a) * countNoise * noise[i]! : 0;
  }
  boxBlur(img, Math.max(1, Math.round(w / 100)), 2);
  let max = 0;
  for (let i = 0; i < d.length; i++) if (d[i]! > max) max = d[i]!;
  const peakBq = Math.max(1e-3, max * bqPerUnit);
  // Stored maximum near 32767 as scanners do; the slope carries the activity scale.
  const slope = Number((peakBq / ir.uniform(30000, 32767)).toPrecision(8));
  const out = new Uint16Array(w * h);
  const k = bqPerUnit / slope;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]! * k;
    out[i] = v <= 0 ? 0 : v >= 32767 ? 32767 : Math.round(v);
  }
  return { pixels: out, slope };
}
