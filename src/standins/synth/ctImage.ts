import { SOP_CLASSES, type PixelFormat } from './dicom.ts';
import { CT_INTERCEPT, CT_PADDING_VALUE, renderCt, type CtLocation } from './phantoms/ct.ts';
import { geometry, zOf, type RenderedImage } from './imageGeometry.ts';
import type { SeriesPlan } from './plan.ts';

/** CT slice: HU-rescaled int16, window by location, optional padding value and contrast agent. Adds the modality's attributes to `ds` (and value representations to `vr`). */
export function ctImage(p: SeriesPlan, params: Extract<NonNullable<SeriesPlan['params']>, { type: 'CT' }>, i: number, imageSeed: number, ds: Record<string, unknown>, vr: Record<string, string>): RenderedImage {
  const pixels = renderCt({ location: p.location as CtLocation, rows: p.rows, cols: p.cols, padding: params.padding, fovMinimum: !params.padding, contrast: params.contrast }, p.seed, zOf(p, i), imageSeed);
  const fmt: PixelFormat = { rows: p.rows, cols: p.cols, bitsStored: 16, signed: true };
  const head = p.location === 'head';
  Object.assign(ds, geometry(p, i), {
    SOPClassUID: SOP_CLASSES.CT,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    KVP: params.kvp,
    ConvolutionKernel: params.kernel,
    XRayTubeCurrent: 200 + (imageSeed % 200),
    RescaleIntercept: CT_INTERCEPT,
    RescaleSlope: 1,
    RescaleType: 'HU',
    WindowCenter: head ? 40 : p.location === 'chest' ? -600 : p.location === 'knee' ? 300 : 40,
    WindowWidth: head ? 80 : p.location === 'chest' ? 1500 : p.location === 'knee' ? 1500 : 400,
  });
  if (params.contrast) ds.ContrastBolusAgent = 'OMNIPAQUE';
  if (params.padding) {
    ds.PixelPaddingValue = CT_PADDING_VALUE;
    vr.PixelPaddingValue = 'SS';
  }
  return { pixels, fmt };
}
