/**
 * The library API of the `medimg-etl` package (`import { openDataset } from 'medimg-etl'`): read
 * published shard sets, their manifests and dataset manifests. Nothing here loads tfjs; the model
 * side is `medimg-etl/classify`. The commands (`etl`, `train`) are the CLI over the same folders.
 */
export { openDataset, epochOrder, type Batch, type BatchOrder, type BatchSource, type DatasetHandle, type ReadOptions } from './shards/index.ts';
export { readShardManifest, MANIFEST_FILE, verifyDataset, IntegrityError, type ShardManifest, type SplitSummary, type ShardFileInfo, type VerifyReport, type VerifyOptions } from './shards/index.ts';
export { loadManifest, parseManifest, type DatasetManifest, type ManifestDataset } from './curate/index.ts';
export { createRunContext, type RunContext, type RunContextOptions } from './core/context.ts';
export { EtlError, ConfigError, InputError, DataError, formatError, exitCodeOf } from './core/errors.ts';
export { DEFAULT_CLASSES, DEFAULT_CLASS_MAP, SPLITS, type Split } from './core/types.ts';
