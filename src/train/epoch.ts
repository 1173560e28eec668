import * as tf from '@tensorflow/tfjs';
import type { RunContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import type { BatchSource } from './data.ts';
import { evaluateSplit } from './evaluateSplit.ts';
import { hostBatches, type AugmentAt } from './hostBatches.ts';
import type { InputTransform } from './modelStore.ts';
import { cosineLr, plateauStep } from './sgd.ts';
import type { TrainConfig, TrainOptions } from './trainConfig.ts';
import { round6, zeroSums, type EpochMetrics, type TrainState } from './trainState.ts';
import type { makeTrainStep } from './trainStep.ts';

/** One epoch of `train modality`: the training pass (resumable mid-epoch) and the end-of-epoch validation and schedule. */

export interface EpochRun {
  source: BatchSource;
  config: TrainConfig;
  options: TrainOptions;
  step: ReturnType<typeof makeTrainStep>;
  augmentAt: AugmentAt | undefined;
  trainRows: number;
  /** Called between steps (periodic mid-epoch checkpoints). */
  between: () => Promise<void>;
}

export type PassEnd = 'done' | 'interrupted' | 'maxSteps';

/** The training pass of epoch `state.epoch` from its cursor; mutates `state` step by step. */
export async function trainPass(run: EpochRun, state: TrainState, ctx: RunContext): Promise<PassEnd> {
  const { source, config, options } = run;
  const e = state.epoch;
  const progress = ctx.progress(`epoch ${e + 1}/${config.epochs}`, run.trainRows, 'img');
  progress.tick(state.sums.images);
  let lastLog = performance.now();
  try {
    const opts = { seed: config.seed, epoch: e, shuffle: true, startCursor: state.cursor, skipChunks: state.chunk, batch: config.batch, ...(run.augmentAt ? { augment: run.augmentAt } : {}) };
    for await (const b of hostBatches(source, 'train', opts)) {
      const t0 = performance.now();
      const { loss, preds: pv } = await run.step(b.images, b.labels, b.size);
      let correct = 0;
      for (let i = 0; i < b.size; i++) if (pv[i] === b.labels[i]) correct++;
      if (!Number.isFinite(loss)) {
        throw new InputError('TRAINING_DIVERGED', `loss became ${loss} at step ${state.step + 1} (epoch ${e + 1})`, {
          hint: 'lower `lr` (e.g. 0.01) or check the input data; the last checkpoint is kept',
        });
      }
      state.step++;
      state.sums.loss += loss * b.size;
      state.sums.correct += correct;
      state.sums.images += b.size;
      state.sums.steps++;
      state.sums.seconds += (performance.now() - t0) / 1000;
      if (b.last) {
        state.cursor = b.cursor;
        state.chunk = 0;
      } else {
        state.chunk = b.chunk + 1;
      }
      progress.tick(b.size);
      options.onStep?.({ step: state.step, epoch: e, loss, accuracy: correct / b.size, images: b.size, numTensors: tf.memory().numTensors });
      const now = performance.now();
      if (now - lastLog > 10_000) {
        lastLog = now;
        const s = state.sums;
        ctx.log.info(`epoch ${e + 1} step ${state.step}: loss ${(s.loss / s.images).toFixed(4)} acc ${(s.correct / s.images).toFixed(3)} ${(s.images / s.seconds).toFixed(1)} img/s`);
      }
      if (ctx.signal.aborted) return 'interrupted';
      if (options.maxSteps !== undefined && state.step >= options.maxSteps) return 'maxSteps';
      await run.between();
    }
    return 'done';
  } finally {
    progress.stop();
  }
}

/**
 * End of a finished training pass: validation loss and accuracy, the plateau schedule, the epoch's
 * metrics line. Returns the next state, or null when validation was cut short by a stop (the
 * finished pass is kept; resume redoes validation).
 */
export async function endEpoch(
  run: EpochRun,
  state: TrainState,
  model: tf.LayersModel,
  transform: InputTransform,
  backend: string,
  ctx: RunContext,
): Promise<TrainState | null> {
  const { source, config } = run;
  const val = source.splitRows('validate') > 0 ? await evaluateSplit(model, source, 'validate', transform, config.batch, false, ctx.signal) : null;
  if (ctx.signal.aborted) return null;
  const sched =
    config.lrSchedule === 'cosine'
      ? { state: state.plateau, lr: cosineLr(config.lr, state.epoch + 1, config.epochs), reduced: false }
      : val
        ? plateauStep(state.plateau, val.loss, config.plateauPatience, state.lr)
        : { state: state.plateau, lr: state.lr, reduced: false };
  const s = state.sums;
  const m: EpochMetrics = {
    epoch: state.epoch + 1,
    step: state.step,
    lr: state.lr,
    trainLoss: round6(s.loss / s.images),
    trainAccuracy: round6(s.correct / s.images),
    trainImages: s.images,
    trainSeconds: Math.round(s.seconds * 1000) / 1000,
    imagesPerSecond: Math.round((s.images / s.seconds) * 100) / 100,
    valLoss: val ? round6(val.loss) : null,
    valAccuracy: val ? round6(val.correct / val.images) : null,
    valImages: val?.images ?? 0,
    backend,
    lrReduced: sched.reduced,
  };
  ctx.log.info(
    `epoch ${m.epoch}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(3)} | val loss ${m.valLoss?.toFixed(4) ?? '-'} acc ${m.valAccuracy?.toFixed(3) ?? '-'} | lr ${m.lr} | ${m.imagesPerSecond} img/s` +
      (sched.reduced ? ` → lr ${sched.lr}` : ''),
  );
  return { ...state, epoch: state.epoch + 1, cursor: 0, chunk: 0, lr: sched.lr, plateau: sched.state, sums: zeroSums(), metrics: [...state.metrics, m] };
}
