import { DataError, messageOf } from '../../core/errors.ts';

/** Why a DICOM file was not decoded. */
export type DicomErrorCode =
  | 'NOT_DICOM'
  | 'TRUNCATED'
  | 'MALFORMED'
  | 'NON_IMAGE'
  | 'BITMASK_PIXELS'
  | 'FLOAT_PIXELS'
  | 'COLOUR_SKIPPED'
  | 'MOSAIC_SKIPPED'
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'DECODE_FAILED'
  | 'BAD_GEOMETRY';

/** Codes that are policy skips (the file is fine, just not an image we keep), not decode failures. */
const SKIP_CODES: ReadonlySet<string> = new Set<DicomErrorCode>([
  'NON_IMAGE',
  'BITMASK_PIXELS',
  'FLOAT_PIXELS',
  'COLOUR_SKIPPED',
  'MOSAIC_SKIPPED',
]);

export interface DicomErrorDetails extends Record<string, unknown> {
  transferSyntaxUid?: string;
  sopClassUid?: string;
}

export class DicomError extends DataError {
  declare readonly code: DicomErrorCode;
  constructor(code: DicomErrorCode, message: string, details: DicomErrorDetails = {}, cause?: unknown) {
    super(code, message, { details, ...(cause === undefined ? {} : { cause }) });
  }
}

/** True for non-image objects and policy skips; false for real decode failures and non-DicomErrors. */
export function isSkip(err: unknown): boolean {
  return err instanceof DicomError && SKIP_CODES.has(err.code);
}

/** Message of anything a parser or wasm codec throws (strings, {exception}, bare numbers). */
export function thrownMessage(err: unknown): string {
  if (typeof err === 'number') return `codec exception #${err}`;
  return messageOf(err);
}
