import os from 'node:os';
import v8 from 'node:v8';
import { Piscina } from 'piscina';
import { workerEntry } from '../core/workers.ts';
import { ConfigError } from '../core/errors.ts';
import type { SeriesOutcome, SeriesTask } from './preprocessSeries.ts';

/**
 * The series worker pool (piscina). One task = one series; the worker reads, decodes and writes the
 * staging file itself, so only small outcome objects cross threads. `workers: 0` runs tasks in this
 * thread (previews, debugging, tiny inputs).
 */
export interface SeriesPool {
  readonly threads: number;
  /** Series to keep in flight (forEachBounded's limit): every thread busy, one series queued behind each. */
  readonly inFlight: number;
  run(task: SeriesTask): Promise<SeriesOutcome>;
  close(): Promise<void>;
}

export function defaultWorkers(): number {
  return os.availableParallelism();
}

export function resolveWorkers(workers: number | undefined): number {
  const n = workers ?? defaultWorkers();
  if (!Number.isInteger(n) || n < 0 || n > 1024) {
    throw new ConfigError(`\`workers\` must be an integer from 0 to 1024 (got ${workers})`, {
      hint: `default: all cores (${defaultWorkers()}); 0 runs in the main thread`,
    });
  }
  return n;
}

/**
 * Series each worker thread runs at once. Two: while one waits for its reads or for the fsync of
 * its staging file (tens of ms on a busy disk), the other computes, so the thread never idles.
 * The kernels' scratch buffers are only used between awaits, never across one.
 */
export const SERIES_PER_THREAD = 2;

/**
 * Old-generation room (MB) that worker isolates start with. V8 reads it when an isolate is created
 * (Worker's resourceLimits have no initial size, hence the flag, set before the pool starts). Each
 * slice inflates into a fresh ~0.5 MB buffer, which counts against the old generation's limit: from
 * V8's default start (a ~10 MB heap) that forced a full GC every ~30 slices (600 CT slices 512²,
 * 2 shared cores: in one thread GC 0.54 → 0.13 ms and CPU 3.1 → 2.7 ms per slice; in a worker's
 * profile GC 304 → 151 ms). A limit, not memory committed up front; a value given to node is kept.
 */
const WORKER_INITIAL_OLD_SPACE_MB = 64;

function roomForWorkers(): void {
  const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a.startsWith('--initial-old-space-size'));
  if (!given) v8.setFlagsFromString(`--initial-old-space-size=${WORKER_INITIAL_OLD_SPACE_MB}`);
}

/**
 * The main thread never loads the series code (decoders, zip reading, apache-arrow) unless it runs
 * tasks itself (`workers: 0`): each worker loads it once, off the main thread's start-up.
 */
export function createSeriesPool(workers: number): SeriesPool {
  if (workers === 0) {
    const run = async (task: SeriesTask) => (await import('./preprocessSeries.ts')).runSeriesTask(task);
    return { threads: 0, inFlight: 1, run, close: async () => undefined };
  }
  roomForWorkers();
  const pool = new Piscina<SeriesTask, SeriesOutcome>({
    ...workerEntry(new URL('./worker.ts', import.meta.url)),
    minThreads: workers,
    maxThreads: workers,
    concurrentTasksPerWorker: SERIES_PER_THREAD,
    idleTimeout: 60_000,
  });
  return { threads: workers, inFlight: workers * (SERIES_PER_THREAD + 1), run: (task) => pool.run(task), close: () => pool.destroy() };
}

/**
 * Run `fn` over `items` (an array, or a stream that is only read as fast as calls finish) with at most `limit` calls in flight (the pool's `inFlight`: every thread busy, one
 * series queued behind each, memory bounded). Stops starting new items once `signal` aborts or a
 * call throws; waits for the ones in flight, then rethrows the first error.
 */
export async function forEachBounded<T>(
  items: Iterable<T> | AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  for await (const item of items) {
    if (failure || signal?.aborted) break;
    const p: Promise<void> = fn(item)
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= limit) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.err;
}
