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

/**
 * A grey frame in a 16-bit container left as stored integers (masked and sign-extended), for
 * consumers that only need statistics and a resize (the preprocess worker): modality value
 * = fround(stored × slope + intercept) exactly as `DecodedFrame.values`, padding = stored values in
 * [padLo, padHi] (padLo may be −Infinity; no padding: padLo > padHi). `stored` may be a view of the
 * input bytes: read it before the bytes are reused.
 */
export interface StoredGreyFrame {
  stored: Int16Array | Uint16Array;
  slope: number;
  intercept: number;
  padLo: number;
  padHi: number;
}

export interface DecodedDicomStored {
  header: DicomHeader;
  /** Per frame: stored form where the fast path applies (grey, 16-bit, no Modality LUT Sequence), else modality values. */
  frames: Array<DecodedFrame | StoredGreyFrame>;
}
