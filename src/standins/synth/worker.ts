import type { SeriesPlan } from './plan.ts';
import { writeSeries, type SeriesResult } from './series.ts';

/** Piscina worker: generates one series into `root`. */
export default async function ({ plan, root }: { plan: SeriesPlan; root: string }): Promise<SeriesResult> {
  return writeSeries(plan, root);
}
