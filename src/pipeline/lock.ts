import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LockedError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { pidAlive } from '../core/pids.ts';

/**
 * One run of a pipeline at a time: `state/<pipeline>.lock` is created with O_EXCL and holds who took
 * it. A second run fails at once (LockedError, exit 75). A lock whose process is gone from this host
 * is stale (a crash, a kill -9, a reboot) and is taken over with a warning; a lock from another host
 * cannot be checked and is respected. The holder is identified by more than its pid, which the
 * system reuses: the boot it ran in and the process's start time (Linux /proc), and a random token.
 */

export interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  pipeline: string;
  command?: string;
  /** Random per run: tells two runs apart even when everything else matches. */
  token?: string;
  /** /proc/sys/kernel/random/boot_id of the holder's boot (Linux). */
  bootId?: string;
  /** Field 22 of /proc/<pid>/stat: the holder's start time in clock ticks since boot (Linux). */
  pidStart?: string;
}

/** This boot's id, undefined where /proc does not have it. */
export function bootId(): string | undefined {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Start time of `pid` (clock ticks since boot, from /proc/<pid>/stat), undefined where unknown. */
export function processStart(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: fields follow the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22 overall: starttime
  } catch {
    return undefined;
  }
}

export interface HeldLock {
  file: string;
  info: LockInfo;
  /** Remove the lock if it is still ours. Idempotent. */
  release(): void;
  /** Set when a stale lock was taken over. */
  tookOver?: LockInfo;
}

/** A lock file younger than this with unreadable content is being written right now, not stale. */
const UNREADABLE_GRACE_MS = 30_000;

export function acquireLock(file: string, pipeline: string, log?: Logger): HeldLock {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const info: LockInfo = {
    pid: process.pid,
    host: os.hostname(),
    startedAt: new Date().toISOString(),
    pipeline,
    command: process.argv.slice(1).join(' '),
    token: crypto.randomBytes(8).toString('hex'),
  };
  const boot = bootId();
  const start = processStart(process.pid);
  if (boot) info.bootId = boot;
  if (start) info.pidStart = start;
  let tookOver: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (tryCreate(file, info)) {
      const lock: HeldLock = { file, info, release: () => releaseIfOurs(file, info) };
      if (tookOver) lock.tookOver = tookOver;
      return lock;
    }
    const holder = readLock(file);
    if (holder.kind === 'gone') continue;
    if (holder.kind === 'unreadable') {
      if (Date.now() - holder.mtimeMs < UNREADABLE_GRACE_MS) throw lockedError(file, undefined);
      log?.warn(`lock ${file} is unreadable and older than ${UNREADABLE_GRACE_MS / 1000} s: taking it over`);
      removeIfUnchanged(file, holder.raw);
      continue;
    }
    if (!isStale(holder.info)) throw lockedError(file, holder.info);
    log?.warn(
      `taking over a stale lock: pid ${holder.info.pid} on ${holder.info.host} (started ${holder.info.startedAt}) is no longer running${pidAlive(holder.info.pid) ? ' (the pid now belongs to another process)' : ''}`,
      { lock: file },
    );
    tookOver = holder.info;
    removeIfUnchanged(file, holder.raw);
  }
  throw lockedError(file, undefined);
}

/**
 * Whether the process holding `info` is certainly gone: same host, and the pid is not alive, or the
 * machine rebooted since (another boot id), or the pid now belongs to a process that started at
 * another time (pid reuse).
 */
export function isStale(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return false;
  if (!pidAlive(info.pid)) return true;
  const boot = bootId();
  if (info.bootId && boot && info.bootId !== boot) return true;
  const start = processStart(info.pid);
  return info.pidStart !== undefined && start !== undefined && info.pidStart !== start;
}

export { pidAlive };

function tryCreate(file: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    fs.writeSync(fd, JSON.stringify(info) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return true;
}

type Holder =
  | { kind: 'gone' }
  | { kind: 'unreadable'; raw: string; mtimeMs: number }
  | { kind: 'held'; raw: string; info: LockInfo };

export function readLock(file: string): Holder {
  let raw: string;
  let mtimeMs: number;
  try {
    raw = fs.readFileSync(file, 'utf8');
    mtimeMs = fs.statSync(file).mtimeMs;
  } catch {
    return { kind: 'gone' };
  }
  try {
    const info = JSON.parse(raw) as LockInfo;
    if (typeof info.pid === 'number' && typeof info.host === 'string') return { kind: 'held', raw, info };
  } catch {
    /* half-written lock: judged by age */
  }
  return { kind: 'unreadable', raw, mtimeMs };
}

/**
 * Two runs may find the same stale lock at once: each renames it to a private name and only
 * deletes what it renamed if it is still the stale content, so a fresh lock taken in between by the
 * other run is put back instead of deleted.
 */
function removeIfUnchanged(file: string, raw: string): void {
  const aside = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return;
  }
  const moved = fs.readFileSync(aside, 'utf8');
  if (moved === raw) fs.rmSync(aside, { force: true });
  else {
    try {
      fs.linkSync(aside, file);
    } catch {
      /* someone holds it again: they win */
    }
    fs.rmSync(aside, { force: true });
  }
}

function releaseIfOurs(file: string, info: LockInfo): void {
  const holder = readLock(file);
  if (holder.kind === 'held' && holder.info.pid === info.pid && holder.info.host === info.host && holder.info.startedAt === info.startedAt && holder.info.token === info.token) {
    fs.rmSync(file, { force: true });
  }
}

function lockedError(file: string, info: LockInfo | undefined): LockedError {
  const who = info ? `pid ${info.pid} on ${info.host}, running since ${info.startedAt}` : 'another run';
  return new LockedError(`pipeline is already running (${who}); lock ${file}`, {
    hint: 'wait for it to finish; if that process is gone from another host, delete the lock file by hand',
    details: { lock: file, ...(info ? { holder: info } : {}) },
  });
}
