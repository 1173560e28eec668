import os from 'node:os';
import { Piscina } from 'piscina';
import { workerEntry } from '../../core/workers.ts';
import type { SeriesPlan } from './plan.ts';
import { writeSeries, type SeriesResult } from './series.ts';

/**
 * Generates series inline (workers ≤ 1) or on a piscina pool (0 = min(4, cores)). Each series is
 * a pure function of its plan, so results do not depend on the number of workers or their order.
 */
export async function runSeries(
  plans: SeriesPlan[],
  root: string,
  workers: number,
  signal?: AbortSignal,
  onDone?: (done: number) => void,
): Promise<SeriesResult[]> {
  const n = workers === 0 ? Math.min(4, os.availableParallelism()) : workers;
  let done = 0;
  if (n <= 1) {
    const out: SeriesResult[] = [];
    for (const p of plans) {
      signal?.throwIfAborted();
      out.push(await writeSeries(p, root));
      onDone?.(++done);
    }
    return out;
  }
  const pool = new Piscina({ ...workerEntry(new URL('./worker.ts', import.meta.url)), maxThreads: n, minThreads: n });
  try {
    // Biggest series first keeps the threads busy until the end.
    const order = plans.map((p, i) => [p.rows * p.cols * p.instances, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    const results = new Array<SeriesResult>(plans.length);
    await Promise.all(
      order.map(async ([, i]) => {
        results[i] = (await pool.run({ plan: plans[i]!, root }, signal ? { signal } : {})) as SeriesResult;
        onDone?.(++done);
      }),
    );
    return results;
  } finally {
    await pool.destroy();
  }
}
