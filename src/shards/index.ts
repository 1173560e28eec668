/** Public surface of shards/ (Arrow shards: build, publish, read, verify): other folders import only from here. */
export { shardDataset } from './build.ts';
export { MANIFEST_FILE, readShardManifest, type ShardManifest, type SplitSummary } from './manifest.ts';
export { readCurrent, switchCurrent } from './publish.ts';
export { SHARD_DEFAULTS } from './defaults.ts';
export { openDataset, epochOrder, type Batch, type DatasetHandle, type ReadOptions } from './reader.ts';
export type { BatchOrder, BatchSource } from './batchSource.ts';
export { IntegrityError, verifyDataset, type VerifyReport, type VerifyOptions } from './verify.ts';
export { type ShardFileInfo } from './writer.ts';
