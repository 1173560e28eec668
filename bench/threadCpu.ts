import { spawn } from 'node:child_process';
import fs from 'node:fs';

/**
 * Where a process's CPU goes, by thread: the profile behind the "1 → 2 workers" row. Linux only
 * (/proc); elsewhere it answers undefined and the row says so.
 */

export interface ThreadCpu {
  /** CPU-s of the main thread (tid = pid). */
  main: number;
  /**
   * CPU-s of the `busiest` threads other than main, most first: the pool's workers, taken to be the
   * busiest (Node 20 leaves every thread named "node", so nothing else tells them apart).
   */
  busiest: number[];
  /** CPU-s of every other thread: V8's compiler and GC helpers, libuv's I/O pool. */
  others: number;
}

const TICKS_PER_S = 100; // USER_HZ: /proc's utime and stime unit on Linux

/** utime + stime of each thread of `pid`, in CPU-s. */
function sample(pid: number, into: Map<number, number>): void {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return; // exited
  }
  for (const tid of tids) {
    try {
      const s = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      into.set(Number(tid), (Number(f[11]) + Number(f[12])) / TICKS_PER_S);
    } catch {
      // the thread ended between the listing and the read
    }
  }
}

/**
 * Runs `cmd` once (untimed: reading /proc every 20 ms costs a little CPU) and splits its CPU by thread.
 * A thread's last 20 ms before it ends can be missed, so the parts may add up to slightly less than
 * the whole.
 */
export async function threadCpu(cmd: string, argv: string[], busiest: number, cwd: string): Promise<ThreadCpu | undefined> {
  if (!fs.existsSync('/proc/self/task')) return undefined;
  const child = spawn(cmd, argv, { cwd, stdio: 'ignore' });
  const cpu = new Map<number, number>();
  const timer = setInterval(() => sample(child.pid!, cpu), 20);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('exit', resolve);
    child.on('error', (err) => (clearInterval(timer), reject(err)));
  });
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${code}`);
  const main = cpu.get(child.pid!) ?? 0;
  const rest = [...cpu].filter(([tid]) => tid !== child.pid).map(([, s]) => s).sort((a, b) => b - a);
  return { main, busiest: rest.slice(0, busiest), others: rest.slice(busiest).reduce((a, b) => a + b, 0) };
}
