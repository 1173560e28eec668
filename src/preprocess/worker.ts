import sharp from 'sharp';
import { runSeriesTask, type SeriesOutcome, type SeriesTask } from './preprocessSeries.ts';

/**
 * Pool worker: one task = one series. Codecs load lazily once per worker (the decoder caches them);
 * libvips gets one thread per worker since the pool already keeps every core busy.
 */
sharp.concurrency(1);

export default function preprocessWorker(task: SeriesTask): Promise<SeriesOutcome> {
  return runSeriesTask(task);
}
