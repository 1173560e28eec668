import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from '../src/core/paths.ts';
import type { RawSeriesRecord } from '../src/core/types.ts';
import { createSeriesPool, forEachBounded } from '../src/preprocess/pool.ts';
import { canonicalConfig, configHash, resolvePreprocessConfig } from '../src/preprocess/preprocessConfig.ts';
import type { SeriesTask } from '../src/preprocess/preprocessSeries.ts';

/**
 * Steady-state preprocess of every raw series in `dataDir`: the worker pool warmed on one series
 * (start-up excluded), then all series through it. Runs 1 and 2 workers alternately `runs` times;
 * returns the median seconds of each.
 */
export async function steadyPreprocess(dataDir: string, runs: number): Promise<[number, number]> {
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
  const once = async (workers: number): Promise<number> => {
    const pool = createSeriesPool(workers);
    try {
      await Promise.all(Array.from({ length: workers }, () => pool.run(tasks[0]!)));
      const t0 = performance.now();
      await forEachBounded(tasks, pool.inFlight, async (t) => void (await pool.run(t)));
      return (performance.now() - t0) / 1000;
    } finally {
      await pool.close();
    }
  };
  const one: number[] = [];
  const two: number[] = [];
  for (let r = 0; r < runs; r++) {
    one.push(await once(1));
    two.push(await once(2));
  }
  fs.rmSync(out, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return [median(one), median(two)];
}
