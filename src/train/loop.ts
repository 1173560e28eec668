import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { dataPaths } from '../core/paths.ts';
import type * as tf from '@tensorflow/tfjs';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import { buildModel } from './archs/index.ts';
import { selectBackend } from './backend.ts';
import { latestCheckpoint } from './checkpoint.ts';
import { isAugmenting } from './augment.ts';
import { openBatchSource, type BatchSource, type DatasetFacts } from './data.ts';
import { endEpoch, trainPass, type EpochRun, type PassEnd } from './epoch.ts';
import { inputTransform, saveModelDir, type ModelMeta } from './modelStore.ts';
import { SgdWithDecay } from './sgd.ts';
import { augmentOf, runShape, timestampId, trainConfigOf, validateTrainOptions, type TrainConfig, type TrainOptions } from './trainConfig.ts';
import { initialState, restoreState, saveState, writeMetrics, type TrainResult, type TrainState } from './trainState.ts';
import { makeTrainStep, trainableVariables } from './trainStep.ts';
import { TRAIN_DEFAULTS } from './defaults.ts';

export { CLASS_WEIGHTINGS, type ClassWeighting, type TrainConfig, type TrainOptions } from './trainConfig.ts';
export type { EpochMetrics, StepInfo, TrainResult, TrainState } from './trainState.ts';

/**
 * `train modality`: the paper's recipe (architecture.md §1) on pre-batched shards. SGD + momentum +
 * PyTorch-style weight decay, LR ÷10 on a validation-loss plateau, per-epoch metrics, atomic
 * checkpoints with exact resume (weights, momentum slots, reader cursor, scheduler, partial epoch
 * sums), clean stop on Ctrl-C.
 */

export async function trainModality(options: TrainOptions, ctx: RunContext): Promise<TrainResult> {
  validateTrainOptions(options);
  const dataDir = path.resolve(options.dataDir ?? ctx.dataDir);

  // ── run directory and configuration (all checks before any backend work) ──
  let runDir: string;
  let saved: TrainConfig | undefined;
  if (options.resume) {
    if (!options.out) throw new ConfigError('`resume` needs `out` RUN_DIR (the run to continue)', { hint: 'e.g. `out` data/runs/20261122-101500-resnet18 `resume`' });
    runDir = path.resolve(options.out);
    const cfgFile = path.join(runDir, 'config.json');
    if (!fs.existsSync(cfgFile)) throw new ConfigError(`\`resume\`: ${runDir} has no config.json`, { hint: 'pass the run directory of an earlier `train modality`' });
    saved = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as TrainConfig;
    if (!latestCheckpoint(path.join(runDir, 'checkpoints'))) {
      throw new InputError('NO_CHECKPOINT', `\`resume\`: ${runDir} has no checkpoint yet`, { hint: 'start the run again without `resume`' });
    }
  } else {
    runDir = options.out ? path.resolve(options.out) : dataPaths(dataDir).run(timestampId(options.arch));
    if (fs.existsSync(path.join(runDir, 'checkpoints', 'latest.json'))) {
      throw new ConfigError(`${runDir} already holds a run`, { hint: 'add `resume` to continue it, or choose another `out`' });
    }
  }

  const opened = options.source ? undefined : await openBatchSource(dataDir, saved?.dataset ?? options.dataset, saved?.version ?? options.version);
  const source: BatchSource = options.source ?? opened!;
  try {
    return await trainOn(source, options, ctx, runDir, saved);
  } finally {
    await opened?.close();
  }
}

