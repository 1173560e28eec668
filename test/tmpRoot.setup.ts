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
  return () => {
    if (process.env.MEDIMG_KEEP_TEST_TMP) console.log(`test files kept in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  };
}
