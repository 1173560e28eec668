import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { asEnvironmentError } from './errors.ts';
import { hostTag, pidAlive } from './pids.ts';

/**
 * Crash-safe writes: data goes to a temporary sibling name, is fsynced, then renamed into place,
 * so a final name never holds a half-written file. Temporary names start with `.` and end with
 * `.tmp` so readers and cleanups can tell them apart.
 */

export function tempPathFor(finalPath: string): string {
  const rand = hostTag() + crypto.randomBytes(2).toString('hex');
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.${process.pid}.${rand}.tmp`);
}

export function isTempName(name: string): boolean {
  return name.startsWith('.') && name.endsWith('.tmp');
}

/**
 * A failed write (disk full, quota, permissions) removes its temporary file and throws an
 * EnvironmentError naming the path: nothing half-written stays behind, under any name.
 */
export async function writeFileAtomic(finalPath: string, data: string | Uint8Array): Promise<void> {
  const tmp = tempPathFor(finalPath);
  try {
    await fsp.mkdir(path.dirname(finalPath), { recursive: true });
    const fh = await fsp.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, finalPath);
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw asEnvironmentError(err, finalPath) ?? err;
  }
}

export function writeFileAtomicSync(finalPath: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(finalPath);
  try {
    fs.mkdirSync(path.dirname(finalPath), { recursive: true });
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, finalPath);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw asEnvironmentError(err, finalPath) ?? err;
  }
}

/** JSON with sorted keys and a trailing newline: identical inputs give byte-identical files. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + '\n';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export async function writeJsonAtomic(finalPath: string, value: unknown): Promise<void> {
  await writeFileAtomic(finalPath, stableJson(value));
}

/**
 * A file being written under a temporary name; `commit()` fsyncs and renames it into place,
 * `abort()` removes it. Use for streamed outputs (downloads, shards).
 */
export class AtomicFile {
  readonly finalPath: string;
  readonly tempPath: string;
  private constructor(finalPath: string, readonly handle: fsp.FileHandle, tempPath: string) {
    this.finalPath = finalPath;
    this.tempPath = tempPath;
  }

  /** Environment failures (disk full, permissions) of open, write and commit are EnvironmentErrors naming the path. */
  static async open(finalPath: string): Promise<AtomicFile> {
    const tmp = tempPathFor(finalPath);
    try {
      await fsp.mkdir(path.dirname(finalPath), { recursive: true });
      return new AtomicFile(finalPath, await fsp.open(tmp, 'w'), tmp);
    } catch (err) {
      throw asEnvironmentError(err, finalPath) ?? err;
    }
  }

  async write(chunk: Uint8Array): Promise<void> {
    let off = 0;
    try {
      while (off < chunk.byteLength) {
        const { bytesWritten } = await this.handle.write(chunk, off, chunk.byteLength - off);
        off += bytesWritten;
      }
    } catch (err) {
      throw asEnvironmentError(err, this.finalPath) ?? err;
    }
  }

  /** Writes `chunks` in order with one gathered write (no concatenated copy). */
  async writev(chunks: readonly Uint8Array[]): Promise<void> {
    try {
      await writevAll(this.handle, chunks);
    } catch (err) {
      throw asEnvironmentError(err, this.finalPath) ?? err;
    }
  }

  async commit(): Promise<void> {
    try {
      await this.handle.sync();
      await this.handle.close();
      await fsp.rename(this.tempPath, this.finalPath);
    } catch (err) {
      throw asEnvironmentError(err, this.finalPath) ?? err;
    }
  }

  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fsp.rm(this.tempPath, { force: true });
  }
}

/** A temp of another host is only judged by age: older than a day, its run is gone. */
const FOREIGN_TEMP_MAX_AGE_MS = 24 * 3600_000;

/**
 * Whether a temporary file or build folder was left by a run that is gone: its name carries the
 * writer's pid and host tag (`.<name>.<pid>.<tag><rand>.tmp`, `.build-<pid>-<tag><rand>.tmp`); on
 * this host the pid must be dead; from another host (or an unknown layout) the temp must be a day old.
 * Never a live run's temp, and never this process's.
 */
export function isDeadRunTemp(name: string, mtimeMs: number, now = Date.now()): boolean {
  if (!isTempName(name)) return false;
  const m = /[.-](\d+)[.-]([0-9a-f]{8})\.tmp$/.exec(name);
  if (m) {
    const pid = Number(m[1]);
    if (pid === process.pid) return false;
    if (m[2]!.startsWith(hostTag())) return !pidAlive(pid);
  }
  return now - mtimeMs > FOREIGN_TEMP_MAX_AGE_MS;
}

/**
 * Remove temporary files and build folders left by dead runs under `dir` (recursively; see
 * isDeadRunTemp). Returns how many were removed.
 */
export async function removeStaleTemps(dir: string): Promise<number> {
  let removed = 0;
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (isTempName(e.name)) {
      const st = await fsp.lstat(p).catch(() => undefined);
      if (st && isDeadRunTemp(e.name, st.mtimeMs)) {
        await fsp.rm(p, { recursive: true, force: true });
        removed++;
      }
    } else if (e.isDirectory()) removed += await removeStaleTemps(p);
  }
  return removed;
}

/**
 * Writes `chunks` in order with gathered writes (no concatenated copy), at `position` or the file's
 * current offset, until every byte is written: writev may write fewer bytes than asked.
 */
export async function writevAll(handle: fsp.FileHandle, chunks: readonly Uint8Array[], position?: number): Promise<void> {
  let rest = chunks.filter((c) => c.byteLength > 0);
  let at = position;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest, at);
    if (at !== undefined) at += bytesWritten;
    const left: Uint8Array[] = [];
    for (const c of rest) {
      if (bytesWritten >= c.byteLength) bytesWritten -= c.byteLength;
      else (left.push(bytesWritten > 0 ? c.subarray(bytesWritten) : c), (bytesWritten = 0));
    }
    rest = left;
  }
}
