import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import zlib from 'node:zlib';

/**
 * Digests of file ranges (an object's slot in its series store: MD5 + CRC-32; a finished store:
 * SHA-256) on worker threads, so hashing stays off the thread that runs the downloads — on a busy
 * machine that thread was the bottleneck, with MD5 and SHA-256 half of its time (bench/fetchIdc.ts).
 * The bytes are read back from the page cache they were just written to.
 *
 * The worker is a few lines over node built-ins, evaluated from source: Piscina (the TCIA verifier's
 * pool) needs a module file, which from src/ starts each thread through tsx (~1 s of CPU); this
 * starts in milliseconds whether the toolkit runs from src/ or dist/.
 */

export interface RangeDigest {
  md5: string;
  crc32: number;
}

export interface DigestPool {
  /**
   * MD5 and CRC-32 of `size` bytes of `file` from `start`; with `crcAt`, the CRC-32 is also written
   * there (4 bytes, little-endian: a ZIP local header's field), so the caller never computes it.
   */
  object(file: string, start: number, size: number, crcAt?: number): Promise<RangeDigest>;
  /** SHA-256 of the first `size` bytes of `file`. */
  sha256(file: string, size: number): Promise<string>;
  close(): Promise<void>;
}

type Task = { file: string; start: number; size: number; sha256: boolean; crcAt?: number | undefined };
type Reply = { id: number; hex: string; crc32: number } | { id: number; error: string };

/** Shared by the worker (as source) and the inline pool: one pass over the range, 4 MB at a time. */
function digestRange(deps: { fs: typeof fs; crypto: typeof crypto; zlib: typeof zlib }, buf: Buffer, t: Task): { hex: string; crc32: number } {
  const fd = deps.fs.openSync(t.file, t.crcAt === undefined ? 'r' : 'r+');
  try {
    const h = deps.crypto.createHash(t.sha256 ? 'sha256' : 'md5');
    let crc32 = 0;
    for (let off = 0; off < t.size; ) {
      const n = deps.fs.readSync(fd, buf, 0, Math.min(buf.length, t.size - off), t.start + off);
      if (n === 0) throw new Error(`${t.file} ends before byte ${t.start + t.size}`);
      const b = buf.subarray(0, n);
      h.update(b);
      if (!t.sha256) crc32 = deps.zlib.crc32(b, crc32);
      off += n;
    }
    if (t.crcAt !== undefined) {
      const le = Buffer.alloc(4);
      le.writeUInt32LE(crc32 >>> 0);
      if (deps.fs.writeSync(fd, le, 0, 4, t.crcAt) !== 4) throw new Error(`short write of the CRC-32 into ${t.file}`);
    }
    return { hex: h.digest('hex'), crc32 };
  } finally {
    deps.fs.closeSync(fd);
  }
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const deps = { fs: require('node:fs'), crypto: require('node:crypto'), zlib: require('node:zlib') };
const digestRange = ${digestRange.toString()};
const buf = Buffer.allocUnsafe(4 << 20);
parentPort.on('message', ({ id, task }) => {
  try {
    parentPort.postMessage({ id, ...digestRange(deps, buf, task) });
  } catch (e) {
    parentPort.postMessage({ id, error: String((e && e.message) || e) });
  }
});`;

/** Threads: one per core, at most 2 (hashing at ~0.5–1 GB/s per thread keeps up with any link). */
export function digestThreads(): number {
  return Math.min(2, os.availableParallelism());
}

/** `threads` 0 digests on the calling thread (tests, one-core machines). */
export function createDigestPool(threads = digestThreads()): DigestPool {
  const run = threads === 0 ? inlineRunner() : workerRunner(threads);
  return {
    object: async (file, start, size, crcAt) => {
      const r = await run.task({ file, start, size, sha256: false, crcAt });
      return { md5: r.hex, crc32: r.crc32 };
    },
    sha256: async (file, size) => (await run.task({ file, start: 0, size, sha256: true })).hex,
    close: run.close,
  };
}

interface Runner {
  task(t: Task): Promise<{ hex: string; crc32: number }>;
  close(): Promise<void>;
}

function inlineRunner(): Runner {
  const buf = Buffer.allocUnsafe(4 << 20);
  return { task: async (t) => digestRange({ fs, crypto, zlib }, buf, t), close: async () => undefined };
}

/** Round-robin over `threads` workers started on first use; a worker that dies fails its tasks and is replaced. */
function workerRunner(threads: number): Runner {
  type Slot = { worker: Worker; pending: Map<number, { resolve: (r: { hex: string; crc32: number }) => void; reject: (e: Error) => void }> };
  const slots: Array<Slot | undefined> = new Array(threads).fill(undefined);
  let next = 0;
  let ids = 0;
  const start = (i: number): Slot => {
    const slot: Slot = { worker: new Worker(WORKER_SOURCE, { eval: true }), pending: new Map() };
    slot.worker.unref();
    slot.worker.on('message', (r: Reply) => {
      const p = slot.pending.get(r.id);
      slot.pending.delete(r.id);
      if (p) 'error' in r ? p.reject(new Error(r.error)) : p.resolve(r);
    });
    const fail = (err: Error) => {
      if (slots[i] === slot) slots[i] = undefined;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => fail(new Error(`digest worker exited with code ${code}`)));
    return (slots[i] = slot);
  };
  return {
    task(t) {
      const i = next++ % threads;
      const slot = slots[i] ?? start(i);
      const id = ids++;
      return new Promise((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        slot.worker.postMessage({ id, task: t });
      });
    },
    async close() {
      await Promise.all(slots.map((s) => s?.worker.terminate()));
      slots.fill(undefined);
    },
  };
}
