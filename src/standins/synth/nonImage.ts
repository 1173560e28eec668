import { SOP_CLASSES, writePart10 } from './dicom.ts';
import { commonAttributes } from './images.ts';
import { Rng } from './random.ts';
import type { SeriesPlan } from './plan.ts';

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

  if (p.kind === 'SEG') {
    const frames = ref.sopUids.length;
    const bitsPerFrame = ref.rows * ref.cols;
    const packed = new Uint8Array(Math.ceil((bitsPerFrame * frames) / 8) + (Math.ceil((bitsPerFrame * frames) / 8) % 2));
    for (let f = 0; f < frames; f++) {
      const rr = radiusAt(f);
      for (let y = 0; y < ref.rows; y++) {
        for (let x = 0; x < ref.cols; x++) {
          if ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > rr * rr) continue;
          const bit = f * bitsPerFrame + y * ref.cols + x;
          packed[bit >> 3] = packed[bit >> 3]! | (1 << (bit & 7)); // first pixel in the least significant bit
        }
      }
    }
    Object.assign(ds, {
      ImageType: ['DERIVED', 'PRIMARY'],
      ContentLabel: 'LESION',
      ContentDescription: 'Synthetic lesion segmentation',
      ContentCreatorName: 'SYNTH^SEG',
      SegmentationType: 'BINARY',
      FrameOfReferenceUID: ref.frameOfReferenceUid,
      PositionReferenceIndicator: '',
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      Rows: ref.rows,
      Columns: ref.cols,
      NumberOfFrames: frames,
      BitsAllocated: 1,
      BitsStored: 1,
      HighBit: 0,
      PixelRepresentation: 0,
      LossyImageCompression: '00',
      ReferencedSeriesSequence: refSeries,
      SegmentSequence: [
        {
          SegmentNumber: 1,
          SegmentLabel: 'Lesion',
          SegmentAlgorithmType: 'MANUAL',
          SegmentedPropertyCategoryCodeSequence: [{ CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically Abnormal Structure' }],
          SegmentedPropertyTypeCodeSequence: [{ CodeValue: '4147007', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Mass' }],
        },
      ],
      SharedFunctionalGroupsSequence: [
        {
          PlaneOrientationSequence: [{ ImageOrientationPatient: [1, 0, 0, 0, 1, 0] }],
          PixelMeasuresSequence: [{ PixelSpacing: [ref.pixelSpacing, ref.pixelSpacing], SliceThickness: p.sliceThickness }],
        },
      ],
      PerFrameFunctionalGroupsSequence: ref.sopUids.map((u, f) => ({
        DerivationImageSequence: [{ SourceImageSequence: [{ ReferencedSOPClassUID: ref.sopClassUid, ReferencedSOPInstanceUID: u }] }],
        FrameContentSequence: [{ DimensionIndexValues: [1, f + 1] }],
        PlanePositionSequence: [{ ImagePositionPatient: [-(ref.cols * ref.pixelSpacing) / 2, -(ref.rows * ref.pixelSpacing) / 2, ref.positions[f]!] }],
        SegmentIdentificationSequence: [{ ReferencedSegmentNumber: 1 }],
      })),
      PixelData: [packed.buffer],
    });
    return writePart10(ds, 'explicit', { PixelData: 'OB' });
  }

  if (p.kind === 'RTSTRUCT') {
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

  const findings = ['No acute abnormality.', 'Small nodule, follow-up recommended.', 'Findings consistent with prior study.', 'Mass noted; see segmentation.'];
  Object.assign(ds, {
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [{ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic Imaging Report' }],
    ContinuityOfContent: 'SEPARATE',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    CurrentRequestedProcedureEvidenceSequence: [{ StudyInstanceUID: p.studyUid, ReferencedSeriesSequence: refSeries }],
    ContentSequence: [
      {
        RelationshipType: 'CONTAINS',
        ValueType: 'TEXT',
        ConceptNameCodeSequence: [{ CodeValue: '121071', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Finding' }],
        TextValue: r.pick(findings),
      },
    ],
  });
  return writePart10(ds, 'explicit');
}
