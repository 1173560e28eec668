import { Piscina } from 'piscina';
import { workerEntry } from '../core/workers.ts';


/**
 * Hashes finished shard files on a worker thread while the main thread writes the next shard
 * (SHA-256 was the largest single CPU cost of `etl shard`). The file is fsynced and closed before
 * it is handed over, and is read back from the page cache.
 */
export class BackgroundHasher {
  private readonly pool = new Piscina<{ file: string }, string>({ ...workerEntry(new URL('./hashWorker.ts', import.meta.url)), maxThreads: 1, minThreads: 1 });

  hash(file: string): Promise<string> {
    return this.pool.run({ file });
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
