import { writePart10 } from './dicom.ts';
import type { Lesion } from './nonImage.ts';
import type { SeriesPlan } from './plan.ts';

/** RTSTRUCT: the lesion as one closed planar contour per referenced slice (no PixelData). */
export function rtstructObject(p: SeriesPlan, ds: Record<string, unknown>, lesion: Lesion): Uint8Array {
  const ref = p.ref!;
  const { cx, cy, radiusAt } = lesion;
  const contours = ref.sopUids.map((u, k) => {
    const rr = radiusAt(k);
    const pts: number[] = [];
    const n = 24;
    for (let j = 0; j < n; j++) {
      const a = (2 * Math.PI * j) / n;
      const x = -(ref.cols * ref.pixelSpacing) / 2 + (cx + rr * Math.cos(a)) * ref.pixelSpacing;
      const y = -(ref.rows * ref.pixelSpacing) / 2 + (cy + rr * Math.sin(a)) * ref.pixelSpacing;
      pts.push(Number(x.toFixed(2)), Number(y.toFixed(2)), ref.positions[k]!);
    }
    return {
      ContourImageSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: u }],
      ContourGeometricType: 'CLOSED_PLANAR',
      NumberOfContourPoints: n,
      ContourData: pts,
    };
  });
  Object.assign(ds, {
    StructureSetLabel: 'GTV',
    StructureSetName: 'Synthetic GTV',
    StructureSetDate: ds.StudyDate,
    StructureSetTime: ds.StudyTime,
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: ref.frameOfReferenceUid,
        RTReferencedStudySequence: [
          {
            ReferencedSOPClassUID: '1.2.840.10008.3.1.2.3.1',
            ReferencedSOPInstanceUID: p.studyUid,
            RTReferencedSeriesSequence: [
              {
                SeriesInstanceUID: ref.seriesUid,
                ContourImageSequence: ref.sopUids.map((u) => ({ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: u })),
              },
            ],
          },
        ],
      },
    ],
    StructureSetROISequence: [{ ROINumber: 1, ReferencedFrameOfReferenceUID: ref.frameOfReferenceUid, ROIName: 'GTV', ROIGenerationAlgorithm: 'MANUAL' }],
    ROIContourSequence: [{ ROIDisplayColor: [255, 0, 0], ReferencedROINumber: 1, ContourSequence: contours }],
    RTROIObservationsSequence: [{ ObservationNumber: 1, ReferencedROINumber: 1, RTROIInterpretedType: 'GTV', ROIInterpreter: '' }],
    ApprovalStatus: 'UNAPPROVED',
  });
  return writePart10(ds, 'explicit');
}
