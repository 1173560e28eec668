import { DataError } from '../core/errors.ts';
import type { SeriesLimits } from './seriesLimits.ts';
import { verifySeriesZip, type ZipVerification } from './verifyZip.ts';

/** Worker side of the verification pool: data errors travel back as plain facts (classes do not cross threads). */
export type VerifyReply = { ok: ZipVerification } | { error: { code: string; message: string; hint?: string; details: Record<string, unknown> } };

export default async function verifyWorker(task: { file: string; expectedImages: number; limits?: SeriesLimits }): Promise<VerifyReply> {
  try {
    return { ok: await verifySeriesZip(task.file, task.expectedImages, task.limits) };
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    return { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), details: JSON.parse(JSON.stringify(err.details)) as Record<string, unknown> } };
  }
}
