import fs from 'node:fs';
import path from 'node:path';
import { InputError } from '../core/errors.ts';
import type { BackendRequest } from '../train/index.ts';
import type { EvaluationFigures, SplitFigures, Step, StepEnv } from './env.ts';
import { digestOf, fileDigest, listingDigest } from './fingerprint.ts';

/**
 * train → evaluate (only with a `train` section). The run directory is named after the pipeline, the
 * dataset version and the training config, so the same data and config map to the same run: a run
 * killed midway is resumed from its last checkpoint, a finished one is not trained again.
 */

const applies = (env: StepEnv) => env.partition.count === 1 && env.def.train !== undefined;

export function runIdOf(env: StepEnv): string | undefined {
  const version = datasetVersionOf(env);
  if (!version || !env.def.train) return undefined;
  return `${env.def.name}-${version}-${digestOf(env.def.train).slice(0, 8)}`;
}

function datasetVersionOf(env: StepEnv): string | undefined {
  if (env.facts.datasetVersion) return env.facts.datasetVersion;
  const current = env.ctx.paths.datasetCurrent(env.def.shard.name);
  try {
    const st = fs.lstatSync(current);
    return st.isSymbolicLink() ? path.basename(fs.readlinkSync(current)) : fs.readFileSync(current, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function runDirOf(env: StepEnv): string | undefined {
  const id = runIdOf(env);
  return id ? env.ctx.paths.run(id) : undefined;
}

const train: Step = {
  name: 'train',
  applies,
  inputs: (env) => ({ dataset: env.digests.publish, train: env.def.train }),
  outputs: (env) => {
    const dir = runDirOf(env);
    if (!dir) return null;
    const model = listingDigest(dir, '', (d) => d === 'model');
    const metrics = fileDigest(path.join(dir, 'metrics.jsonl'));
    if (model.files === 0 || !metrics) return null;
    env.facts.runDir = dir;
    env.facts.runId = path.basename(dir);
    return { model: model.digest, metrics };
  },
  async run(env) {
    const t = env.def.train!;
    const dir = runDirOf(env);
    const version = datasetVersionOf(env);
    if (!dir || !version) throw new InputError('SHARDS_NOT_FOUND', `dataset ${env.def.shard.name} has no published version to train on`);
    const resume = fs.existsSync(path.join(dir, 'checkpoints', 'latest.json'));
    if (resume) env.ctx.log.info(`resuming training run ${dir} from its last checkpoint`);
    // Loaded on demand: tfjs is heavy, and data-only pipelines never need it.
    const { trainModality } = await import('../train/index.ts');
    const r = await trainModality(
      {
        dataDir: env.ctx.dataDir,
        dataset: env.def.shard.name,
        version,
        arch: t.arch,
        epochs: t.epochs,
        batch: t.batch,
        lr: t.lr,
        momentum: t.momentum,
        weightDecay: t.weightDecay,
        width: t.width,
        imageSize: t.imageSize,
        backend: t.backend as BackendRequest,
        plateauPatience: t.plateauPatience,
        seed: t.seed,
        ...(t.augment !== undefined ? { augment: t.augment } : {}),
        ...(t.classWeights !== undefined ? { classWeights: t.classWeights } : {}),
        ...(t.lrSchedule !== undefined ? { lrSchedule: t.lrSchedule } : {}),
        out: dir,
        resume,
      },
      env.ctx,
    );
    if (!r.finished) throw new InputError('TRAIN_INTERRUPTED', `training stopped before its last epoch (${r.runDir})`, { hint: 'run the pipeline again to resume it' });
    env.facts.runDir = r.runDir;
    env.facts.runId = path.basename(r.runDir);
    const last = r.metrics[r.metrics.length - 1];
    return {
      counts: {
        run: path.basename(r.runDir),
        epochs: r.metrics.length,
        images: r.metrics.reduce((a, m) => a + m.trainImages, 0),
        backend: r.backend.backend,
        ...(last?.valAccuracy != null ? { 'val accuracy': Number(last.valAccuracy.toFixed(4)) } : {}),
      },
    };
  },
};

const evaluate: Step = {
  name: 'evaluate',
  applies,
  inputs: (env) => ({ run: env.digests.train }),
  outputs: (env) => {
    const dir = runDirOf(env);
    return dir ? fileDigest(path.join(dir, 'eval-test.json')) : null;
  },
  async run(env) {
    const dir = runDirOf(env);
    if (!dir) throw new InputError('RUN_NOT_FOUND', 'no training run to evaluate');
    const { evaluateRun } = await import('../train/index.ts');
    // Validation next to test: a model that learned body location rather than modality scores
    // well on one and badly on the other; the summary shows both.
    let paper: EvaluationFigures['paper'];
    const figures = async (split: 'validate' | 'test'): Promise<SplitFigures> => {
      const r = await evaluateRun({ runDir: dir, split }, env.ctx);
      const u = r.report.unseen;
      if (r.report.paper?.headline) paper = r.report.paper.headline;
      return { accuracy: r.accuracy, balancedAccuracy: r.balancedAccuracy, images: r.images, ...(u ? { unseen: { pairs: u.pairs, balancedAccuracy: u.balancedAccuracy } } : {}) };
    };
    const validation = (await hasRows(env, 'validate')) ? await figures('validate') : undefined;
    const test = await figures('test');
    env.facts.evaluation = { ...test, split: 'test', ...(validation ? { validation } : {}), ...(paper ? { paper } : {}) };
    const pct4 = (x: number) => Number(x.toFixed(4));
    return {
      counts: {
        images: test.images,
        accuracy: pct4(test.accuracy),
        'balanced accuracy': pct4(test.balancedAccuracy),
        ...(validation ? { 'validate balanced accuracy': pct4(validation.balancedAccuracy) } : {}),
      },
    };
  },
};

/** Whether the published dataset has rows in `split` (its shard manifest). */
async function hasRows(env: StepEnv, split: 'validate' | 'test'): Promise<boolean> {
  const version = datasetVersionOf(env);
  if (!version) return false;
  const { readShardManifest } = await import('../shards/index.ts');
  const m = readShardManifest(path.join(env.ctx.paths.datasetRoot(env.def.shard.name), version));
  return (m.splits[split]?.rows ?? 0) > 0;
}

export function trainSteps(): Step[] {
  return [train, evaluate];
}
