import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunContext } from '../core/context.ts';
import { writeFileAtomic } from '../core/fsAtomic.ts';
import type { BackendSelection } from './backend.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, unpackTensor } from './checkpoint.ts';
import type { PlateauState, SgdWithDecay } from './sgd.ts';
import type { TrainConfig } from './trainConfig.ts';

/** What a run records as it goes (metrics, the resumable state) and how that state is saved and restored. */

export interface StepInfo {
  step: number;
  epoch: number;
  loss: number;
  accuracy: number;
  images: number;
  numTensors: number;
}

/** One line of `metrics.jsonl` (flat keys; the report reads these). */
export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  trainImages: number;
  trainSeconds: number;
  imagesPerSecond: number;
  valLoss: number | null;
  valAccuracy: number | null;
  valImages: number;
  backend: string;
  lrReduced: boolean;
}

export interface EpochSums {
  loss: number;
  correct: number;
  images: number;
  seconds: number;
  steps: number;
}

export interface TrainState {
  /** Epoch in progress (0-based); equals config.epochs when done. */
  epoch: number;
  /** Position (in this epoch's order) of the shard batch to read next. */
  cursor: number;
  /** Micro-batch of that shard batch to run next (0 unless --batch < shard batch). */
  chunk: number;
  step: number;
  lr: number;
  plateau: PlateauState;
  sums: EpochSums;
  metrics: EpochMetrics[];
  rng: { seed: number; note: string };
}

export interface TrainResult {
  runDir: string;
  metrics: EpochMetrics[];
  backend: BackendSelection;
  interrupted: boolean;
  /** True when every epoch ran and `model/` was written. */
  finished: boolean;
  steps: number;
  config: TrainConfig;
}

export const zeroSums = (): EpochSums => ({ loss: 0, correct: 0, images: 0, seconds: 0, steps: 0 });

export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** State of a fresh run at its first step. */
export function initialState(config: TrainConfig): TrainState {
  return {
    epoch: 0,
    cursor: 0,
    chunk: 0,
    step: 0,
    lr: config.lr,
    plateau: { best: null, badEpochs: 0 },
    sums: zeroSums(),
    metrics: [],
    rng: { seed: config.seed, note: 'weights from seed; batch order from (seed, epoch); augmentation from (seed, epoch, batch, row); no other randomness' },
  };
}

/** Loads the latest checkpoint of `ckptDir` into the model and optimizer; returns its state. */
export async function restoreState(ckptDir: string, model: tf.LayersModel, sgd: SgdWithDecay, ctx: RunContext): Promise<TrainState> {
  const ck = await loadCheckpoint<TrainState>(latestCheckpoint(ckptDir)!);
  const state = ck.file.state;
  const weights = ck.file.weights.map((s) => unpackTensor(ck.tensors, s));
  model.setWeights(weights);
  tf.dispose(weights);
  const slots = ck.file.optimizer.map((s) => ({ name: s.name, tensor: unpackTensor(ck.tensors, s) }));
  await sgd.setState(slots);
  // setWeights turned the slot tensors into variables (copies): free the loaded ones.
  tf.dispose(slots.map((s) => s.tensor));
  sgd.learningRate = state.lr;
  ctx.log.info(`resuming from ${path.basename(ck.dir)}: epoch ${state.epoch + 1}, batch position ${state.cursor}, step ${state.step}`);
  return state;
}

/** Saves weights, optimizer slots and `state` as checkpoint `step-<n>`. */
export async function saveState(ckptDir: string, state: TrainState, model: tf.LayersModel, sgd: SgdWithDecay): Promise<void> {
  const label = `step-${String(state.step).padStart(9, '0')}`;
  const weights = model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: (w as unknown as { read(): tf.Tensor }).read() }));
  const opt = await sgd.getState();
  try {
    await saveCheckpoint(ckptDir, label, state, weights, opt);
  } finally {
    // getWeights() makes a fresh scalar for the iteration count; the slots are the optimizer's own.
    tf.dispose(opt[0]?.tensor);
  }
}

export async function writeMetrics(runDir: string, metrics: EpochMetrics[]): Promise<void> {
  await writeFileAtomic(path.join(runDir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m)).join('\n') + (metrics.length ? '\n' : ''));
}
