/**
 * One error hierarchy for the whole toolkit. Every error a user can cause says what was expected,
 * what was got, and gives a hint. Exit codes: 2 config/input, 3 reject budget exceeded, 1 bug.
 */

export interface EtlErrorOptions extends ErrorOptions {
  hint?: string;
  /** Extra structured facts (url, status, file, key…) kept for logs and rejects. */
  details?: Record<string, unknown>;
}

export class EtlError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  /** Process exit code when this error ends a command. */
  readonly exitCode: number = 1;

  constructor(code: string, message: string, options: EtlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** Bad flag, pipeline, manifest or option: found before any network or GPU work. Exit 2. */
export class ConfigError extends EtlError {
  override readonly exitCode = 2;
  constructor(message: string, options: EtlErrorOptions = {}) {
    super('CONFIG_INVALID', message, options);
  }
}

/** Bad input data that stops a command (missing folder, unreadable manifest, no data). Exit 2. */
export class InputError extends EtlError {
  override readonly exitCode = 2;
  constructor(code: string, message: string, options: EtlErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Too many per-file rejects: a broken decoder or server must not hide behind "skip". Exit 3. */
export class RejectBudgetError extends EtlError {
  override readonly exitCode = 3;
  constructor(message: string, options: EtlErrorOptions = {}) {
    super('REJECT_BUDGET_EXCEEDED', message, options);
  }
}

/**
 * A per-item data error (one corrupt DICOM, one failed series). Stages catch these, record them in
 * rejects.jsonl and continue; they only end a command when the reject budget is exceeded.
 */
export class DataError extends EtlError {}

/** Another run holds the lock. Exit 75 (EX_TEMPFAIL) so cron wrappers can tell "busy" from "broken". */
export class LockedError extends EtlError {
  override readonly exitCode = 75;
  constructor(message: string, options: EtlErrorOptions = {}) {
    super('LOCKED', message, options);
  }
}

export function isEtlError(err: unknown): err is EtlError {
  return err instanceof EtlError;
}

export function exitCodeOf(err: unknown): number {
  return isEtlError(err) ? err.exitCode : 1;
}

/** Short message of any thrown value (dicom-parser throws strings and plain objects). */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'string') return err;
  if (err && typeof err === 'object' && 'exception' in err) return String((err as { exception: unknown }).exception);
  return String(err);
}

/**
 * What the CLI prints. Known errors: one line plus a hint, no stack (ETL_DEBUG=1 adds it). Unknown
 * errors are bugs: full stack.
 */
export function formatError(err: unknown): string {
  if (isEtlError(err)) {
    const lines = [`error ${err.code}: ${err.message}`];
    if (process.env.ETL_DEBUG && err.stack) lines.push(err.stack);
    if (err.hint) lines.push(`  hint: ${err.hint}`);
    return lines.join('\n');
  }
  const stack = err instanceof Error && err.stack ? err.stack : messageOf(err);
  return `error BUG: an unexpected error occurred (please report it)\n${stack}`;
}
