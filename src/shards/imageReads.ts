import fs from 'node:fs';
import { InputError } from '../core/errors.ts';

/**
 * Positional reads of staged images (pread into the caller's buffer: the batch being assembled),
 * with the most recently used staging files kept open. Rows come in shuffled order, so any file
 * may be next; a few hundred descriptors cover a run's working set without nearing the limit.
 */
export class ImageReads {
  private readonly open = new Map<number, number>();

  constructor(private readonly files: readonly string[], private readonly maxOpen = 256) {}

  read(file: number, offset: number, into: Uint8Array): void {
    const fd = this.fd(file);
    for (let got = 0; got < into.byteLength; ) {
      const n = fs.readSync(fd, into, got, into.byteLength - got, offset + got);
      if (n === 0) {
        throw new InputError('STAGING_CHANGED', `${this.files[file]} ended at byte ${offset + got} while its images were read`, {
          hint: 'a staging file changed during `etl shard`; let `etl preprocess` finish, then shard again',
        });
      }
      got += n;
    }
  }

  private fd(file: number): number {
    let fd = this.open.get(file);
    if (fd !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.open.delete(file);
      this.open.set(file, fd);
      return fd;
    }
    if (this.open.size >= this.maxOpen) {
      const [oldest, ofd] = this.open.entries().next().value as [number, number];
      this.open.delete(oldest);
      fs.closeSync(ofd);
    }
    fd = fs.openSync(this.files[file]!, 'r');
    this.open.set(file, fd);
    return fd;
  }

  close(): void {
    for (const fd of this.open.values()) fs.closeSync(fd);
    this.open.clear();
  }
}
