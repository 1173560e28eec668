import fs from 'node:fs';
import crypto from 'node:crypto';
import { Piscina } from 'piscina';
import { workerEntry } from '../core/workers.ts';

/** SHA-256 of a whole file, streamed in 8 MiB chunks. */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 8 * 2 ** 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

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
