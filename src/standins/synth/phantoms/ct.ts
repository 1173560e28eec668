import { image, smoothField } from '../raster.ts';
import { Rng, normalNoise } from '../random.ts';
import { addField, drawAbdomen, drawChest, drawHead, drawKnee, drawNeck, type Drawer, type Tissues } from './anatomy.ts';

export type CtLocation = 'chest' | 'abdomen' | 'head' | 'neck' | 'knee';

const DRAW: Record<CtLocation, Drawer> = { chest: drawChest, abdomen: drawAbdomen, head: drawHead, neck: drawNeck, knee: drawKnee };

/** Hounsfield units of each tissue (non-contrast). */
const HU: Tissues = {
  air: -1000, skin: 30, fat: -100, muscle: 45, lung: -850, bone: 1100, marrow: 280, blood: 40, heart: 40,
  liver: 58, spleen: 48, kidney: 32, csf: 6, gray: 40, white: 27, cartilage: 90, fluid: 10, gas: -960, table: 150,
};

export interface CtSeries {
  location: CtLocation;
  rows: number;
  cols: number;
  /** Area outside the circular field of view set to PixelPaddingValue −2000. */
  padding: boolean;
  /**
   * Outside the field of view written as −3024 HU without a PixelPaddingValue, as many scanners do:
   * min–max normalisation then shows the reconstruction disc, with air grey rather than black.
   */
  fovMinimum?: boolean;
  /** IV contrast: brighter vessels, kidneys, liver. */
  contrast: boolean;
}

export const CT_PADDING_VALUE = -2000;
export const CT_INTERCEPT = -1024;

/**
 * One CT slice as stored values (int16, HU = stored − 1024). The circular reconstruction field
 * of view is padded (−2000) or left at −1024 HU outside; noise and texture vary per image.
 */
export function renderCt(series: CtSeries, seriesSeed: number, z: number, imageSeed: number): Int16Array {
  const { rows: h, cols: w } = series;
  const jr = new Rng(seriesSeed ^ 0x51ce);
  const t: Tissues = { ...HU };
  for (const k of Object.keys(t) as Array<keyof Tissues>) if (k !== 'air' && k !== 'gas') t[k] += jr.normal(0, 6);
  // Cortical bone (skull tables, long-bone shafts) is 1000–1900 HU: with min–max the soft tissue then sits
  // at a dark, flat grey under white bone, the look of real CT; softer bone made it as bright as MR tissue.
  t.bone = jr.uniform(1000, 1900);
  // Carbon-fibre table shells and head holders read a few hundred HU: a bright arc under every body, the
  // CT-only structure that no anatomy carries (MR and PET give the table no signal).
  t.table = jr.uniform(250, 600);
  if (series.contrast) {
    t.blood = jr.uniform(150, 300);
    t.kidney = jr.uniform(140, 220);
    t.liver += jr.uniform(30, 60);
    t.spleen += jr.uniform(40, 70);
    t.heart = t.blood * 0.8;
  }
  const noiseSd = jr.uniform(6, 22) * (series.location === 'head' ? 0.7 : 1);
  const texAmp = jr.uniform(4, 12);
  const fovFrac = jr.uniform(0.96, 1.0);

  const img = image(w, h, t.air);
  DRAW[series.location](img, t, seriesSeed, z);
  const ir = new Rng(imageSeed);
  addField(img, smoothField(w, h, 24, ir), texAmp);
  const noise = normalNoise(new Float32Array(w * h), ir.seed());
  const sd = noiseSd * ir.uniform(0.9, 1.1);
  const out = new Int16Array(w * h);
  const d = img.data;
  const r2 = (fovFrac * Math.min(w, h)) ** 2 / 4;
  const outside = series.padding || series.fovMinimum ? CT_PADDING_VALUE : 0;
  for (let y = 0; y < h; y++) {
    const dy = y + 0.5 - h / 2;
    let i = y * w;
    for (let x = 0; x < w; x++, i++) {
      const dx = x + 0.5 - w / 2;
      if (dx * dx + dy * dy > r2) {
        out[i] = outside;
        continue;
      }
      let hu = d[i]! + noise[i]! * sd;
      if (hu < -1024) hu = -1024;
      else if (hu > 3071) hu = 3071;
      out[i] = Math.round(hu) - CT_INTERCEPT;
    }
  }
  return out;
}
