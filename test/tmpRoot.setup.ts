import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Vitest global setup: every temporary directory a test makes (mkdtemp under os.tmpdir(), and the
 * CLI children and Python scripts the tests spawn) lands in one directory per run, removed when the
 * run ends. Per-file clean-up cannot do this: a fork's `exit` handlers do not run when vitest stops
 * it, and each `npm test` had left ~25 directories (~230 MB) of shards in /tmp.
 * MEDIMG_KEEP_TEST_TMP=1 keeps the directory to look at (its path is printed).
 */
export default function setup(): () => void {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-test-'));
  // As /tmp is: tests run CLI children as another user (nobody) to check permissions.
  fs.chmodSync(root, 0o1777);
  // Set before the pool forks its workers, which inherit it; os.tmpdir() reads TMPDIR on each call.
  process.env.TMPDIR = root;
  process.env.MEDIMG_TEST_TMP = root;
  const remove = () => {
    if (process.env.MEDIMG_KEEP_TEST_TMP) return;
    try {
      fs.rmSync(root, { recursive: true, force: true });
    } catch (err) {
      console.error(`could not remove the tests' temporary directory ${root}: ${(err as Error).message}`);
    }
  };
  // Ctrl-C or a kill: the teardown does not run. Where vitest handles the signal it calls
  // process.exit, and its own exit handler calls it again, which ends the process at once: this
  // handler goes first. Where nothing else handles the signal, node would die at once: remove, then exit.
  process.prependOnceListener('exit', remove);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      remove();
      if (process.listenerCount(signal) === 0) process.exit(code);
    });
  }
  return () => {
    if (process.env.MEDIMG_KEEP_TEST_TMP) console.log(`test files kept in ${root}`);
    remove();
  };
}
