import type { ArgumentsCamelCase, Argv } from 'yargs';
import { createRunContext, type RunContext } from '../core/context.ts';
import { formatError, exitCodeOf } from '../core/errors.ts';
import type { LogFormat } from '../core/log.ts';
import { inFlagWords } from './flagWording.ts';
import { DEFAULT_DATA_DIR } from '../core/paths.ts';

/** Options every command accepts. */
export interface GlobalArgs {
  dataDir: string;
  logFormat: LogFormat;
  verbose: boolean;
  quiet: boolean;
}

export function globalOptions<T>(y: Argv<T>): Argv<T & GlobalArgs> {
  return y
    .option('data-dir', { type: 'string', default: DEFAULT_DATA_DIR, describe: 'data directory (catalog, raw, staging, datasets, runs)' })
    .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as LogFormat, describe: 'log lines as text or JSON lines' })
    .option('verbose', { type: 'boolean', default: false, describe: 'debug logging' })
    .option('quiet', { type: 'boolean', default: false, describe: 'warnings and errors only' }) as unknown as Argv<T & GlobalArgs>;
}

/** End-of-command summary: a title and labelled figures, printed to stderr (JSON line with --log-format json). */
export interface Summary {
  title: string;
  figures: Record<string, string | number>;
}

/**
 * Wraps a command body: builds the RunContext, handles Ctrl-C (first: abort gracefully, second:
 * exit 130), prints the summary with elapsed time and rejects, and maps errors to exit codes
 * (2 config/input, 3 reject budget, 1 bug).
 */
export function runCommand<A>(body: (args: ArgumentsCamelCase<A & GlobalArgs>, ctx: RunContext) => Promise<Summary | void>) {
  return async (args: ArgumentsCamelCase<A & GlobalArgs>): Promise<void> => {
    const controller = new AbortController();
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts > 1) process.exit(130);
      process.stderr.write('\ninterrupted: finishing the current step and saving state (Ctrl-C again to exit at once)\n');
      controller.abort(new Error('interrupted'));
    };
    process.on('SIGINT', onSigint);
    const ctx = createRunContext({
      dataDir: args.dataDir,
      logFormat: args.logFormat,
      logLevel: args.verbose ? 'debug' : args.quiet ? 'warn' : 'info',
      signal: controller.signal,
    });
    const start = performance.now();
    try {
      const summary = await body(args, ctx);
      if (summary) printSummary(ctx, summary, (performance.now() - start) / 1000);
      if (controller.signal.aborted) process.exitCode = 130;
    } catch (err) {
      process.stderr.write(formatError(err, inFlagWords) + '\n');
      process.exitCode = exitCodeOf(err);
    } finally {
      process.off('SIGINT', onSigint);
    }
  };
}

export function printSummary(ctx: RunContext, summary: Summary, seconds: number): void {
  const figures: Record<string, string | number> = { ...summary.figures };
  if (ctx.rejects.count > 0) {
    figures.rejects = `${ctx.rejects.count} (${ctx.rejects.byReason().slice(0, 4).map((r) => `${r.reason} ×${r.count}`).join(', ')}) → ${ctx.rejects.file ?? 'memory'}`;
  }
  figures.time = `${seconds.toFixed(1)} s`;
  // The title line carries the whole summary as fields for log collectors (--log-format json).
  ctx.log.info(`── ${summary.title} ──`, {
    event: 'summary', title: summary.title, figures: summary.figures, seconds: Number(seconds.toFixed(3)),
    rejects: ctx.rejects.count, rejectsByReason: Object.fromEntries(ctx.rejects.byReason().map((r) => [r.reason, r.count])),
  });
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [k, v] of Object.entries(figures)) ctx.log.info(`  ${k.padEnd(width)}  ${v}`);
}
