import { SOP_CLASSES, type PixelFormat } from './dicom.ts';
import { renderXr, type XrLocation } from './phantoms/xr.ts';
import type { RenderedImage } from './imageGeometry.ts';
import type { SeriesPlan } from './plan.ts';

/** Projection radiograph (CR/DX/MG): views, photometric, burn-in, detector and mammography attributes. Adds the modality's attributes to `ds` (and value representations to `vr`). */
export function xrImage(p: SeriesPlan, params: Extract<NonNullable<SeriesPlan['params']>, { type: 'XR' }>, i: number, imageSeed: number, ds: Record<string, unknown>, _vr: Record<string, string>): RenderedImage {
  const view = params.views[i % params.views.length]!;
  const pixels = renderXr(
    { location: p.location as XrLocation, rows: p.rows, cols: p.cols, bitsStored: params.bitsStored, photometric: params.photometric, lateral: view === 'LL', burnIn: params.burnIn, marker: params.laterality ?? (i % 2 ? 'L' : 'R') },
    p.seed,
    imageSeed,
  );
  const fmt: PixelFormat = { rows: p.rows, cols: p.cols, bitsStored: params.bitsStored, signed: false };
  const max = (1 << params.bitsStored) - 1;
  Object.assign(ds, {
    SOPClassUID: SOP_CLASSES[p.modality as 'CR' | 'DX' | 'MG'],
    ImageType: ['ORIGINAL', 'PRIMARY'],
    ViewPosition: view,
    PatientOrientation: ['P', 'F'],
    WindowCenter: Math.round(max / 2),
    WindowWidth: max,
    KVP: p.modality === 'MG' ? 29 : 110,
    BurnedInAnnotation: params.burnIn ? 'YES' : 'NO',
  });
  if (p.modality === 'CR') ds.PixelSpacing = [p.pixelSpacing, p.pixelSpacing];
  else {
    Object.assign(ds, {
      ImagerPixelSpacing: [p.pixelSpacing, p.pixelSpacing],
      PixelSpacing: [p.pixelSpacing, p.pixelSpacing],
      PresentationIntentType: 'FOR PRESENTATION',
      DetectorType: 'SCINTILLATOR',
      RescaleIntercept: 0,
      RescaleSlope: 1,
      RescaleType: 'US',
      PixelIntensityRelationship: 'LOG',
      PixelIntensityRelationshipSign: params.photometric === 'MONOCHROME1' ? -1 : 1,
    });
  }
  if (p.modality === 'MG') {
    Object.assign(ds, {
      ImageLaterality: params.laterality,
      Laterality: params.laterality,
      BreastImplantPresent: 'NO',
      PatientOrientation: params.laterality === 'L' ? ['A', 'R'] : ['P', 'L'],
      ViewCodeSequence: [{ CodeValue: view === 'CC' ? 'R-10242' : 'R-10226', CodingSchemeDesignator: 'SRT', CodeMeaning: view === 'CC' ? 'cranio-caudal' : 'medio-lateral oblique' }],
    });
  }
  return { pixels, fmt };
}
