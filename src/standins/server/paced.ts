/**
 * Writing a response through the stand-ins' shared link: PACE_CHUNK pieces, each granted by the
 * link before it is written, with backpressure. Both stand-ins (TCIA, S3) send every body this way.
 */
import type http from 'node:http';
import { PACE_CHUNK, type SharedLink } from './link.ts';

export interface PacedCounters {
  bytesSent: number;
}

/** Writes `data` through `link`, respecting backpressure. False if the client left. */
export async function writePaced(res: http.ServerResponse, data: Buffer, link: SharedLink, counters: PacedCounters): Promise<boolean> {
  for (let off = 0; off < data.length; off += PACE_CHUNK) {
    const piece = data.subarray(off, Math.min(data.length, off + PACE_CHUNK));
    await link.take(piece.length);
    if (res.destroyed) return false;
    counters.bytesSent += piece.length;
    if (!res.write(piece)) await drainOrClose(res);
  }
  return !res.destroyed;
}

function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
