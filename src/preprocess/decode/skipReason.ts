import { nonImageSopClass, sopClassLabel } from './sopClasses.ts';
import { DicomError, type DicomErrorCode } from './errors.ts';
import type { DecodeOptions, DicomHeader } from './types.ts';

/**
 * Which headers are not decoded (non-image objects, bitmasks, mosaics and colour by policy): needs
 * the header only, so the importers and the IDC client filter without loading the pixel decoders.
 */

const MONOCHROME = new Set(['MONOCHROME1', 'MONOCHROME2', '']);

export function errorFor(header: DicomHeader) {
  return (code: DicomErrorCode, message: string, extra: Record<string, unknown> = {}, cause?: unknown): DicomError =>
    new DicomError(
      code,
      message,
      { transferSyntaxUid: header.transferSyntaxUid, sopClassUid: header.sopClassUid, sopInstanceUid: header.sopInstanceUid, modality: header.modality, ...extra },
      cause,
    );
}

export function isColour(h: DicomHeader): boolean {
  return h.samplesPerPixel > 1 || !MONOCHROME.has(h.photometric);
}

/**
 * Why this header will not be decoded under `options` (non-image object, bitmask, mosaic or colour
 * by policy), or null. Cheap: use it after `readDicomHeader` to filter before reading pixels.
 */
export function skipReason(header: DicomHeader, options: DecodeOptions = {}): DicomError | null {
  const err = errorFor(header);
  const nonImage = nonImageSopClass(header.sopClassUid);
  if (nonImage !== null) return err('NON_IMAGE', `non-image object: ${sopClassLabel(header.sopClassUid)} skipped`);
  if (!header.hasPixelData) return err('NON_IMAGE', `non-image object: ${sopClassLabel(header.sopClassUid)} has no PixelData (7FE0,0010), skipped`);
  if (header.bitsAllocated === 1) return err('BITMASK_PIXELS', `bitmask pixels (BitsAllocated 1) in ${sopClassLabel(header.sopClassUid)} skipped`);
  if ((options.mosaic ?? 'skip') === 'skip' && header.imageType.some((t) => t.toUpperCase() === 'MOSAIC')) {
    return err('MOSAIC_SKIPPED', 'Siemens mosaic (ImageType contains MOSAIC) skipped by policy (mosaic: skip)');
  }
  if (options.colour === 'skip' && isColour(header)) {
    return err('COLOUR_SKIPPED', `colour image (${header.photometric || '?'}, ${header.samplesPerPixel} samples/pixel) skipped by policy (colour: skip)`);
  }
  return null;
}
