import { SPLITS, type Split } from '../core/types.ts';

/**
 * The one naming function for shard files: `<split>-00007-of-00042.arrow` (index counts from 0).
 * Zero-padded so a lexical sort is the shard order.
 */
export function shardFileName(split: Split, index: number, count: number): string {
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) {
    throw new RangeError(`shard index ${index} out of range for ${count} shards`);
  }
  return `${split}-${pad5(index)}-of-${pad5(count)}.arrow`;
}

const NAME_RE = /^(train|validate|test)-(\d{5,})-of-(\d{5,})\.arrow$/;

/** Inverse of shardFileName; undefined for any other name. */
export function parseShardFileName(name: string): { split: Split; index: number; count: number } | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const split = m[1] as Split;
  if (!SPLITS.includes(split)) return undefined;
  return { split, index: Number(m[2]), count: Number(m[3]) };
}

function pad5(n: number): string {
  return String(n).padStart(5, '0');
}
