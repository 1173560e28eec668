/** Public shapes of the DICOM decoder (see decodeDicom.ts). */

export interface DicomHeader {
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  seriesUid: string;
  studyUid: string;
  patientId: string;
  modality: string;
  bodyPart: string | null;
  instanceNumber: number | null;
  acquisitionNumber: number | null;
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  photometric: string;
  planarConfiguration: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  /** Top-level rescale (defaults 1, 0); enhanced objects may override per frame (DecodedFrame.slope/intercept). */
  rescaleSlope: number;
  rescaleIntercept: number;
  /** In STORED units, signed per PixelRepresentation. */
  pixelPaddingValue: number | null;
  pixelPaddingRangeLimit: number | null;
  windowCenter: number | null;
  windowWidth: number | null;
  voiLutFunction: string | null;
  presentationLutShape: string | null;
  imageType: string[];
  hasPixelData: boolean;
}

export interface DecodedFrame {
  /** Modality values (after mask, sign extension, colour→grey, Modality LUT), rows*columns, row-major. */
  values: Float32Array;
  /** 1 where the pixel is padding (PixelPaddingValue / range); null when the file declares no padding. */
  padding: Uint8Array | null;
  /** The rescale actually applied to this frame (per-frame for enhanced objects). */
  slope: number;
  intercept: number;
}

export interface DecodeOptions {
  /** Zero-based frame indices to decode (default: all). */
  frames?: number[];
  /** Colour images: convert to grey luma (default) or throw COLOUR_SKIPPED. */
  colour?: 'grey' | 'skip';
  /** Siemens mosaics (ImageType contains MOSAIC): throw MOSAIC_SKIPPED (default) or decode as one image. */
  mosaic?: 'skip' | 'keep';
}

export interface DecodedDicom {
  header: DicomHeader;
  frames: DecodedFrame[];
}
