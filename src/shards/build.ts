import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { removeStaleTemps, stableJson, writeFileAtomicSync } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { WHOLE, formatPartition, inPartition, type Partition } from '../core/partition.ts';
import { DEFAULT_CLASSES, SPLITS, type Split } from '../core/types.ts';
import { LeakageCollector, datasetSource, formatLeakage, loadManifest, LeakageError, listStagedSeries, loadSplitFile } from '../curate/index.ts';
import { readStaging } from '../preprocess/index.ts';
import { writeBatchIndex } from './batchIndex.ts';
import { MANIFEST_FILE, MANIFEST_FORMAT, type ShardManifest, type SplitSummary } from './manifest.ts';
import { buildDirFor, publishVersion, switchCurrent } from './publish.ts';
import { IntegrityError, verifyDataset, type VerifyReport } from './verify.ts';
import { COLUMNS, SHARD_FORMAT } from './schema.ts';
import { DEFAULT_SHUFFLE_MEMORY_MB, ExternalShuffle, ShuffleMemory, bucketCount } from './shuffle.ts';
import { SplitShardWriter, batchesPerShard, type ShardFileInfo } from './writer.ts';
import { BackgroundHasher } from './checksum.ts';

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
   * Memory for the shuffle: splits whose rows fit are shuffled in memory (no temporary files);
   * the others spill to buckets of about half this size. Does not change the output.
   */
  memoryMb?: number;
  partition?: Partition;
  classNames?: string[];
  /** Fail on leakage between splits instead of warning. */
  strict?: boolean;
  /** SHA-256 shards on a worker thread (default: when the output is ≥ 256 MiB). Same result either way. */
  hashInBackground?: boolean;
  /** Largest tolerated fraction of unreadable staging files / unknown labels (default 0.01). */
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

