import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

// test/tmpRoot.setup.ts: the run's temporary files go to one directory that is removed at its end.
it('puts temporary files of tests and of the processes they spawn under the run directory', () => {
  const root = process.env.MEDIMG_TEST_TMP;
  expect(root, 'the global setup did not run').toBeTruthy();
  expect(path.basename(root!)).toMatch(/^medimg-test-/);
  expect(os.tmpdir()).toBe(root);
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], { encoding: 'utf8' });
  expect(child.stdout).toBe(root);
});
