import { SOP_CLASSES, type PixelFormat } from './dicom.ts';
import { renderPt, type PtLocation } from './phantoms/pt.ts';
import { geometry, windowFor, zOf, type RenderedImage } from './imageGeometry.ts';
import type { SeriesPlan } from './plan.ts';

/** PET slice: per-image RescaleSlope in Bq/mL, FDG radiopharmaceutical, decay/attenuation corrections. Adds the modality's attributes to `ds` (and value representations to `vr`). */
export function ptImage(p: SeriesPlan, params: Extract<NonNullable<SeriesPlan['params']>, { type: 'PT' }>, i: number, imageSeed: number, ds: Record<string, unknown>, _vr: Record<string, string>): RenderedImage {
  const n = i + 1;
  const pt = renderPt({ location: p.location as PtLocation, rows: p.rows, cols: p.cols }, p.seed, zOf(p, i), imageSeed);
  const pixels = pt.pixels;
  const fmt: PixelFormat = { rows: p.rows, cols: p.cols, bitsStored: 16, signed: false };
  Object.assign(ds, geometry(p, i), {
    SOPClassUID: SOP_CLASSES.PT,
    ImageType: ['ORIGINAL', 'PRIMARY'],
    SeriesType: [p.location === 'head' ? 'STATIC' : 'WHOLE BODY', 'IMAGE'],
    Units: 'BQML',
    CountsSource: 'EMISSION',
    DecayCorrection: 'START',
    CorrectedImage: ['DECY', 'ATTN', 'SCAT', 'DTIM', 'RAN', 'NORM'],
    ReconstructionMethod: 'OSEM',
    RandomsCorrectionMethod: 'DLYD',
    AttenuationCorrectionMethod: 'measured,CT-based',
    NumberOfSlices: p.instances,
    ImageIndex: n,
    FrameReferenceTime: 0,
    ActualFrameDuration: 180000,
    RescaleSlope: pt.slope,
    RescaleIntercept: 0,
    RadiopharmaceuticalInformationSequence: [
      {
        Radiopharmaceutical: 'Fludeoxyglucose F^18^',
        RadiopharmaceuticalStartTime: '080000',
        RadionuclideTotalDose: 370000000,
        RadionuclideHalfLife: 6586.2,
        RadionuclidePositronFraction: 0.97,
      },
    ],
  });
  const [wc, ww] = windowFor(pixels, pt.slope, 0);
  ds.WindowCenter = wc;
  ds.WindowWidth = ww;
  return { pixels, fmt };
}
