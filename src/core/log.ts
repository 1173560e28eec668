/** Human lines on stderr (or JSON lines with --log-format json); stdout stays free for data output. */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'text' | 'json';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface LoggerOptions {
  level?: LogLevel;
  format?: LogFormat;
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void;
  /** Prefix for text lines and `scope` field for JSON lines, e.g. the command name. */
  scope?: string;
}

/**
 * A progress bar drawn on stderr's last line registers here, so that log lines written meanwhile
 * clear the bar first and redraw it below themselves instead of being glued onto it.
 */
export interface TerminalLine {
  clear(): void;
  redraw(): void;
}
let terminalLine: TerminalLine | undefined;

export function setTerminalLine(line: TerminalLine | undefined): void {
  terminalLine = line;
}

/** A line on stderr, above the progress bar when one is drawn. */
export function writeStderrLine(line: string): void {
  terminalLine?.clear();
  process.stderr.write(line + '\n');
  terminalLine?.redraw();
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = RANK[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const write = options.write ?? writeStderrLine;
  const emit = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < min) return;
    if (format === 'json') {
      write(JSON.stringify({ time: new Date().toISOString(), level, scope: options.scope, msg, ...fields }));
      return;
    }
    const tag = level === 'info' ? '' : `${level} `;
    // A structured event (`event` field) says in its text what its fields hold: print only the text.
    const extra = fields && Object.keys(fields).length > 0 && fields.event === undefined ? ' ' + formatFields(fields) : '';
    write(`${tag}${msg}${extra}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

function formatFields(fields: Record<string, unknown>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** A logger that records lines in memory (tests). */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
  return Object.assign(logger, { lines });
}
