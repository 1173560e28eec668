import { ConfigError } from './errors.ts';
import { hash64 } from './hash.ts';

/** `--partition i/P`: this machine handles series with hash64(SeriesInstanceUID) mod P == i. */
export interface Partition {
  index: number;
  count: number;
}

export const WHOLE: Partition = { index: 0, count: 1 };

export function parsePartition(text: string | undefined): Partition {
  if (text === undefined || text === '') return WHOLE;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ConfigError(`\`partition\` must look like i/P, e.g. 0/4 (got "${text}")`, { hint: 'i counts from 0 to P-1' });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) {
    throw new ConfigError(`\`partition\` ${text}: need 0 ≤ i < P and P ≥ 1`, { hint: 'e.g. `partition` 3/4 is the last of four' });
  }
  return { index, count };
}

export function partitionOf(seriesUid: string, count: number): number {
  return Number(hash64(seriesUid) % BigInt(count));
}

export function inPartition(seriesUid: string, part: Partition): boolean {
  return part.count === 1 || partitionOf(seriesUid, part.count) === part.index;
}

export function formatPartition(part: Partition): string {
  return `${part.index}/${part.count}`;
}
