import { SOP_CLASSES } from './dicom.ts';
import { commonAttributes } from './images.ts';
import { Rng } from './random.ts';
import type { SeriesPlan } from './plan.ts';
import { rtstructObject } from './rtstructObject.ts';
import { segObject } from './segObject.ts';
import { srObject } from './srObject.ts';

/** A sphere-ish lesion in pixel coordinates of the referenced series: centre and radius per referenced slice. */
export interface Lesion {
  cx: number;
  cy: number;
  radiusAt: (k: number) => number;
}

/**
 * Non-image objects TCIA collections carry next to images: a binary SEG (BitsAllocated 1,
 * one frame per referenced slice), an RTSTRUCT (contours, no PixelData) and a Basic Text SR.
 */
export function nonImageInstance(p: SeriesPlan): Uint8Array {
  const ref = p.ref!;
  const r = new Rng(p.seed);
  const ds: Record<string, unknown> = {
    ...commonAttributes(p, 1),
    SOPClassUID: SOP_CLASSES[p.kind as 'SEG'],
  };
  // Lesion: a sphere-ish blob centred in the body, used by SEG and RTSTRUCT alike.
  const cx = ref.cols * r.uniform(0.35, 0.65);
  const cy = ref.rows * r.uniform(0.35, 0.6);
  const rad = Math.max(2, ref.cols * r.uniform(0.04, 0.1));
  const radiusAt = (k: number) => {
    const t = ref.sopUids.length <= 1 ? 0 : (2 * k) / (ref.sopUids.length - 1) - 1;
    return rad * Math.sqrt(Math.max(0, 1 - t * t * 0.8));
  };
  const refSeries = [
    {
      SeriesInstanceUID: ref.seriesUid,
      ReferencedInstanceSequence: ref.sopUids.map((u) => ({ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: u })),
    },
  ];

  const lesion: Lesion = { cx, cy, radiusAt };
  if (p.kind === 'SEG') return segObject(p, ds, lesion, refSeries);
  if (p.kind === 'RTSTRUCT') return rtstructObject(p, ds, lesion);
  return srObject(p, ds, r, refSeries);
}
