/**
 * Child process for the crash test: runs one pipeline with only the pipeline modules loaded (the full
 * CLI loads every command, which is slow on a busy CI machine). ETL_CRASH_AT in its environment kills it.
 * Usage: node --import tsx test/pipeline/crashChild.ts <pipeline.yaml> <data-dir>
 */
import { createRunContext } from '../../src/core/context.ts';
import { exitCodeOf, formatError } from '../../src/core/errors.ts';
import { runPipeline } from '../../src/pipeline/run.ts';

const [file, dataDir] = process.argv.slice(2);
try {
  const r = await runPipeline(file!, {}, createRunContext({ dataDir: dataDir!, tty: false }));
  process.stderr.write(`steps: ${r.ran} ran, ${r.skipped} skipped\n`);
} catch (err) {
  process.stderr.write(formatError(err) + '\n');
  process.exitCode = exitCodeOf(err);
}
