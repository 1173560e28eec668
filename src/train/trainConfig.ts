import { ConfigError, InputError } from '../core/errors.ts';
import { isArch, ARCHS, trainableParams } from './archs/index.ts';
import { BACKEND_CHOICES, type BackendRequest } from './backend.ts';
import { parseAugment, NO_AUGMENT, type Augment } from './augment.ts';
import { balancedClassWeights, classCountsOf } from './classWeights.ts';
import type { BatchSource } from './data.ts';
import type { StepInfo } from './trainState.ts';
import { inputTransform, type InputTransform } from './modelStore.ts';
import type * as tf from '@tensorflow/tfjs';
import { TRAIN_DEFAULTS } from './defaults.ts';
import { LR_SCHEDULES, type LrSchedule } from './sgd.ts';

/** `train modality` options and the run's recorded configuration (config.json), checked and resolved once. */

export interface TrainOptions {
  /** Data directory holding `datasets/<name>/` (default: ctx.dataDir). */
  dataDir?: string;
  dataset: string;
  version?: string;
  arch: string;
  epochs?: number;
  /** Optimizer batch; default the shards' batch size; smaller values split each shard batch. */
  batch?: number;
  lr?: number;
  momentum?: number;
  weightDecay?: number;
  /** Epochs without validation-loss improvement tolerated before LR ÷10 (PyTorch ReduceLROnPlateau). */
  plateauPatience?: number;
  /** `plateau` (default, the paper) or `cosine`: see sgd.ts. */
  lrSchedule?: LrSchedule;
  seed?: number;
  /** Run directory (default `<dataDir>/runs/<timestamp>-<arch>`). */
  out?: string;
  resume?: boolean;
  backend?: BackendRequest;
  width?: number;
  imageSize?: number;
  /** Training-time augmentation: `none` (default), `default`, or e.g. `crop=0.5,flip,intensity=0.2,noise=0.02`. */
  augment?: string;
  /** `balanced`: weight each image's loss by N / (classes × images of its class) in train; `none` (default). */
  classWeights?: ClassWeighting;
  /** Stop (with a checkpoint) once this many optimizer steps are done in total. */
  maxSteps?: number;
  /** Also checkpoint every this many minutes within an epoch (default 10; 0 = only at epoch ends). */
  checkpointMinutes?: number;
  /** Library use and tests: train on this source instead of opening `dataset` from dataDir. */
  source?: BatchSource;
  /** Called after every optimizer step (tests: tensor counts; CLI hooks). */
  onStep?: (info: StepInfo) => void;
}

export type ClassWeighting = 'none' | 'balanced';
export const CLASS_WEIGHTINGS: readonly ClassWeighting[] = ['none', 'balanced'];

export interface TrainConfig {
  format: 'medimg-train/1';
  dataset: string;
  version: string;
  arch: string;
  epochs: number;
  batch: number;
  shardBatch: number;
  lr: number;
  momentum: number;
  weightDecay: number;
  plateauPatience: number;
  /** Absent in runs made before schedules existed (= plateau). */
  lrSchedule?: LrSchedule;
  seed: number;
  width: number;
  imageSize: number;
  sourceSize: number;
  classNames: string[];
  input: InputTransform;
  params: number;
  backendRequest: BackendRequest;
  /** Absent in runs made before augmentation existed (= none). */
  augment?: Augment;
  classWeights?: ClassWeighting;
  /** Loss weight per class index (balanced weighting), from the train split's class counts. */
  lossWeights?: number[];
  createdAt: string;
}

function positiveInt(name: string, v: number | undefined, min = 1): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new ConfigError(`--${name} must be an integer ≥ ${min}, got ${v}`);
}
function nonNegative(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new ConfigError(`--${name} must be a number ≥ 0, got ${v}`);
}

