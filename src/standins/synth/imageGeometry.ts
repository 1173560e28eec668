import type { PixelFormat } from './dicom.ts';
import { slicePosition, type SeriesPlan } from './plan.ts';

/** What each modality's instance writer hands back: stored values and their format. */
export interface RenderedImage {
  pixels: Int16Array | Uint16Array;
  fmt: PixelFormat;
}

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Where slice i of a volume series sits in the phantom (0..1), varying smoothly along the series. */
export function zOf(p: SeriesPlan, i: number): number {
  return p.instances <= 1 ? (p.z0 + p.z1) / 2 : p.z0 + ((p.z1 - p.z0) * i) / (p.instances - 1);
}

/** Image plane module of cross-sectional slice i (axial, head first supine). */
export function geometry(p: SeriesPlan, i: number): Record<string, unknown> {
  return {
    ImagePositionPatient: [round4(-(p.cols * p.pixelSpacing) / 2), round4(-(p.rows * p.pixelSpacing) / 2), slicePosition(p, i)],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    FrameOfReferenceUID: p.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SliceThickness: p.sliceThickness,
    SliceLocation: slicePosition(p, i),
    PixelSpacing: [p.pixelSpacing, p.pixelSpacing],
    PatientPosition: 'HFS',
  };
}

/** WindowCenter/Width covering the slice's (sampled) value range. */
export function windowFor(values: Int16Array | Uint16Array, slope: number, intercept: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i += 7) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return [Math.round((a + b) / 2), Math.max(1, Math.round(b - a))];
}
