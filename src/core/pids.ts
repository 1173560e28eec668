import os from 'node:os';
import { sha256Hex } from './hash.ts';

/** Whether a process with this pid exists on this host (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Four hex digits of this host's name, written into temporary names next to the pid: a cleanup only
 * judges a pid on the host it belongs to (a data directory may be shared by hosts, e.g. partitions).
 */
export function hostTag(): string {
  return sha256Hex(os.hostname()).slice(0, 4);
}
