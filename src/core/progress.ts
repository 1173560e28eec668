import cliProgress from 'cli-progress';
import { setTerminalLine, type Logger } from './log.ts';

/** Progress of one long step: a bar on a TTY, a periodic log line otherwise. */
export interface Progress {
  /** Add `n` done units (default 1) and optionally bytes. */
  tick(n?: number, bytes?: number): void;
  /** Change the expected total (e.g. once a plan is known). */
  setTotal(total: number): void;
  /** Stop the bar; returns done units, bytes and elapsed seconds. */
  stop(): { done: number; bytes: number; seconds: number };
}

export interface ProgressOptions {
  logger: Logger;
  /** Force the TTY bar on or off; default: stderr is a TTY and not CI. */
  tty?: boolean;
  /** Seconds between log lines when not on a TTY. */
  intervalSeconds?: number;
  unit?: string;
}

export function createProgress(label: string, total: number, options: ProgressOptions): Progress {
  const tty = options.tty ?? (Boolean(process.stderr.isTTY) && !process.env.CI);
  const unit = options.unit ?? 'items';
  const start = performance.now();
  const intervalMs = (options.intervalSeconds ?? 10) * 1000;
  let done = 0;
  let bytes = 0;
  let lastLog = start;
  let bar: cliProgress.SingleBar | undefined;
  if (tty) {
    bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta_formatted}`,
        stream: process.stderr,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { rate: '0' });
    const drawn = bar;
    setTerminalLine({ clear: () => process.stderr.write('\r\x1b[2K'), redraw: () => drawn.render() });
  }
  const rate = () => {
    const s = (performance.now() - start) / 1000;
    return s > 0 ? done / s : 0;
  };
  return {
    tick(n = 1, b = 0) {
      done += n;
      bytes += b;
      if (bar) {
        bar.update(done, { rate: rate().toFixed(1) });
        return;
      }
      const now = performance.now();
      if (now - lastLog >= intervalMs) {
        lastLog = now;
        const pct = total > 0 ? ` (${((100 * done) / total).toFixed(1)}%)` : '';
        const r = rate();
        const eta = r > 0 && total > done ? (total - done) / r : undefined;
        // Fields for log collectors (--log-format json): the text is for people.
        options.logger.info(`${label}: ${done}/${total} ${unit}${pct}, ${r.toFixed(1)} ${unit}/s`, {
          event: 'progress', stage: label, done, total, unit, ...(bytes > 0 ? { bytes } : {}),
          rate: Number(r.toFixed(3)), ...(eta !== undefined ? { etaSeconds: Math.round(eta) } : {}),
        });
      }
    },
    setTotal(t) {
      total = t;
      bar?.setTotal(t);
    },
    stop() {
      if (bar) setTerminalLine(undefined);
      bar?.stop();
      return { done, bytes, seconds: (performance.now() - start) / 1000 };
    },
  };
}
