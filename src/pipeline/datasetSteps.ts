import fs from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, readShardManifest, readCurrent, switchCurrent, shardDataset, IntegrityError, verifyDataset } from '../shards/index.ts';
import type { Step, StepEnv } from './env.ts';
import { fileDigest, listingDigest } from './fingerprint.ts';
import { InputError } from '../core/errors.ts';

/**
 * shard → verify → publish. `shardDataset` builds the version in a temporary directory, verifies it
 * and only then switches `current` (atomically), so a crash or a bad build leaves `current` on the last
 * good version. The verify step reuses that check, or re-reads a version this run did not build; if it
 * fails, `current` is switched back to the version it pointed at before. Publish prunes old versions.
 */

const whole = (env: StepEnv) => env.partition.count === 1;

function currentVersion(env: StepEnv): { version: string; dir: string; manifest: string } | null {
  const root = env.ctx.paths.datasetRoot(env.def.shard.name);
  let version: string | undefined;
  try {
    version = readCurrent(root);
  } catch {
    return null;
  }
  if (!version) return null;
  const dir = path.join(root, version);
  const manifest = fileDigest(path.join(dir, MANIFEST_FILE));
  return manifest ? { version, dir, manifest } : null;
}

const shard: Step = {
  name: 'shard',
  applies: whole,
  inputs: (env) => ({
    split: env.digests.split,
    staging: listingDigest(env.ctx.paths.stagingRoot, '.json').digest,
    shard: env.def.shard,
    classes: env.manifest.classes ?? null,
    strict: env.def.split.strict ?? false,
  }),
  outputs: (env) => {
    const c = currentVersion(env);
    return c ? { version: c.version, manifest: c.manifest } : null;
  },
  async run(env) {
    const before = currentVersion(env);
    const s = env.def.shard;
    const r = await shardDataset(
      {
        name: s.name,
        batch: s.batch,
        seed: s.seed,
        shardSizeMb: s.shardSizeMb,
        partial: s.partial,
        splitFile: env.ctx.paths.splitFile(env.splitManifest.name),
        ...(env.manifest.classes ? { classNames: env.manifest.classes } : {}),
        ...(env.def.split.strict !== undefined ? { strict: env.def.split.strict } : {}),
      },
      env.ctx,
    );
    env.facts.datasetVersion = r.version;
    env.facts.datasetDir = r.dir;
    env.facts.verification = r.verification;
    if (before && before.version !== r.version) env.facts.previousVersion = before.version;
    const rows = Object.values(r.manifest.splits);
    return {
      counts: {
        version: r.version,
        images: rows.reduce((a, x) => a + x.rows, 0),
        train: r.manifest.splits.train?.rows ?? 0,
        validate: r.manifest.splits.validate?.rows ?? 0,
        test: r.manifest.splits.test?.rows ?? 0,
        shards: r.manifest.shards.length,
        bytes: r.bytes,
        reused: r.reused ? 'yes' : 'no',
      },
    };
  },
};

const verify: Step = {
  name: 'verify',
  applies: whole,
  inputs: (env) => ({ dataset: env.digests.shard }),
  outputs: (env) => {
    const c = currentVersion(env);
    return c ? { version: c.version, manifest: c.manifest } : null;
  },
  async run(env) {
    const c = currentVersion(env);
    if (!c) throw new InputError('NO_CURRENT_VERSION', `dataset ${env.def.shard.name} has no current version to verify`, { hint: 'rerun the pipeline: the shard step publishes one' });
    try {
      // The shard step verified the version it published moments ago; re-hash only a version it did not build.
      const built = env.facts.verification;
      const r = built?.version === c.version ? built : await verifyDataset({ name: env.def.shard.name, version: c.version, ...(env.def.split.strict ? { strictLeakage: true } : {}) }, env.ctx);
      if (!r.ok) throw new IntegrityError(`dataset ${r.name} ${r.version}: ${r.problems.length} problem(s): ${r.problems[0]?.message ?? ''}`, r.problems);
      return { counts: { version: c.version, shards: r.shards, images: r.rows } };
    } catch (err) {
      const prev = env.facts.previousVersion;
      if (prev && fs.existsSync(path.join(env.ctx.paths.datasetVersion(env.def.shard.name, prev), MANIFEST_FILE))) {
        switchCurrent(env.ctx.paths.datasetRoot(env.def.shard.name), prev);
        env.ctx.log.error(`version ${c.version} failed verification: current switched back to ${prev}`);
      }
      throw err;
    }
  },
};

const publish: Step = {
  name: 'publish',
  applies: whole,
  inputs: (env) => ({ dataset: env.digests.verify, keep: env.def.publish.keepVersions ?? null }),
  outputs: (env) => {
    const c = currentVersion(env);
    return c ? { version: c.version } : null;
  },
  async run(env) {
    const c = currentVersion(env);
    if (!c) throw new InputError('NO_CURRENT_VERSION', `dataset ${env.def.shard.name} has no current version`, { hint: 'rerun the pipeline: the shard step publishes one' });
    const pruned = pruneVersions(env, c.version);
    env.facts.datasetVersion = c.version;
    env.facts.datasetDir = c.dir;
    const m = readShardManifest(c.dir);
    env.ctx.log.info(`published ${env.def.shard.name} ${c.version}: ${Object.entries(m.splits).map(([k, v]) => `${k} ${v.rows}`).join(', ')} → ${c.dir}`);
    return { counts: { version: c.version, pruned } };
  },
};

/** Keep `current` plus the newest `keepVersions` others; the oldest go (by manifest time). */
function pruneVersions(env: StepEnv, current: string): number {
  const keep = env.def.publish.keepVersions;
  if (keep === undefined) return 0;
  const root = env.ctx.paths.datasetRoot(env.def.shard.name);
  const versions = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== current && fs.existsSync(path.join(root, e.name, MANIFEST_FILE)))
    .map((e) => ({ name: e.name, t: fs.statSync(path.join(root, e.name, MANIFEST_FILE)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  let pruned = 0;
  for (const v of versions.slice(keep)) {
    fs.rmSync(path.join(root, v.name), { recursive: true, force: true });
    pruned++;
  }
  return pruned;
}

export function datasetSteps(): Step[] {
  return [shard, verify, publish];
}