async function trainOn(source: BatchSource, options: TrainOptions, ctx: RunContext, runDir: string, saved: TrainConfig | undefined): Promise<TrainResult> {
  const shape = runShape(source, options, saved);
  const selection = await selectBackend(options.backend ?? saved?.backendRequest ?? TRAIN_DEFAULTS.backend);
  ctx.log.info(selection.reason);
  if (selection.backend === 'wasm' && shape.imageSize * shape.imageSize * shape.batch * shape.width > 224 * 224 * 8) {
    // training.md §3: ResNet-18 at 224² with batch ≥ 16 overflows wasm32's 4 GiB heap ("memory access out of bounds").
    ctx.log.warn(`wasm has a 4 GiB heap: ${shape.imageSize}² × batch ${shape.batch} may not fit; if it fails, use --batch 8 (micro-batches of the shard batch)`);
  }
  const transform = inputTransform(source.height, shape.imageSize);
  const model = buildModel(shape.arch, { imageSize: shape.imageSize, numClasses: source.classNames.length, width: shape.width, seed: shape.seed });
  const config = await trainConfigOf(source, options, saved, shape, model);
  await fsp.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path.join(runDir, 'config.json'), config);
  ctx.log.info(`run ${runDir}: ${shape.arch} width ${shape.width} at ${shape.imageSize}² (${config.params.toLocaleString('en-US')} parameters), ${shape.trainRows} train images, batch ${shape.batch}, ${config.epochs} epochs`);

  const variables = trainableVariables(model);
  const sgd = new SgdWithDecay(variables, config.lr, config.momentum, config.weightDecay);
  const ckptDir = path.join(runDir, 'checkpoints');
  let state: TrainState = saved ? await restoreState(ckptDir, model, sgd, ctx) : initialState(config);
  const augment = augmentOf(config);
  const augmentAt = isAugmenting(augment) ? { spec: augment, seed: config.seed } : undefined;
  const lossWeights = config.lossWeights;
  if (augmentAt || lossWeights) {
    ctx.log.info(`augmentation ${augmentAt ? JSON.stringify(augment) : 'none'}; class weights ${lossWeights ? lossWeights.map((x, i) => `${source.classNames[i]} ${x.toFixed(2)}`).join(', ') : 'none'}`);
  }
  let lastCkpt = performance.now();
  const ckptEveryMs = (options.checkpointMinutes ?? TRAIN_DEFAULTS.checkpointMinutes) * 60_000;
  const run: EpochRun = {
    source, config, options, augmentAt, trainRows: shape.trainRows,
    step: makeTrainStep(model, variables, sgd, source.classNames.length, transform, lossWeights),
    between: async () => {
      if (ckptEveryMs > 0 && performance.now() - lastCkpt > ckptEveryMs) {
        await saveState(ckptDir, state, model, sgd);
        lastCkpt = performance.now();
      }
    },
  };
  let end: PassEnd = 'done';
  try {
    while (state.epoch < config.epochs && end === 'done') {
      end = await trainPass(run, state, ctx);
      if (end !== 'done') break;
      const next = await endEpoch(run, state, model, transform, selection.backend, ctx);
      if (!next) {
        // Validation was cut short: keep the finished training pass, redo validation on resume.
        end = 'interrupted';
        break;
      }
      state = next;
      sgd.learningRate = state.lr;
      await writeMetrics(runDir, state.metrics);
      await saveState(ckptDir, state, model, sgd);
      lastCkpt = performance.now();
    }
    if (end !== 'done') {
      await saveState(ckptDir, state, model, sgd);
      ctx.log.info(`${end === 'interrupted' ? 'interrupted' : `stopped at --max-steps ${options.maxSteps}`}: checkpoint saved at step ${state.step}; continue with --out ${runDir} --resume`);
    } else await saveFinalModel(runDir, model, config, source, state.step);
  } finally {
    sgd.dispose();
    model.dispose();
  }
  return { runDir, metrics: state.metrics, backend: selection, interrupted: end === 'interrupted', finished: end === 'done', steps: state.step, config };
}

async function saveFinalModel(runDir: string, model: tf.LayersModel, config: TrainConfig, source: BatchSource, steps: number): Promise<void> {
  const meta: ModelMeta = {
    format: 'medimg-model/1',
    arch: config.arch,
    width: config.width,
    classNames: config.classNames,
    input: config.input,
    preprocess: (source as { facts?: DatasetFacts }).facts?.preprocess ?? null,
    dataset: { name: config.dataset, version: config.version },
    trainedAt: new Date().toISOString(),
    epochs: config.epochs,
    steps,
  };
  await saveModelDir(path.join(runDir, 'model'), model, meta);
}
