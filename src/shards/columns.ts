/** The shard format's name and columns, in schema order (apart from schema.ts, which needs apache-arrow, so the reader need not load it). */
export const SHARD_FORMAT = 'medimg-shard/1';

export const COLUMNS = ['image', 'label', 'dataset', 'patient', 'series', 'sop', 'frame', 'pixel_hash'] as const;
