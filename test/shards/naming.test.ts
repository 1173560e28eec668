import { describe, expect, it } from 'vitest';
import { parseShardFileName, shardFileName } from '../../src/shards/naming.ts';
import { batchesPerShard, MAX_SHARD_BYTES } from '../../src/shards/writer.ts';
import { bucketCount, sortKey } from '../../src/shards/shuffle.ts';

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

  it('sizes shuffle buckets to the memory budget; keys depend on seed and identity only', () => {
    expect(bucketCount(1000, 16, 2 ** 30)).toBe(1);
    expect(bucketCount(200_000, 224 * 224, 2 ** 30)).toBe(Math.ceil((200_000 * (224 * 224 + 256)) / 2 ** 29));
    expect(sortKey(1, 'train', 'A', 's', 'o', 0)).toEqual(sortKey(1, 'train', 'A', 's', 'o', 0));
    expect(sortKey(1, 'train', 'A', 's', 'o', 0)).not.toEqual(sortKey(2, 'train', 'A', 's', 'o', 0));
  });
});
