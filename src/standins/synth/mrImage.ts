import { SOP_CLASSES, type PixelFormat } from './dicom.ts';
import { MR_SCANNERS, renderMr, type MrLocation } from './phantoms/mr.ts';
import { geometry, windowFor, zOf, type RenderedImage } from './imageGeometry.ts';
import type { SeriesPlan } from './plan.ts';

/** MR slice: scanner-dependent stored range and slope, sequence timing by weighting, plane orientation. Adds the modality's attributes to `ds` (and value representations to `vr`). */
export function mrImage(p: SeriesPlan, params: Extract<NonNullable<SeriesPlan['params']>, { type: 'MR' }>, i: number, imageSeed: number, ds: Record<string, unknown>, _vr: Record<string, string>): RenderedImage {
  const scanner = MR_SCANNERS[params.scanner]!;
  const mr = renderMr({ location: p.location as MrLocation, contrast: params.contrast, rows: p.rows, cols: p.cols, scanner }, p.seed, zOf(p, i), imageSeed);
  const pixels = mr.pixels;
  const fmt: PixelFormat = { rows: p.rows, cols: p.cols, bitsStored: scanner.bitsStored, signed: false };
  const tr = { T1: 500, T2: 4000, FLAIR: 9000, PD: 3000 }[params.contrast];
  const te = { T1: 12, T2: 95, FLAIR: 120, PD: 30 }[params.contrast];
  // Sagittal / coronal planes (knee) get their direction cosines; axial is the default.
  const plane = p.seriesDescription.split(' ')[0];
  const orientation = plane === 'SAG' ? [0, 1, 0, 0, 0, -1] : plane === 'COR' ? [1, 0, 0, 0, 0, -1] : [1, 0, 0, 0, 1, 0];
  Object.assign(ds, geometry(p, i), {
    ImageOrientationPatient: orientation,
    SOPClassUID: SOP_CLASSES.MR,
    ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'],
    ScanningSequence: params.contrast === 'FLAIR' ? ['SE', 'IR'] : ['SE'],
    SequenceVariant: ['SK', 'SP'],
    ScanOptions: '',
    MRAcquisitionType: '2D',
    RepetitionTime: tr,
    EchoTime: te,
    EchoTrainLength: params.contrast === 'T1' ? 3 : 16,
    MagneticFieldStrength: params.fieldStrength,
    ImagingFrequency: params.fieldStrength * 42.577,
    ImagedNucleus: '1H',
    SpacingBetweenSlices: p.sliceThickness + 1,
  });
  if (params.contrast === 'FLAIR') ds.InversionTime = 2500;
  if (scanner.slope) {
    ds.RescaleSlope = mr.slope;
    ds.RescaleIntercept = 0;
    ds.RescaleType = 'US';
  }
  const [wc, ww] = windowFor(pixels, mr.slope, 0);
  ds.WindowCenter = wc;
  ds.WindowWidth = ww;
  return { pixels, fmt };
}