export async function shardDataset(options: ShardOptions, ctx: RunContext): Promise<ShardResult> {
  const start = performance.now();
  const batch = options.batch ?? 128;
  const seed = options.seed ?? 0;
  const shardSizeMb = options.shardSizeMb ?? 512;
  const partial = options.partial ?? 'keep';
  const memoryBytes = (options.memoryMb ?? DEFAULT_SHUFFLE_MEMORY_MB) * 2 ** 20;
  const partition = options.partition ?? WHOLE;
  const classNames = options.classNames ?? [...DEFAULT_CLASSES];
  if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`--batch must be a positive integer (got ${batch})`, { hint: 'e.g. --batch 128' });
  if (!(shardSizeMb > 0)) throw new ConfigError(`--shard-size-mb must be positive (got ${shardSizeMb})`, { hint: 'e.g. --shard-size-mb 512' });
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(options.name)) {
    throw new ConfigError(`--name must be letters, digits, . _ - (got "${options.name}")`, { hint: 'e.g. --name paper-2021' });
  }

  // Assignments: from a split file (checked against its manifest) or straight from a manifest.
  const inputs: Partial<ShardManifest['inputs']> = {};
  let assignments: Record<string, Split>;
  if (options.splitFile) {
    const sf = loadSplitFile(options.splitFile);
    assignments = sf.assignments;
    inputs.splitFile = { path: options.splitFile, sha256: sha256Hex(fs.readFileSync(options.splitFile)) };
    inputs.manifest = { name: sf.manifest, path: sf.manifestPath, sha256: sf.manifestSha256 };
  } else if (options.manifest) {
    const m = loadManifest(options.manifest);
    assignments = {};
    for (const d of m.datasets) if (d.split) assignments[d.name] = d.split;
    inputs.manifest = { name: m.name, path: options.manifest, sha256: sha256Hex(fs.readFileSync(options.manifest)) };
  } else {
    throw new ConfigError('etl shard needs --manifest or --split-file', { hint: 'e.g. --split-file data/splits/paper-2021.json' });
  }
  // External datasets number their patients in their own namespaces (CheXpert's and MURA's patient00001
  // are different people); TCIA patient IDs are comparable across collections, which the check is for.
  const ownPatientIds = new Set(
    inputs.manifest?.path && fs.existsSync(inputs.manifest.path) ? loadManifest(inputs.manifest.path).datasets.filter((d) => datasetSource(d) === 'external').map((d) => d.name) : [],
  );
  if (Object.keys(assignments).length === 0) {
    throw new ConfigError('no dataset has a split assigned', { hint: 'assign splits in the manifest (etl split --auto proposes them)' });
  }

  const staged = listStagedSeries(ctx).filter((s) => inPartition(s.seriesUid, partition));
  if (staged.length === 0) {
    throw new InputError('SHARD_NO_DATA', `no staged series under ${ctx.paths.stagingRoot} (partition ${formatPartition(partition)})`, {
      hint: 'run `etl preprocess` first, or pass the right --data-dir',
    });
  }
  const sizes = new Set(staged.map((s) => s.record.size));
  const configs = new Set(staged.map((s) => s.record.configHash));
  if (sizes.size !== 1 || configs.size !== 1) {
    throw new InputError('SHARD_MIXED_STAGING', `staged series differ in image size (${[...sizes].join(', ')}) or preprocessing config (${configs.size} hashes)`, {
      hint: 're-run `etl preprocess` with one config so every series is staged the same way',
    });
  }
  const size = staged[0]!.record.size;
  const configHash = staged[0]!.record.configHash;
  const pixels = size * size;
  const stagingDigest = crypto.createHash('sha256');
  for (const s of staged) {
    stagingDigest.update(`${s.collection}/${s.seriesUid} ${s.record.inputSha256} ${s.record.configHash} ${s.record.samples}\n`);
  }
  const rowsUpper = staged.reduce((a, s) => a + s.record.samples, 0);
  const K = bucketCount(rowsUpper, pixels, memoryBytes);

  const datasetRoot = ctx.paths.datasetRoot(options.name);
  fs.mkdirSync(datasetRoot, { recursive: true });
  const stale = await removeStaleTemps(datasetRoot);
  if (stale > 0) ctx.log.info(`removed ${stale} build folder(s) or temporary file(s) left by an earlier run that is gone`);
  const buildDir = buildDirFor(datasetRoot);
  fs.mkdirSync(buildDir);
  // One memory budget for all splits: each stays in memory while the rows collected so far fit.
  const memory = new ShuffleMemory(memoryBytes);
  const shuffles = new Map<Split, ExternalShuffle>(
    SPLITS.map((s) => [s, new ExternalShuffle(path.join(buildDir, '.shuffle'), pixels, K, seed, s, memory, Math.min(64 * 2 ** 20, memoryBytes / 8))]),
  );
  const writers: SplitShardWriter[] = [];
  // Big outputs: SHA-256 of finished shards on a worker thread, overlapping the next shard's writing.
  const hasher = options.hashInBackground ?? rowsUpper * pixels >= 256 * 2 ** 20 ? new BackgroundHasher() : undefined;
  try {
    // Pass 1: staging in fixed order → shuffle buckets; leakage keys on the way.
    const leakage = new LeakageCollector();
    const classIndex = new Map(classNames.map((c, i) => [c, i]));
    const skipped = new Map<string, number>();
    let seen = 0;
    const maxRate = options.maxRejectRate ?? 0.01;
    const p1 = ctx.progress('shard pass 1 (bucket)', staged.length, 'series');
    for (const s of staged) {
      if (ctx.signal.aborted) throw new InputError('ABORTED', 'interrupted during sharding; nothing was published');
      let file;
      try {
        file = readStaging(s.arrow);
        if (file.size !== size) throw new InputError('STAGING_SIZE', `${s.arrow}: images are ${file.size}², expected ${size}²`);
      } catch (error) {
        ctx.rejects.record({ stage: 'shard', key: `${s.collection}/${s.seriesUid}`, error, file: s.arrow, seriesUid: s.seriesUid });
        seen++;
        // Only this stage's rejects: earlier stages of a pipeline run (preprocess, import) had their own budgets.
    ctx.rejects.checkBudget(seen, maxRate, 'staged series', 20, (reason) => reason.startsWith('shard:'));
        p1.tick();
        continue;
      }
      seen++;
      for (const x of file.samples) {
        const split = assignments[x.dataset];
        if (split === undefined) {
          skipped.set(x.dataset, (skipped.get(x.dataset) ?? 0) + 1);
          continue;
        }
        const label = classIndex.get(x.label);
        if (label === undefined) {
          ctx.rejects.record({
            stage: 'shard', key: `${x.dataset}/${x.seriesUid}/${x.sopUid}#${x.frame}`, code: 'SHARD_UNKNOWN_CLASS',
            error: new Error(`label ${x.label} is not one of ${classNames.join(', ')}`), dataset: x.dataset, seriesUid: x.seriesUid, sopUid: x.sopUid,
          });
          continue;
        }
        shuffles.get(split)!.add({
          image: x.image, label, dataset: x.dataset, patient: x.patientId, series: x.seriesUid, sop: x.sopUid, frame: x.frame, pixelHash: x.pixelHash,
        });
        leakage.add(x.dataset, ownPatientIds.has(x.dataset) ? `${x.dataset}/${x.patientId}` : x.patientId, x.pixelHash, `${x.dataset}/${x.seriesUid}/${x.sopUid}#${x.frame}`);
      }
      p1.tick();
    }
    p1.stop();
    // Only this stage's rejects: earlier stages of a pipeline run (preprocess, import) had their own budgets.
    ctx.rejects.checkBudget(seen, maxRate, 'staged series', 20, (reason) => reason.startsWith('shard:'));
    if (skipped.size > 0) {
      ctx.log.warn(`left out samples of datasets without a split: ${[...skipped].map(([d, n]) => `${d} ×${n}`).join(', ')}`);
    }
    const leak = leakage.report(assignments);
    if (!leak.clean) {
      if (options.strict) throw new LeakageError(formatLeakage(leak).split('\n')[0]!, leak);
      ctx.log.warn(formatLeakage(leak));
    }

    // Pass 2: per split, bucket by bucket → batches → shards.
    const bps = batchesPerShard(shardSizeMb, batch, pixels);
    const shards: ShardFileInfo[] = [];
    const splits = {} as Record<Split, SplitSummary>;
    const totalRows = SPLITS.reduce((a, s) => a + shuffles.get(s)!.rows, 0);
    const p2 = ctx.progress('shard pass 2 (write)', totalRows, 'images');
    for (const sh of shuffles.values()) sh.seal();
    // In-memory splits first (their rows are released as they drain), then the spilled ones through
    // one scratch buffer for every bucket of every split: memory stays flat as data grows.
    let scratch: Buffer | undefined;
    const order = [...SPLITS].sort((a, b) => Number(shuffles.get(b)!.inMemory) - Number(shuffles.get(a)!.inMemory));
    const filesOf = new Map<Split, ShardFileInfo[]>();
    for (const split of order) {
      const sh = shuffles.get(split)!;
      if (!sh.inMemory && !scratch) {
        const scratchBytes = Math.max(0, ...[...shuffles.values()].map((x) => x.maxBucketBytes));
        if (scratchBytes > 0) scratch = Buffer.allocUnsafe(scratchBytes);
      }
      const w = new SplitShardWriter({
        dir: buildDir, split, totalRows: sh.rows, batchesPerShard: bps, partial,
        ...(hasher ? { hasher: (f: string) => hasher.hash(f) } : {}),
        info: { height: size, width: size, classNames, batchSize: batch, seed, configHash },
      });
      writers.push(w);
      const classCounts: Record<string, number> = {};
      const datasetCounts: Record<string, number> = {};
      for (const row of sh.drain(scratch)) {
        if (w.add(row)) {
          const c = classNames[row.label]!;
          classCounts[c] = (classCounts[c] ?? 0) + 1;
          datasetCounts[row.dataset] = (datasetCounts[row.dataset] ?? 0) + 1;
        }
        p2.tick(1, pixels);
      }
      const files = await w.finish();
      filesOf.set(split, files);
      const rows = w.rowsToWrite;
      splits[split] = {
        rows, batches: w.batches, shards: files.length,
        lastBatchRows: rows % batch, droppedRows: sh.rows - rows, classCounts, datasetCounts,
      };
    }
    p2.stop();
    for (const split of SPLITS) shards.push(...filesOf.get(split)!);
    for (const sh of shuffles.values()) sh.dispose();
    fs.rmSync(path.join(buildDir, '.shuffle'), { recursive: true, force: true });

    const body: Omit<ShardManifest, 'version'> = {
      format: MANIFEST_FORMAT,
      name: options.name,
      shardFormat: SHARD_FORMAT,
      image: { height: size, width: size, dtype: 'uint8' },
      classNames,
      batchSize: batch,
      seed,
      partial,
      columns: [...COLUMNS],
      splits,
      shards,
      inputs: {
        ...inputs,
        assignments,
        configHash,
        staging: { series: staged.length, samples: rowsUpper, sha256: stagingDigest.digest('hex') },
        partition: formatPartition(partition),
        shardSizeMb,
      },
      leakage: leak,
      batchIndex: await writeBatchIndex(buildDir, shards),
    };
    const version = versionOf(body);
    const manifest: ShardManifest = { ...body, version };
    writeFileAtomicSync(path.join(buildDir, MANIFEST_FILE), stableJson(manifest));
    const { dir, reused } = publishVersion(buildDir, datasetRoot, version);
    // Re-read what landed on disk before anyone can see it: `current` only ever names a verified version.
    const verifyStart = performance.now();
    // The digests were computed from the bytes as they were written: the check reads each shard once
    // (structure, counts, leakage), without a second pass to re-hash it.
    const check = await verifyDataset({ name: options.name, version, trustDigests: !reused, ...(options.strict ? { strictLeakage: true } : {}) }, ctx);
    if (!check.ok) {
      if (!reused) fs.rmSync(dir, { recursive: true, force: true });
      throw new IntegrityError(`dataset ${options.name} ${version} failed verification before publishing: ${check.problems[0]?.message ?? ''}`, check.problems);
    }
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    const currentMethod = switchCurrent(datasetRoot, version);
    return {
      name: options.name, version, dir, manifest, reused, currentMethod,
      bytes: shards.reduce((a, s) => a + s.bytes, 0),
      seconds: (performance.now() - start) / 1000,
      verifySeconds,
      verification: check,
    };
  } catch (err) {
    for (const w of writers) w.abort();
    for (const sh of shuffles.values()) sh.dispose();
    fs.rmSync(buildDir, { recursive: true, force: true });
    throw err;
  } finally {
    await hasher?.destroy();
  }
}

/**
 * The version is a hash of the manifest's content without where its inputs lie: the same shards built
 * in another data directory or checkout get the same version (docs/interop.md: same bytes, same
 * version). The paths stay in manifest.json, outside the hash, so tools can find the inputs.
 */
export function versionOf(body: Omit<ShardManifest, 'version'>): string {
  const { manifest, splitFile, ...inputs } = body.inputs;
  const hashed = {
    ...body,
    inputs: {
      ...inputs,
      ...(manifest ? { manifest: { name: manifest.name, sha256: manifest.sha256 } } : {}),
      ...(splitFile ? { splitFile: { sha256: splitFile.sha256 } } : {}),
    },
  };
  return 'v' + sha256Hex(stableJson(hashed)).slice(0, 16);
}
