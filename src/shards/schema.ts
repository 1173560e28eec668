import { Field, FixedSizeBinary, Int32, Schema, Utf8 } from 'apache-arrow';

/**
 * Shard schema: one RecordBatch per training batch. The image column is uncompressed
 * FixedSizeBinary(H*W) so readers (JS, pyarrow, Polars) get zero-copy views; every field is
 * non-nullable, and every batch must be built on the writer's own Schema object (shards.md §2:
 * a batch whose schema differs is silently dropped by the JS writer).
 */

export { COLUMNS, SHARD_FORMAT } from './columns.ts';
import { COLUMNS, SHARD_FORMAT } from './columns.ts';

/** Schema metadata keys (all values are strings; JSON where structured). */
export const META = {
  format: 'medimg.format',
  image: 'medimg.image',
  classes: 'medimg.classes',
  batch: 'medimg.batch_size',
  seed: 'medimg.seed',
  configHash: 'medimg.config_hash',
  split: 'medimg.split',
  shard: 'medimg.shard',
} as const;

export interface ShardSchemaInfo {
  height: number;
  width: number;
  classNames: string[];
  batchSize: number;
  seed: number;
  configHash: string;
  split: string;
  shardIndex: number;
  shardCount: number;
}

export function shardSchema(info: ShardSchemaInfo): Schema {
  const fields = [
    new Field('image', new FixedSizeBinary(info.height * info.width), false),
    new Field('label', new Int32(), false),
    new Field('dataset', new Utf8(), false),
    new Field('patient', new Utf8(), false),
    new Field('series', new Utf8(), false),
    new Field('sop', new Utf8(), false),
    new Field('frame', new Int32(), false),
    new Field('pixel_hash', new Utf8(), false),
  ];
  const metadata = new Map<string, string>([
    [META.format, SHARD_FORMAT],
    [META.image, JSON.stringify({ height: info.height, width: info.width, dtype: 'uint8' })],
    [META.classes, JSON.stringify(info.classNames)],
    [META.batch, String(info.batchSize)],
    [META.seed, String(info.seed)],
    [META.configHash, info.configHash],
    [META.split, info.split],
    [META.shard, JSON.stringify({ index: info.shardIndex, count: info.shardCount })],
  ]);
  return new Schema(fields, metadata);
}

/** Parse and check the metadata of a shard's schema; throws a plain Error naming what is wrong. */
export function readShardSchemaInfo(schema: Schema): ShardSchemaInfo {
  const m = schema.metadata;
  const get = (k: string) => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`schema metadata lacks ${k}`);
    return v;
  };
  if (get(META.format) !== SHARD_FORMAT) throw new Error(`format is ${get(META.format)}, expected ${SHARD_FORMAT}`);
  const names = schema.fields.map((f) => f.name);
  if (names.join(',') !== COLUMNS.join(',')) throw new Error(`columns are ${names.join(',')}, expected ${COLUMNS.join(',')}`);
  const image = JSON.parse(get(META.image)) as { height: number; width: number };
  const shard = JSON.parse(get(META.shard)) as { index: number; count: number };
  return {
    height: image.height,
    width: image.width,
    classNames: JSON.parse(get(META.classes)) as string[],
    batchSize: Number(get(META.batch)),
    seed: Number(get(META.seed)),
    configHash: get(META.configHash),
    split: get(META.split),
    shardIndex: shard.index,
    shardCount: shard.count,
  };
}
