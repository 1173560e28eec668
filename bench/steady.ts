import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../src/core/paths.ts';
import type { RawSeriesRecord } from '../src/core/types.ts';
import { canonicalConfig, configHash, resolvePreprocessConfig } from '../src/preprocess/preprocessConfig.ts';
import type { SeriesTask } from '../src/preprocess/preprocessSeries.ts';

type PoolModule = typeof import('../src/preprocess/pool.ts');

/**
 * The pool as an installed toolkit runs it: dist/'s (`npm run build`; bench/table.ts builds it when
 * stale), whose workers load the esbuild bundle. Imported from src/, its workers would compile the
 * series code through tsx — the development path, not the product's.
 */
async function distPool(): Promise<PoolModule> {
  return (await import(new URL('../dist/preprocess/pool.js', import.meta.url).href)) as PoolModule;
}

/**
 * Steady-state preprocess of every raw series in `dataDir`: the worker pool warmed on one series
 * (start-up excluded), then all series through it. Returns a function that makes one such run with
 * `workers` threads and answers its seconds and the process's CPU-s meanwhile (all threads), so
 * callers can alternate it with their baselines.
 */
export function steadyPreprocess(dataDir: string): { run(workers: number): Promise<{ seconds: number; cpu: number }>; close(): void } {
  const paths = dataPaths(dataDir);
  const config = resolvePreprocessConfig({});
  const metadata = { configHash: configHash(config), preprocessConfig: canonicalConfig(config) };
  const out = fs.mkdtempSync(path.join(dataDir, 'steady-'));
  const tasks: SeriesTask[] = [];
  const rawRoot = path.dirname(paths.rawDir('x'));
  for (const collection of fs.readdirSync(rawRoot)) {
    for (const f of fs.readdirSync(paths.rawDir(collection)).filter((x) => x.endsWith('.json'))) {
      const r = JSON.parse(fs.readFileSync(path.join(paths.rawDir(collection), f), 'utf8')) as RawSeriesRecord;
      tasks.push({
        source: { kind: 'zip', file: paths.rawZip(r.collection, r.seriesUid) },
        meta: { dataset: r.planned.dataset, seriesUid: r.seriesUid, label: r.planned.label, bodyPart: r.planned.bodyPart },
        config, out: path.join(out, `${r.seriesUid}.arrow`), metadata,
      });
    }
  }
  const run = async (workers: number): Promise<{ seconds: number; cpu: number }> => {
    const { createSeriesPool, forEachBounded } = await distPool();
    const pool = createSeriesPool(workers);
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.run(tasks[0]!)));
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await forEachBounded(tasks, pool.inFlight, async (t) => void (await pool.run(t)));
      const c = process.cpuUsage(c0);
      return { seconds: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
    } finally {
      await pool.close();
    }
  };
  return { run, close: () => fs.rmSync(out, { recursive: true, force: true }) };
}
