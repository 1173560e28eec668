import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError } from '../core/errors.ts';
import { removeStaleTemps, stableJson, writeFileAtomicSync } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { withSteadyNursery } from '../core/nursery.ts';
import { WHOLE, formatPartition, type Partition } from '../core/partition.ts';
import { DEFAULT_CLASSES } from '../core/types.ts';
import { formatLeakage, LeakageError } from '../curate/index.ts';
import { writeBatchIndex } from './batchIndex.ts';
import type { BackgroundHasher } from './checksum.ts';
import { collectRows } from './collectRows.ts';
import type { SplitRowStore } from './rowStore.ts';
import { MANIFEST_FILE, MANIFEST_FORMAT, type ShardManifest } from './manifest.ts';
import { buildDirFor, publishVersion, switchCurrent } from './publish.ts';
import { COLUMNS, SHARD_FORMAT } from './schema.ts';
import { SHARD_DEFAULTS } from './defaults.ts';
import { DEFAULT_MAX_REJECT_RATE } from '../core/rejects.ts';
import { loadAssignments, stagedSet, type Assignments, type StagedSet } from './shardInputs.ts';
import { IntegrityError, verifyDataset, type VerifyReport } from './verify.ts';
import { writeSplits } from './writeSplits.ts';
import { SplitShardWriter, batchesPerShard } from './writer.ts';

/**
 * `etl shard`: staging → globally shuffled, pre-batched, checksummed Arrow shards per split,
 * published atomically as `datasets/<name>/<version>/`, verified, and only then `current` switched.
 */

export interface ShardOptions {
  name: string;
  batch?: number;
  /** Dataset manifest: datasets take the split it assigns. */
  manifest?: string;
  /** Split file from `etl split` (takes precedence over `manifest`). */
  splitFile?: string;
  seed?: number;
  shardSizeMb?: number;
  partial?: 'keep' | 'drop';
  /**
   * Memory for the rows' metadata (about 256 bytes a row; images are never held): splits whose rows
   * fit are sorted in memory, the others spill to key-range bucket files. Does not change the output.
   */
  memoryMb?: number;
  partition?: Partition;
  classNames?: string[];
  /** Fail on leakage between splits instead of warning. */
  strict?: boolean;
  /** SHA-256 finished shards on a worker thread, re-read from the page cache (default: inline as they are written). Same result either way. */
  hashInBackground?: boolean;
  /** Largest tolerated fraction of unreadable staging files / unknown labels (default DEFAULT_MAX_REJECT_RATE). */
  maxRejectRate?: number;
}

export interface ShardResult {
  name: string;
  version: string;
  dir: string;
  manifest: ShardManifest;
  /** The version existed already (identical inputs): nothing was rewritten. */
  reused: boolean;
  currentMethod: 'symlink' | 'file';
  bytes: number;
  /** Wall time end to end, verification included. */
  seconds: number;
  /** Of which: re-reading and checking the published version before switching `current`. */
  verifySeconds: number;
  /** That check's report (callers need not re-hash the version they were just given). */
  verification: VerifyReport;
}

/** Options with their defaults applied and checked. */
function resolveOptions(o: ShardOptions) {
  const r = {
    batch: o.batch ?? SHARD_DEFAULTS.batch, seed: o.seed ?? SHARD_DEFAULTS.seed, shardSizeMb: o.shardSizeMb ?? SHARD_DEFAULTS.shardSizeMb, partial: o.partial ?? SHARD_DEFAULTS.partial,
    partition: o.partition ?? WHOLE, memoryMb: o.memoryMb ?? SHARD_DEFAULTS.memoryMb, classNames: o.classNames ?? [...DEFAULT_CLASSES], maxRejectRate: o.maxRejectRate ?? DEFAULT_MAX_REJECT_RATE,
  };
  if (!Number.isInteger(r.batch) || r.batch < 1) throw new ConfigError(`\`batch\` must be a positive integer (got ${r.batch})`, { hint: 'e.g. `batch` 128' });
  if (!(r.shardSizeMb > 0)) throw new ConfigError(`\`shardSizeMb\` must be positive (got ${r.shardSizeMb})`, { hint: 'e.g. `shardSizeMb` 512' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.name)) {
    throw new ConfigError(`\`name\` must be letters, digits, . _ - (got "${o.name}")`, { hint: 'e.g. `name` paper-2021' });
  }
  return r;
}

/** Memory does not grow with the dataset: row metadata under `memoryMb`, one batch of images, and a nursery of fixed size (core/nursery.ts). */
export async function shardDataset(options: ShardOptions, ctx: RunContext): Promise<ShardResult> {
  return withSteadyNursery(() => buildShards(options, ctx));
}