export function validateTrainOptions(o: TrainOptions): void {
  if (!o.resume && !isArch(o.arch)) throw new ConfigError(`\`arch\` must be one of ${ARCHS.join(', ')}, got "${o.arch}"`, { hint: 'resnet18 is the paper\'s best model' });
  positiveInt('epochs', o.epochs);
  positiveInt('batch', o.batch);
  positiveInt('plateau-patience', o.plateauPatience, 0);
  positiveInt('max-steps', o.maxSteps);
  positiveInt('image-size', o.imageSize, 16);
  nonNegative('lr', o.lr);
  nonNegative('momentum', o.momentum);
  nonNegative('weight-decay', o.weightDecay);
  if (o.lr === 0) throw new ConfigError('`lr` must be > 0');
  if (o.width !== undefined && !(o.width > 0 && o.width <= 4)) throw new ConfigError(`\`width\` must be in (0, 4], got ${o.width}`, { hint: 'e.g. 0.25 for a quick run' });
  if (o.seed !== undefined && !Number.isInteger(o.seed)) throw new ConfigError(`\`seed\` must be an integer, got ${o.seed}`);
  if (o.augment !== undefined) parseAugment(o.augment);
  if (o.classWeights !== undefined && !CLASS_WEIGHTINGS.includes(o.classWeights)) {
    throw new ConfigError(`\`classWeights\` must be one of ${CLASS_WEIGHTINGS.join(', ')}, got "${o.classWeights}"`);
  }
  if (o.lrSchedule !== undefined && !LR_SCHEDULES.includes(o.lrSchedule)) {
    throw new ConfigError(`\`lrSchedule\` must be one of ${LR_SCHEDULES.join(', ')}, got "${o.lrSchedule}"`);
  }
  if (o.backend !== undefined && !(BACKEND_CHOICES as readonly string[]).includes(o.backend)) {
    throw new ConfigError(`\`backend\` must be one of ${BACKEND_CHOICES.join(', ')}, got "${o.backend}"`);
  }
}

export function timestampId(arch: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${arch}`;
}


/** What the run trains at: from the saved config on resume, else the options, else the shards. */
export interface RunShape {
  shardBatch: number;
  batch: number;
  imageSize: number;
  arch: string;
  width: number;
  seed: number;
  trainRows: number;
}

export function runShape(source: BatchSource, options: TrainOptions, saved: TrainConfig | undefined): RunShape {
  if (source.height !== source.width) throw new InputError('SHARD_SHAPE', `shards hold ${source.height}×${source.width} images; square images expected`);
  const shardBatch = source.batchSize;
  const batch = saved?.batch ?? options.batch ?? shardBatch;
  if (batch > shardBatch) {
    throw new ConfigError(`\`batch\` ${batch} is larger than the shards' batch size ${shardBatch}`, {
      hint: 'shards are pre-batched: rebuild them with a larger batch, or use a `batch` that divides it',
    });
  }
  const trainRows = source.splitRows('train');
  if (trainRows === 0) throw new InputError('NO_TRAINING_DATA', `dataset ${source.name ?? options.dataset} has no train rows`, { hint: 'check the split assignment (etl split)' });
  return {
    shardBatch,
    batch,
    imageSize: saved?.imageSize ?? options.imageSize ?? source.height,
    arch: saved?.arch ?? options.arch,
    width: saved?.width ?? options.width ?? TRAIN_DEFAULTS.width,
    seed: saved?.seed ?? options.seed ?? TRAIN_DEFAULTS.seed,
    trainRows,
  };
}

/** The run's configuration: the saved one (with a new epoch count) on resume, else resolved from the options with their defaults. */
export async function trainConfigOf(source: BatchSource, options: TrainOptions, saved: TrainConfig | undefined, shape: RunShape, model: tf.LayersModel): Promise<TrainConfig> {
  if (saved) return { ...saved, epochs: options.epochs ?? saved.epochs };
  const augment = parseAugment(options.augment ?? TRAIN_DEFAULTS.augment);
  const classWeights = options.classWeights ?? TRAIN_DEFAULTS.classWeights;
  const lossWeights = classWeights === 'balanced' ? balancedClassWeights(await classCountsOf(source, 'train'), source.classNames) : undefined;
  return {
    format: 'medimg-train/1',
    dataset: source.name ?? options.dataset,
    version: source.version ?? options.version ?? 'current',
    arch: shape.arch,
    epochs: options.epochs ?? TRAIN_DEFAULTS.epochs,
    batch: shape.batch,
    shardBatch: shape.shardBatch,
    lr: options.lr ?? TRAIN_DEFAULTS.lr,
    momentum: options.momentum ?? TRAIN_DEFAULTS.momentum,
    weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
    plateauPatience: options.plateauPatience ?? TRAIN_DEFAULTS.plateauPatience,
    lrSchedule: options.lrSchedule ?? TRAIN_DEFAULTS.lrSchedule,
    seed: shape.seed,
    width: shape.width,
    imageSize: shape.imageSize,
    sourceSize: source.height,
    classNames: source.classNames,
    input: inputTransform(source.height, shape.imageSize),
    params: trainableParams(model),
    backendRequest: options.backend ?? TRAIN_DEFAULTS.backend,
    augment,
    classWeights,
    ...(lossWeights ? { lossWeights } : {}),
    createdAt: new Date().toISOString(),
  };
}

/** Augmentation of a run (runs made before augmentation existed: none). */
export const augmentOf = (config: TrainConfig): Augment => config.augment ?? NO_AUGMENT;
