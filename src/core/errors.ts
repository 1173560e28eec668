/**
 * One error hierarchy for the whole toolkit. Every error a user can cause says what was expected,
 * what was got, and gives a hint. Exit codes: 2 config/input, 3 reject budget exceeded or corrupt
 * data, 69 server unavailable, 74 environment (disk full, quota, permission, read-only), 75 locked, 1 bug.
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

/** Exit code of an environment failure (sysexits EX_IOERR): the machine, not the data or the code. */
export const ENVIRONMENT_EXIT = 74;

/** System error codes that mean "the environment refuses": retrying or rejecting the item cannot help. */
export const ENVIRONMENT_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS']);

const ENVIRONMENT_WHY: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/**
 * The disk is full, a quota is reached, or a path may not be written. One line naming the path;
 * stops the command (no retry loop, no reject: every further item would fail the same way). Exit 74.
 */
export class EnvironmentError extends EtlError {
  override readonly exitCode = ENVIRONMENT_EXIT;
  constructor(sysCode: string, file: string | undefined, options: EtlErrorOptions = {}) {
    super(`ENV_${sysCode}`, `${ENVIRONMENT_WHY[sysCode] ?? sysCode}${file ? `: ${file}` : ''}`, {
      hint: sysCode === 'ENOSPC' || sysCode === 'EDQUOT'
        ? 'free space (or raise the quota) under the data directory, then rerun: finished work is kept'
        : 'fix the permissions or mount of that path (or choose another `dataDir`), then rerun',
      ...options,
      details: { file, sysCode, ...options.details },
    });
  }
}

/** The system error code of `err` when it is an environment failure (ENOSPC, EACCES, ...). */
export function environmentCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ENVIRONMENT_CODES.has(code) ? code : undefined;
}

/** `err` as an EnvironmentError when it is one (naming `file`, or the path the system error names). */
export function asEnvironmentError(err: unknown, file?: string): EnvironmentError | undefined {
  if (err instanceof EnvironmentError) return err;
  const code = environmentCodeOf(err);
  if (!code) return undefined;
  const p = (err as { path?: unknown }).path;
  return new EnvironmentError(code, file ?? (typeof p === 'string' ? p : undefined), { cause: err });
}

export function isEtlError(err: unknown): err is EtlError {
  return err instanceof EtlError;
}

export function exitCodeOf(err: unknown): number {
  if (isEtlError(err)) return err.exitCode;
  return environmentCodeOf(err) ? ENVIRONMENT_EXIT : 1;
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
 * errors are bugs: full stack. Messages name options in backticks (`maxRejectRate`); `wording`
 * rewrites the message and hint for the caller (the CLI turns option names into its flags).
 */
export function formatError(err: unknown, wording: (text: string) => string = (t) => t): string {
  const env = isEtlError(err) ? undefined : asEnvironmentError(err);
  if (env) err = env;
  if (isEtlError(err)) {
    const lines = [`error ${err.code}: ${wording(err.message)}`];
    if (process.env.ETL_DEBUG && err.stack) lines.push(err.stack);
    if (err.hint) lines.push(`  hint: ${wording(err.hint)}`);
    return lines.join('\n');
  }
  const stack = err instanceof Error && err.stack ? err.stack : messageOf(err);
  return `error BUG: an unexpected error occurred (please report it)\n${stack}`;
}
