import { describe, expect, it } from 'vitest';
import { parseShardFileName, shardFileName } from '../../src/shards/naming.ts';
import { batchesPerShard, MAX_SHARD_BYTES } from '../../src/shards/writer.ts';
import { bucketCount, ROW_BYTES } from '../../src/shards/rowStore.ts';
import { sortKey } from '../../src/shards/splitRows.ts';

describe('shard naming and sizing', () => {
  it('names shards <split>-00007-of-00042.arrow and parses them back', () => {
    expect(shardFileName('train', 7, 42)).toBe('train-00007-of-00042.arrow');
    expect(parseShardFileName('validate-00000-of-00001.arrow')).toEqual({ split: 'validate', index: 0, count: 1 });
    expect(parseShardFileName('train-7-of-42.arrow')).toBeUndefined();
    expect(() => shardFileName('test', 3, 3)).toThrow(RangeError);
  });

  it('keeps shards under 2 GiB whatever --shard-size-mb says', () => {
    const pixels = 224 * 224;
    const bps = batchesPerShard(100_000, 128, pixels);
    expect(bps * 128 * (pixels + 512)).toBeLessThan(MAX_SHARD_BYTES);
    expect(batchesPerShard(512, 128, pixels)).toBe(Math.floor((512 * 2 ** 20) / (128 * (pixels + 512) + 4096)));
    expect(batchesPerShard(0.001, 128, pixels)).toBe(1);
  });

  it('sizes row buckets to the memory budget; keys depend on seed and identity only', () => {
    expect(bucketCount(1000, 2 ** 28)).toBe(1);
    expect(bucketCount(20_000_000, 2 ** 28)).toBe(Math.ceil((20_000_000 * ROW_BYTES) / 2 ** 27));
    expect(sortKey(1, 'train', 'A', 's', 'o', 0)).toEqual(sortKey(1, 'train', 'A', 's', 'o', 0));
    expect(sortKey(1, 'train', 'A', 's', 'o', 0)).not.toEqual(sortKey(2, 'train', 'A', 's', 'o', 0));
  });
});
