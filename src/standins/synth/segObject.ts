import { writePart10 } from './dicom.ts';
import type { Lesion } from './nonImage.ts';
import type { SeriesPlan } from './plan.ts';

/** Binary SEG: BitsAllocated 1, one frame per referenced slice, the lesion as one segment. */
export function segObject(p: SeriesPlan, ds: Record<string, unknown>, lesion: Lesion, refSeries: unknown[]): Uint8Array {
  const ref = p.ref!;
  const { cx, cy, radiusAt } = lesion;
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
