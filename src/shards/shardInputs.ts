import fs from 'node:fs';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { sha256Hex } from '../core/hash.ts';
import { formatPartition, inPartition, type Partition } from '../core/partition.ts';
import type { Split } from '../core/types.ts';
import { datasetSource, listStagedSeries, loadManifest, loadSplitFile, type StagedSeriesRef } from '../curate/index.ts';
import type { ShardManifest } from './manifest.ts';

/** What `etl shard` starts from: which split each dataset goes to, and the staged series to read. */

export interface Assignments {
  assignments: Record<string, Split>;
  /** The manifest's `inputs` that name where the assignments came from. */
  inputs: Partial<ShardManifest['inputs']>;
  /**
   * External datasets number their patients in their own namespaces (CheXpert's and MURA's
   * patient00001 are different people); TCIA patient IDs are comparable across collections,
   * which the leakage check is for.
   */
  ownPatientIds: Set<string>;
}

/** From a split file (checked against its manifest) or straight from a dataset manifest. */
export function loadAssignments(o: { splitFile?: string; manifest?: string }): Assignments {
  const inputs: Partial<ShardManifest['inputs']> = {};
  let assignments: Record<string, Split>;
  if (o.splitFile) {
    const sf = loadSplitFile(o.splitFile);
    assignments = sf.assignments;
    inputs.splitFile = { path: o.splitFile, sha256: sha256Hex(fs.readFileSync(o.splitFile)) };
    inputs.manifest = { name: sf.manifest, path: sf.manifestPath, sha256: sf.manifestSha256 };
  } else if (o.manifest) {
    const m = loadManifest(o.manifest);
    assignments = {};
    for (const d of m.datasets) if (d.split) assignments[d.name] = d.split;
    inputs.manifest = { name: m.name, path: o.manifest, sha256: sha256Hex(fs.readFileSync(o.manifest)) };
  } else {
    throw new ConfigError('shardDataset needs `manifest` or `splitFile`', { hint: 'e.g. `splitFile` data/splits/paper-2021.json' });
  }
  const manifestPath = inputs.manifest?.path;
  const ownPatientIds = new Set(
    manifestPath && fs.existsSync(manifestPath) ? loadManifest(manifestPath).datasets.filter((d) => datasetSource(d) === 'external').map((d) => d.name) : [],
  );
  if (Object.keys(assignments).length === 0) {
    throw new ConfigError('no dataset has a split assigned', { hint: 'assign splits in the manifest (etl split --auto proposes them)' });
  }
  return { assignments, inputs, ownPatientIds };
}

export interface StagedSet {
  staged: StagedSeriesRef[];
  size: number;
  configHash: string;
  /** Rows the sidecars announce (an upper bound of what gets sharded). */
  samples: number;
  /** Digest of every series' identity, input and config: the manifest's `inputs.staging.sha256`. */
  sha256: string;
}

/** The staged series of `partition`, all of one image size and preprocessing config. */
export function stagedSet(ctx: RunContext, partition: Partition): StagedSet {
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
  const digest = staged.map((s) => `${s.collection}/${s.seriesUid} ${s.record.inputSha256} ${s.record.configHash} ${s.record.samples}\n`).join('');
  return {
    staged,
    size: staged[0]!.record.size,
    configHash: staged[0]!.record.configHash,
    samples: staged.reduce((a, s) => a + s.record.samples, 0),
    sha256: sha256Hex(digest),
  };
}
