import { runSeriesTask, type SeriesOutcome, type SeriesTask } from './preprocessSeries.ts';

/** Pool worker: one task = one series. Codecs and sharp load lazily once per worker, when a series needs them. */
export default function preprocessWorker(task: SeriesTask): Promise<SeriesOutcome> {
  return runSeriesTask(task);
}
