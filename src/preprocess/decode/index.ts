/**
 * DICOM decoding: Part-10 bytes → header + Float32 modality values per frame.
 *
 * Order of pixel operations (dicom.md §3): decode (native / RLE / codec) → mask by BitsStored and
 * HighBit → sign-extend from BitsStored when PixelRepresentation is 1 (also after codecs) →
 * colour to grey (RGB/YBR/palette → Rec.601 luma; YBR_FULL(_422) native → Y; compressed YBR is
 * already RGB from the codec) → Modality LUT (per-frame functional group, shared group, top level;
 * or the Modality LUT Sequence) → padding mask (PixelPaddingValue/RangeLimit in stored units).
 * Not done here: VOI/windowing, MONOCHROME1 inversion, normalisation, resizing.
 *
 * Padding in lossy files (TS .50/.51/.81/.91/.203 or LossyImageCompression 01) when the padding is
 * the minimum of the stored range (signed and < 0, or unsigned 0): every value ≤ the padding is
 * padding; for CT whose padding lies below air (−1024 HU), every value ≤ the midpoint between the
 * padding and −1024 HU (e.g. ≤ −2024 HU for −3024 HU padding), because compression smears the
 * padding both ways.
 *
 * `decodeDicomStored` is the same decode for consumers that only need statistics and a resize: grey
 * 16-bit frames (no Modality LUT Sequence) stay as stored integers (StoredGreyFrame, zero-copy for
 * aligned native data); `storedFrameToImage` (../toImage.ts) turns them into the same images.
 *
 * Errors are DicomError (a DataError) with a code; `isSkip(err)` separates policy skips (NON_IMAGE,
 * BITMASK_PIXELS, FLOAT_PIXELS, COLOUR_SKIPPED, MOSAIC_SKIPPED) from failures (NOT_DICOM,
 * TRUNCATED, UNSUPPORTED_TRANSFER_SYNTAX, DECODE_FAILED, BAD_GEOMETRY).
 */
export type { DicomHeader, DecodedFrame, DecodeOptions, DecodedDicom, DecodedDicomStored, StoredGreyFrame } from './types.ts';
export { readDicomHeader } from './header.ts';
export { decodeDicom, decodeDicomStored, isStoredFrame, MAX_FRAME_PIXELS, MAX_OUTPUT_BYTES } from './decodeDicom.ts';
export { skipReason } from './skipReason.ts';
export { DicomError, isSkip, type DicomErrorCode } from './errors.ts';
export { TRANSFER_SYNTAXES, unsupportedReason, type TransferSyntax } from './transferSyntaxes.ts';