async function buildShards(options: ShardOptions, ctx: RunContext): Promise<ShardResult> {
  const start = performance.now();
  const o = resolveOptions(options);
  const { assignments, inputs, ownPatientIds } = loadAssignments(options);
  const input = stagedSet(ctx, o.partition);
  const { size, configHash } = input;
  const datasetRoot = ctx.paths.datasetRoot(options.name);
  fs.mkdirSync(datasetRoot, { recursive: true });
  const stale = await removeStaleTemps(datasetRoot);
  if (stale > 0) ctx.log.info(`removed ${stale} build folder(s) or temporary file(s) left by an earlier run that is gone`);
  const buildDir = buildDirFor(datasetRoot);
  fs.mkdirSync(buildDir);
  const writers: SplitShardWriter[] = [];
  const stores: SplitRowStore[] = [];
  // By default each shard is hashed inline as its bytes go out (no re-read, no extra thread's memory);
  // the worker pool (piscina) loads only when asked for.
  const hasher = options.hashInBackground ? new (await import('./checksum.ts')).BackgroundHasher() : undefined;
  try {
    const { shards, splits, crc32, leak } = await collectAndWrite(o, { ...input, assignments, ownPatientIds, buildDir, hasher, strict: options.strict ?? false }, ctx, writers, stores);
    const body: Omit<ShardManifest, 'version'> = {
      format: MANIFEST_FORMAT, name: options.name, shardFormat: SHARD_FORMAT, image: { height: size, width: size, dtype: 'uint8' },
      classNames: o.classNames, batchSize: o.batch, seed: o.seed, partial: o.partial, columns: [...COLUMNS], splits, shards,
      inputs: {
        ...inputs, assignments, configHash,
        staging: { series: input.staged.length, samples: input.samples, sha256: input.sha256 },
        partition: formatPartition(o.partition), shardSizeMb: o.shardSizeMb,
      },
      leakage: leak,
      batchIndex: await writeBatchIndex(buildDir, shards, crc32),
    };
    const manifest: ShardManifest = { ...body, version: versionOf(body) };
    writeFileAtomicSync(path.join(buildDir, MANIFEST_FILE), stableJson(manifest));
    return await publishVerified(buildDir, datasetRoot, manifest, options, ctx, start);
  } catch (err) {
    for (const w of writers) w.abort();
    for (const r of stores) r.dispose();
    fs.rmSync(buildDir, { recursive: true, force: true });
    throw err;
  } finally {
    await hasher?.destroy();
  }
}

/**
 * Pass 1 (collect the rows) and pass 2 (write the shards), with the leakage report between them.
 * The rows' metadata and the leakage keys live only here: released before the published version is
 * checked, so that check does not stack its own on top.
 */
async function collectAndWrite(
  o: ReturnType<typeof resolveOptions>,
  at: StagedSet & Pick<Assignments, 'assignments' | 'ownPatientIds'> & { buildDir: string; hasher: BackgroundHasher | undefined; strict: boolean },
  ctx: RunContext, writers: SplitShardWriter[], stores: SplitRowStore[],
) {
  const rows = await collectRows({
    ...at, seed: o.seed, classNames: o.classNames, maxRejectRate: o.maxRejectRate,
    memoryBytes: o.memoryMb * 2 ** 20, spillDir: path.join(at.buildDir, '.rows'),
  }, ctx);
  stores.push(...rows.splits.values());
  if (rows.skipped.size > 0) {
    ctx.log.warn(`left out samples of datasets without a split: ${[...rows.skipped].map(([d, n]) => `${d} ×${n}`).join(', ')}`);
  }
  const leak = rows.leakage.report(at.assignments);
  if (!leak.clean) {
    if (at.strict) throw new LeakageError(formatLeakage(leak).split('\n')[0]!, leak);
    ctx.log.warn(formatLeakage(leak));
  }
  const hasher = at.hasher;
  const written = await writeSplits({
    dir: at.buildDir, splits: rows.splits, files: rows.files, batchesPerShard: batchesPerShard(o.shardSizeMb, o.batch, at.size * at.size), partial: o.partial,
    info: { height: at.size, width: at.size, classNames: o.classNames, batchSize: o.batch, seed: o.seed, configHash: at.configHash },
    ...(hasher ? { hasher: (f: string) => hasher.hash(f) } : {}),
  }, ctx, writers);
  fs.rmSync(path.join(at.buildDir, '.rows'), { recursive: true, force: true });
  return { ...written, leak };
}

/**
 * Rename the build into place, check what landed on disk, and only then switch `current`: it only
 * ever names a verified version. The digests were computed from the bytes as they were written, so
 * the check reads structure, counts and leakage but does not re-hash every byte.
 */
async function publishVerified(buildDir: string, datasetRoot: string, manifest: ShardManifest, options: ShardOptions, ctx: RunContext, start: number): Promise<ShardResult> {
  const { name } = options;
  const { version } = manifest;
  const { dir, reused } = publishVersion(buildDir, datasetRoot, version);
  const verifyStart = performance.now();
  const check = await verifyDataset({ name, version, trustDigests: !reused, ...(options.strict ? { strictLeakage: true } : {}) }, ctx);
  if (!check.ok) {
    if (!reused) fs.rmSync(dir, { recursive: true, force: true });
    throw new IntegrityError(`dataset ${name} ${version} failed verification before publishing: ${check.problems[0]?.message ?? ''}`, check.problems);
  }
  const verifySeconds = (performance.now() - verifyStart) / 1000;
  const currentMethod = switchCurrent(datasetRoot, version);
  return {
    name, version, dir, manifest, reused, currentMethod,
    bytes: manifest.shards.reduce((a, s) => a + s.bytes, 0),
    seconds: (performance.now() - start) / 1000,
    verifySeconds,
    verification: check,
  };
}

/**
 * The version is a hash of the manifest's content without where its inputs lie: the same shards built
 * in another data directory or checkout get the same version (docs/interop.md: same bytes, same
 * version). The paths stay in manifest.json, outside the hash, so tools can find the inputs. The split
 * file's own digest stays out too: that file records the dataset manifest's absolute path, and what
 * it decides (the assignments) is hashed already.
 */
export function versionOf(body: Omit<ShardManifest, 'version'>): string {
  const { manifest, splitFile: _splitFile, ...inputs } = body.inputs;
  const hashed = {
    ...body,
    inputs: { ...inputs, ...(manifest ? { manifest: { name: manifest.name, sha256: manifest.sha256 } } : {}) },
  };
  return 'v' + sha256Hex(stableJson(hashed)).slice(0, 16);
}
