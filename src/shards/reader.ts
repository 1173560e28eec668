import path from 'node:path';
import { InputError } from '../core/errors.ts';
import { dataPaths } from '../core/paths.ts';
import type { Split } from '../core/types.ts';
import type { Batch, DatasetHandle, ReadOptions } from './batchSource.ts';
import { readShardManifest, shardsOf, type ShardManifest } from './manifest.ts';
import { readCurrent } from './publish.ts';
import { readMixed } from './readMixed.ts';
import { readPlain } from './readPlain.ts';
import { readPlan } from './readPlan.ts';
import { COLUMNS } from './columns.ts';
import { ShardHandles } from './shardHandles.ts';

/**
 * The training reader (a contract; see docs/interop.md for other languages).
 *
 * Order: per epoch, a seeded permutation of the split's (shard, batch) list (epochOrder.ts);
 * `partition i/P` keeps every P-th position; `shuffleBuffer k` additionally mixes rows across each
 * group of k consecutive batches (readMixed.ts); `cursor` is the position of the next batch in this
 * reader's order: `startCursor: cursor` with the same seed/epoch/partition/shuffleBuffer continues
 * exactly where it stopped.
 *
 * Reads: one `pread` per batch into a REUSED buffer, a ring of prefetch+1 of them letting `prefetch`
 * reads run ahead on libuv's threads (readPlain.ts); with `mmap: true`, each shard is memory-mapped
 * and a batch's images are a view of the map (no copy, like pyarrow's memory_map). Either way the
 * block is decoded in place (batchMessage.ts), no per-row copy.
 * VALIDITY RULE: a Batch's `images` are valid only until the next batch is requested (the next
 * `next()` call of the iterator); copy them to keep them. Other fields are fresh arrays. (Views of a
 * map stay valid longer, and writing into them changes only this process's copy; don't rely on either.)
 */

export type { Batch, DatasetHandle, ReadOptions } from './batchSource.ts';
export { epochOrder } from './epochOrder.ts';

/**
 * `checksums` (default true): check each shard's size as it is first opened, and every batch's
 * CRC-32 (batch-index.json) as it is read, with the rest of the file's at open; a dataset whose
 * index has no CRC-32s gets each shard's SHA-256 checked at open instead (shardHandles.ts).
 * `verify`: check every shard's SHA-256 up front instead.
 * `mmap` (default false): map the shards (where koffi loads) instead of reading each batch with pread.
 * Measured on the 2-core dev machine (bench/README.md): a map wins where a reader touches part of
 * each batch (no CRC-32; 0.18 s against 0.23 s for a warm 1 GB epoch, a byte a page) and holds less
 * memory; checking every byte's CRC-32 (the default), pread is as fast warm and faster from a cold
 * cache while the consumer computes 5 ms a batch (1.14 s against 1.38 s), since its reads run on
 * libuv's threads while a map's page faults stall the main thread.
 */
export async function openDataset(dataDir: string, name: string, opts: { version?: string; verify?: boolean; checksums?: boolean; mmap?: boolean } = {}): Promise<DatasetHandle> {
  const root = dataPaths(dataDir).datasetRoot(name);
  const version = opts.version ?? readCurrent(root);
  if (!version) {
    throw new InputError('SHARDS_NOT_FOUND', `dataset ${name} has no published version under ${root}`, {
      hint: 'run `etl shard --name ' + name + '` first, or pass the right --data-dir',
    });
  }
  const dir = path.join(root, version);
  const manifest = readShardManifest(dir);
  if (manifest.columns.join(',') !== COLUMNS.join(',')) {
    throw new InputError('SHARDS_FORMAT', `${dir}: columns ${manifest.columns.join(',')}, expected ${COLUMNS.join(',')}`, {
      hint: 'the dataset was written by another version of the toolkit; rebuild it with `etl shard`',
    });
  }
  if (opts.verify) {
    const { verifyShardFiles } = await import('./verify.ts');
    await verifyShardFiles(dir, manifest, { throwOnError: true });
  }
  const shards = new ShardHandles(dir, manifest, opts.checksums !== false && !opts.verify);
  const mmap = opts.mmap === true;
  return {
    name, version, dir, manifest,
    classNames: manifest.classNames,
    height: manifest.image.height,
    width: manifest.image.width,
    batchSize: manifest.batchSize,
    splitRows: (split) => manifest.splits[split]?.rows ?? 0,
    splitBatches: (split) => manifest.splits[split]?.batches ?? 0,
    batches: (split, ro = {}) => readBatches(shards, manifest, split, ro, mmap),
    close: () => shards.close(),
  };
}

async function* readBatches(shards: ShardHandles, manifest: ShardManifest, split: Split, ro: ReadOptions, mmap: boolean): AsyncGenerator<Batch> {
  const opened = await Promise.all(shardsOf(manifest, split).map((s) => shards.open(s)));
  const plan = readPlan(split, opened, manifest, ro, mmap);
  const k = Math.max(0, Math.floor(ro.shuffleBuffer ?? 0));
  yield* k <= 1 ? readPlain(plan) : readMixed(plan, k, ro);
}
