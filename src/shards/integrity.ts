import { EtlError } from '../core/errors.ts';

/** Damaged data (a shard that differs from its manifest): exit code 3 (DATA_INTEGRITY). */

export const INTEGRITY_EXIT = 3;

export interface VerifyProblem {
  shard?: string;
  code: string;
  message: string;
}

export class IntegrityError extends EtlError {
  override readonly exitCode = INTEGRITY_EXIT;
  constructor(message: string, readonly problems: VerifyProblem[]) {
    super('DATA_INTEGRITY', message, {
      hint: 'rebuild the dataset with `etl shard` (same inputs and seed give the same bytes), or restore the named shard files',
      details: { problems: problems.slice(0, 20) },
    });
  }
}
