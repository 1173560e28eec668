import os from 'node:os';
import { Piscina } from 'piscina';
import { DataError } from '../core/errors.ts';
import { workerEntry } from '../core/workers.ts';
import type { SeriesLimits } from './seriesLimits.ts';
import { verifySeriesZip, type ZipVerification } from './verifyZip.ts';
import type { VerifyReply } from './verifyWorker.ts';

/**
 * ZIP verification (inflate + MD5 of every image) on worker threads. Downloads are event-loop bound:
 * verifying on the main thread as well capped a 400 Mbit/s link at about half its speed.
 */
export interface ZipVerifier {
  verify(file: string, expectedImages: number, limits?: SeriesLimits): Promise<ZipVerification>;
  close(): Promise<void>;
}

/** Threads for `concurrency` parallel downloads: one per core, at most one per download, 0 = main thread. */
export function verifierThreads(concurrency: number): number {
  return Math.max(0, Math.min(concurrency, os.availableParallelism()));
}

export function createZipVerifier(threads: number): ZipVerifier {
  if (threads === 0) return { verify: verifySeriesZip, close: async () => undefined };
  const pool = new Piscina<{ file: string; expectedImages: number; limits?: SeriesLimits }, VerifyReply>({
    ...workerEntry(new URL('./verifyWorker.ts', import.meta.url)),
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: 30_000,
  });
  return {
    async verify(file, expectedImages, limits) {
      const reply = await pool.run({ file, expectedImages, ...(limits ? { limits } : {}) });
      if ('ok' in reply) return reply.ok;
      const { code, message, hint, details } = reply.error;
      throw new DataError(code, message, { ...(hint ? { hint } : {}), details });
    },
    close: () => pool.destroy(),
  };
}
