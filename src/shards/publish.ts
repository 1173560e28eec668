import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { InputError } from '../core/errors.ts';
import { writeFileAtomicSync } from '../core/fsAtomic.ts';
import { hostTag } from '../core/pids.ts';

/**
 * Publishing a dataset version, crash-safe:
 *  1. everything is built in `datasets/<name>/.build-<pid>-<rand>.tmp/` (manifest.json last);
 *  2. the directory is renamed to `datasets/<name>/<version>/` (one atomic rename; an identical
 *     version already there is kept and the build is discarded);
 *  3. `datasets/<name>/current` is switched: a symlink `current → <version>` is created under a
 *     temporary name and renamed over `current` (rename(2) replaces atomically, so readers see the
 *     old or the new target, never none). Where symlinks are not supported (some SMB/FUSE/exFAT
 *     mounts) `current` is instead a one-line file holding the version, also replaced by rename.
 * A failure before step 3 leaves `current` untouched.
 */

export function buildDirFor(datasetRoot: string): string {
  return path.join(datasetRoot, `.build-${process.pid}-${hostTag()}${crypto.randomBytes(2).toString('hex')}.tmp`);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* not supported on every platform; the rename itself is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Move a finished build into place; returns the version directory and whether it already existed. */
export function publishVersion(buildDir: string, datasetRoot: string, version: string): { dir: string; reused: boolean } {
  const dir = path.join(datasetRoot, version);
  if (fs.existsSync(path.join(dir, 'manifest.json'))) {
    fs.rmSync(buildDir, { recursive: true, force: true });
    return { dir, reused: true };
  }
  // A version directory without a manifest is debris of an interrupted publish: replace it.
  if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(buildDir, dir);
  fsyncDir(datasetRoot);
  return { dir, reused: false };
}

export function switchCurrent(datasetRoot: string, version: string): 'symlink' | 'file' {
  const current = path.join(datasetRoot, 'current');
  const tmp = path.join(datasetRoot, `.current.${process.pid}.${hostTag()}${crypto.randomBytes(2).toString('hex')}.tmp`);
  try {
    fs.symlinkSync(version, tmp);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'EINVAL' && code !== 'ENOSYS') throw err;
    writeFileAtomicSync(current, version + '\n');
    fsyncDir(datasetRoot);
    return 'file';
  }
  try {
    fs.renameSync(tmp, current);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(datasetRoot);
  return 'symlink';
}

/** The version `current` points at (symlink or one-line file), or undefined when none is published. */
export function readCurrent(datasetRoot: string): string | undefined {
  const current = path.join(datasetRoot, 'current');
  let st: fs.Stats;
  try {
    st = fs.lstatSync(current);
  } catch {
    return undefined;
  }
  if (st.isSymbolicLink()) return path.basename(fs.readlinkSync(current));
  if (st.isFile()) return fs.readFileSync(current, 'utf8').trim() || undefined;
  throw new InputError('SHARDS_CURRENT', `${current} is neither a symlink nor a file`, { hint: 'remove it and run `etl shard` again' });
}
