import { image, smoothField } from '../raster.ts';
import { Rng, normalNoise } from '../random.ts';
import { drawAbdomen, drawChest, drawHead, drawKnee, drawPelvis, type Drawer, type Tissues } from './anatomy.ts';

export type MrLocation = 'brain' | 'knee' | 'abdomen' | 'chest' | 'pelvis';
export type MrContrast = 'T1' | 'T2' | 'FLAIR' | 'PD';

const DRAW: Record<MrLocation, Drawer> = { brain: drawHead, knee: drawKnee, abdomen: drawAbdomen, chest: drawChest, pelvis: drawPelvis };

/** Relative signal (0–1) per tissue and weighting: what makes MR look like MR (fat bright, bone dark). */
const SIGNAL: Record<MrContrast, Tissues> = {
  T1: { air: 0, skin: 0.5, fat: 0.95, muscle: 0.33, lung: 0.04, bone: 0.03, marrow: 0.85, blood: 0.12, heart: 0.35, liver: 0.52, spleen: 0.4, kidney: 0.45, csf: 0.1, gray: 0.42, white: 0.6, cartilage: 0.42, fluid: 0.12, gas: 0, table: 0 },
  T2: { air: 0, skin: 0.45, fat: 0.7, muscle: 0.22, lung: 0.05, bone: 0.02, marrow: 0.6, blood: 0.08, heart: 0.3, liver: 0.2, spleen: 0.45, kidney: 0.55, csf: 1.0, gray: 0.55, white: 0.38, cartilage: 0.35, fluid: 0.95, gas: 0, table: 0 },
  FLAIR: { air: 0, skin: 0.5, fat: 0.6, muscle: 0.25, lung: 0.04, bone: 0.02, marrow: 0.5, blood: 0.05, heart: 0.3, liver: 0.3, spleen: 0.35, kidney: 0.35, csf: 0.06, gray: 0.62, white: 0.45, cartilage: 0.3, fluid: 0.08, gas: 0, table: 0 },
  PD: { air: 0, skin: 0.6, fat: 0.85, muscle: 0.45, lung: 0.06, bone: 0.03, marrow: 0.8, blood: 0.15, heart: 0.45, liver: 0.5, spleen: 0.6, kidney: 0.6, csf: 0.85, gray: 0.7, white: 0.58, cartilage: 0.6, fluid: 0.9, gas: 0, table: 0 },
};

/** Scanner families store very different value ranges; Philips adds a non-integer RescaleSlope. */
export interface MrScanner {
  manufacturer: string;
  model: string;
  software: string;
  /** Peak stored value of bright tissue. */
  peak: number;
  bitsStored: number;
  /** Non-integer slope range (Philips); 1 otherwise. */
  slope?: readonly [number, number];
}

export const MR_SCANNERS: readonly MrScanner[] = [
  { manufacturer: 'SIEMENS', model: 'Avanto', software: 'syngo MR B17', peak: 1400, bitsStored: 12 },
  { manufacturer: 'SIEMENS', model: 'Skyra', software: 'syngo MR E11', peak: 3200, bitsStored: 12 },
  { manufacturer: 'GE MEDICAL SYSTEMS', model: 'SIGNA HDxt', software: '15\\LX\\MR Software release:15.0_M4_0910.a', peak: 900, bitsStored: 16 },
  { manufacturer: 'GE MEDICAL SYSTEMS', model: 'DISCOVERY MR750', software: 'DV25.0_R02_1549.b', peak: 14000, bitsStored: 16 },
  { manufacturer: 'Philips Medical Systems', model: 'Achieva', software: '3.2.3\\3.2.3.1', peak: 3000, bitsStored: 12, slope: [1.2, 3.9] },
];

export interface MrSeries {
  location: MrLocation;
  contrast: MrContrast;
  rows: number;
  cols: number;
  scanner: MrScanner;
}

export interface MrSlice {
  pixels: Uint16Array;
  /** 1 unless the scanner writes a non-integer slope (fixed per series, as Philips does). */
  slope: number;
}

/** Series-level RescaleSlope: Philips-style non-integer values, stable across the series. */
export function mrSlope(series: MrSeries, seriesSeed: number): number {
  const sl = series.scanner.slope;
  if (!sl) return 1;
  return Number(new Rng(seriesSeed ^ 0x5109e).uniform(sl[0], sl[1]).toFixed(6));
}

/**
 * One MR slice: tissue signal × smooth multiplicative bias field, Rician noise (magnitude of a
 * complex Gaussian), scaled to the scanner's stored range.
 */
export function renderMr(series: MrSeries, seriesSeed: number, z: number, imageSeed: number): MrSlice {
  const { rows: h, cols: w } = series;
  const jr = new Rng(seriesSeed ^ 0x3a1);
  const t: Tissues = { ...SIGNAL[series.contrast] };
  for (const k of Object.keys(t) as Array<keyof Tissues>) t[k] = Math.max(0, t[k] * jr.uniform(0.85, 1.15));
  const peak = series.scanner.peak * jr.uniform(0.6, 1.3);
  const biasAmp = jr.uniform(0.25, 0.6);
  // Rician floor: the background of a magnitude image is never black, at every location and weighting.
  const noiseRel = jr.uniform(0.02, 0.05);
  const texAmp = jr.uniform(0.015, 0.05);
  const biasSeed = jr.seed();
  // Phase-encode ghosting (motion, pulsation): a faint copy of the anatomy shifted by half the field
  // of view along the phase axis, visible in the background: an MR-only artifact.
  const ghost = jr.chance(0.85) ? jr.uniform(0.04, 0.12) : 0;
  const ghostAlongX = jr.chance(0.5);

  const img = image(w, h, 0);
  DRAW[series.location](img, t, seriesSeed, z);
  // Bias field: one per series (coil sensitivity), a few cells across; tissue texture per image.
  const bias = smoothField(w, h, 3, new Rng(biasSeed));
  const ir = new Rng(imageSeed);
  const tex = smoothField(w, h, 32, ir);
  const n1 = normalNoise(new Float32Array(w * h), ir.seed());
  const n2 = normalNoise(new Float32Array(w * h), ir.seed());
  const slope = mrSlope(series, seriesSeed);
  const max = series.scanner.bitsStored >= 16 ? 65535 : (1 << series.scanner.bitsStored) - 1;
  const scale = peak / slope;
  const sigma = noiseRel * scale;
  const out = new Uint16Array(w * h);
  const d = img.data;
  const hw = Math.floor(w / 2);
  const hh = Math.floor(h / 2);
  for (let i = 0; i < d.length; i++) {
    let v = d[i]!;
    if (ghost > 0) {
      const x = i % w;
      const y = (i - x) / w;
      v += ghost * d[ghostAlongX ? y * w + ((x + hw) % w) : ((y + hh) % h) * w + x]!;
    }
    const s = v > 0 ? v * (1 + tex[i]! * texAmp) * Math.exp(bias[i]! * biasAmp) * scale : 0;
    const re = s + n1[i]! * sigma;
    const im = n2[i]! * sigma;
    let m = Math.sqrt(re * re + im * im);
    if (m > max) m = max;
    out[i] = Math.round(m);
  }
  return { pixels: out, slope };
}
