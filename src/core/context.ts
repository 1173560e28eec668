import path from 'node:path';
import { createLogger, type LogFormat, type LogLevel, type Logger } from './log.ts';
import { createProgress, type Progress } from './progress.ts';
import { RejectsSink } from './rejects.ts';
import { DEFAULT_DATA_DIR, dataPaths, type DataPaths } from './paths.ts';

/** What every stage and command gets: where data lives, how to log, where rejects go, when to stop. */
export interface RunContext {
  dataDir: string;
  paths: DataPaths;
  log: Logger;
  rejects: RejectsSink;
  signal: AbortSignal;
  /** Start a progress display for a long step. */
  progress(label: string, total: number, unit?: string): Progress;
}

export interface RunContextOptions {
  dataDir?: string;
  logLevel?: LogLevel;
  logFormat?: LogFormat;
  logger?: Logger;
  /** Keep rejects in memory instead of `<dataDir>/rejects.jsonl`. */
  rejectsInMemory?: boolean;
  signal?: AbortSignal;
  /** Force progress bars on/off (default: on when stderr is a TTY). */
  tty?: boolean;
}

export function createRunContext(options: RunContextOptions = {}): RunContext {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  const paths = dataPaths(dataDir);
  const log =
    options.logger ?? createLogger({ level: options.logLevel ?? 'info', format: options.logFormat ?? 'text' });
  const tty = options.tty;
  return {
    dataDir,
    paths,
    log,
    rejects: new RejectsSink(options.rejectsInMemory ? undefined : paths.rejects),
    signal: options.signal ?? new AbortController().signal,
    progress: (label, total, unit) =>
      createProgress(label, total, { logger: log, ...(tty === undefined ? {} : { tty }), ...(unit ? { unit } : {}) }),
  };
}
