import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { dataPaths } from '../core/paths.ts';
import * as tf from '@tensorflow/tfjs';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fsAtomic.ts';
import type { Split } from '../core/types.ts';
import { buildModel, isArch, ARCHS, trainableParams } from './archs/index.ts';
import { selectBackend, BACKEND_CHOICES, type BackendRequest, type BackendSelection } from './backend.ts';
import { latestCheckpoint, loadCheckpoint, saveCheckpoint, unpackTensor } from './checkpoint.ts';
import { augmentBatch, isAugmenting, parseAugment, NO_AUGMENT, type Augment } from './augment.ts';
import { balancedClassWeights, classCountsOf } from './classWeights.ts';
import { openBatchSource, type Batch, type BatchSource, type DatasetFacts } from './data.ts';
import { imagesToInput, inputTransform, saveModelDir, type InputTransform, type ModelMeta } from './modelStore.ts';
import { plateauStep, SgdWithDecay, type PlateauState } from './sgd.ts';
import { TRAIN_DEFAULTS } from './defaults.ts';

/**
 * `train modality`: the paper's recipe (architecture.md §1) on pre-batched shards. SGD + momentum +
 * PyTorch-style weight decay, LR ÷10 on a validation-loss plateau, per-epoch metrics, atomic
 * checkpoints with exact resume (weights, momentum slots, reader cursor, scheduler, partial epoch
 * sums), clean stop on Ctrl-C.
 */

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

interface EpochSums {
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

const zeroSums = (): EpochSums => ({ loss: 0, correct: 0, images: 0, seconds: 0, steps: 0 });

function positiveInt(name: string, v: number | undefined, min = 1): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new ConfigError(`--${name} must be an integer ≥ ${min}, got ${v}`);
}
function nonNegative(name: string, v: number | undefined): void {
  if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new ConfigError(`--${name} must be a number ≥ 0, got ${v}`);
}

function validate(o: TrainOptions): void {
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
  if (o.backend !== undefined && !(BACKEND_CHOICES as readonly string[]).includes(o.backend)) {
    throw new ConfigError(`\`backend\` must be one of ${BACKEND_CHOICES.join(', ')}, got "${o.backend}"`);
  }
}

function timestampId(arch: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}-${arch}`;
}

/** A shard batch's rows as [start, end) micro-batches of at most `batch` rows. */
export function chunksOf(size: number, batch: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < size; s += batch) out.push([s, Math.min(size, s + batch)]);
  return out;
}

/** Copy of the parts of a batch the step needs (the reader reuses its buffers on the next request). */
interface HostBatch {
  images: Uint8Array;
  labels: Int32Array;
  datasets: string[];
  size: number;
  cursor: number;
}

/** Augmentation applied to training batches as they are copied: the spec, the run seed and the epoch. */
export interface AugmentAt {
  spec: Augment;
  seed: number;
}

function copyBatch(b: Batch, rows: [number, number], pixels: number, augment?: AugmentAt & { epoch: number }): HostBatch {
  const [s, e] = rows;
  const images = b.images.slice(s * pixels, e * pixels);
  if (augment) augmentBatch(images, e - s, b.width, augment.spec, { seed: augment.seed, epoch: augment.epoch, shard: b.shard, batchIndex: b.batchIndex, firstRow: s });
  return {
    images,
    labels: b.labels.slice(s, e),
    datasets: b.datasets.slice(s, e),
    size: e - s,
    cursor: b.cursor,
  };
}

/**
 * Iterate a split's micro-batches, copied to host memory, with the next shard batch requested
 * before the consumer computes on the current one (the reader's I/O overlaps compute).
 */
export async function* hostBatches(
  source: BatchSource,
  split: Split,
  opts: { seed: number; epoch: number; shuffle: boolean; startCursor: number; skipChunks: number; batch: number; augment?: AugmentAt },
): AsyncGenerator<HostBatch & { chunk: number; chunks: number; last: boolean }> {
  const pixels = source.height * source.width;
  const it = source
    .batches(split, { seed: opts.seed, epoch: opts.epoch, shuffle: opts.shuffle, startCursor: opts.startCursor, prefetch: 2 })
    [Symbol.asyncIterator]();
  let skip = opts.skipChunks;
  let pending: Promise<IteratorResult<Batch>> | undefined = it.next();
  try {
    while (pending) {
      const r = await pending;
      pending = undefined;
      if (r.done) break;
      const parts = chunksOf(r.value.size, opts.batch);
      const aug = opts.augment ? { ...opts.augment, epoch: opts.epoch } : undefined;
      const copies = parts.map((rows) => copyBatch(r.value, rows, pixels, aug));
      pending = it.next();
      for (let c = skip; c < copies.length; c++) yield { ...copies[c]!, chunk: c, chunks: copies.length, last: c === copies.length - 1 };
      skip = 0;
    }
  } finally {
    if (pending) await pending.catch(() => undefined);
    await it.return?.();
  }
}

export interface SplitEval {
  loss: number;
  correct: number;
  images: number;
  seconds: number;
  /** Per-row predictions, labels, datasets and softmax confidences (when `collect`). */
  preds?: Int32Array;
  labels?: Int32Array;
  datasets?: string[];
  confidences?: Float32Array;
}

/** Loss/accuracy (and optionally per-row predictions) of `model` on a split, in inference mode. */
export async function evaluateSplit(
  model: tf.LayersModel,
  source: BatchSource,
  split: Split,
  transform: InputTransform,
  batch: number,
  collect = false,
  signal?: AbortSignal,
): Promise<SplitEval> {
  const t0 = performance.now();
  let loss = 0;
  let correct = 0;
  let images = 0;
  const preds: number[] = [];
  const labels: number[] = [];
  const datasets: string[] = [];
  const confs: number[] = [];
  const numClasses = source.classNames.length;
  for await (const b of hostBatches(source, split, { seed: 0, epoch: 0, shuffle: false, startCursor: 0, skipChunks: 0, batch })) {
    if (signal?.aborted) break;
    const [lossT, predT, confT] = tf.tidy(() => {
      const x = imagesToInput(b.images, b.size, transform);
      const logits = model.predict(x) as tf.Tensor2D;
      const y = tf.oneHot(tf.tensor1d(b.labels, 'int32'), numClasses);
      const l = tf.losses.softmaxCrossEntropy(y, logits, undefined, undefined, tf.Reduction.SUM);
      return [l, tf.argMax(logits, 1), tf.max(tf.softmax(logits), 1)];
    });
    const [lv, pv, cv] = await Promise.all([lossT.data(), predT.data(), confT.data()]);
    tf.dispose([lossT, predT, confT]);
    loss += lv[0]!;
    for (let i = 0; i < b.size; i++) {
      if (pv[i] === b.labels[i]) correct++;
      if (collect) {
        preds.push(pv[i]!);
        labels.push(b.labels[i]!);
        datasets.push(b.datasets[i]!);
        confs.push(cv[i]!);
      }
    }
    images += b.size;
  }
  const out: SplitEval = { loss: images > 0 ? loss / images : NaN, correct, images, seconds: (performance.now() - t0) / 1000 };
  if (collect) {
    out.preds = Int32Array.from(preds);
    out.labels = Int32Array.from(labels);
    out.datasets = datasets;
    out.confidences = Float32Array.from(confs);
  }
  return out;
}

/**
 * One SGD step on uint8 images: upload (int32) → float/resize on the device → forward in training
 * mode (BatchNorm batch statistics + moving-average update) → softmax cross-entropy → gradients of
 * every trainable variable → PyTorch-style decay + momentum update. Returns the mean loss and the
 * predicted class per row. Creates no lasting tensors (the momentum slots appear on the first call).
 */
export function makeTrainStep(
  model: tf.LayersModel,
  variables: tf.Variable[],
  sgd: SgdWithDecay,
  numClasses: number,
  transform: InputTransform,
  lossWeights?: readonly number[],
): (images: Uint8Array, labels: Int32Array, n: number) => Promise<{ loss: number; preds: Int32Array }> {
  return async (images, labels, n) => {
    let predT: tf.Tensor | undefined;
    const { x, y, w } = tf.tidy(() => ({
      x: imagesToInput(images, n, transform),
      y: tf.oneHot(tf.tensor1d(labels, 'int32'), numClasses),
      // Weighted mean: Σ wᵢ·lossᵢ / n (the weights average ≈ 1 over an epoch).
      w: lossWeights ? tf.tensor1d(Float32Array.from(labels, (l) => lossWeights[l] ?? 1)) : undefined,
    }));
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor2D;
      predT = tf.keep(tf.argMax(logits, 1));
      if (!w) return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      return tf.div(tf.losses.softmaxCrossEntropy(y, logits, w, undefined, tf.Reduction.SUM), n) as tf.Scalar;
    }, variables);
    sgd.apply(grads);
    tf.dispose(grads);
    tf.dispose(w ? [x, y, w] : [x, y]);
    const [lv, pv] = await Promise.all([value.data(), predT!.data()]);
    tf.dispose([value, predT!]);
    return { loss: lv[0]!, preds: pv as Int32Array };
  };
}

/** The model's trainable variables (what SGD updates), in a fixed order. */
export function trainableVariables(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { read(): tf.Variable }).read());
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

export async function trainModality(options: TrainOptions, ctx: RunContext): Promise<TrainResult> {
  validate(options);
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
  if (source.height !== source.width) throw new InputError('SHARD_SHAPE', `shards hold ${source.height}×${source.width} images; square images expected`);
  const shardBatch = source.batchSize;
  const batch = saved?.batch ?? options.batch ?? shardBatch;
  if (batch > shardBatch) {
    throw new ConfigError(`\`batch\` ${batch} is larger than the shards' batch size ${shardBatch}`, {
      hint: 'shards are pre-batched: rebuild them with a larger batch, or use a `batch` that divides it',
    });
  }
  const imageSize = saved?.imageSize ?? options.imageSize ?? source.height;
  const arch = saved?.arch ?? options.arch;
  const width = saved?.width ?? options.width ?? TRAIN_DEFAULTS.width;
  const seed = saved?.seed ?? options.seed ?? TRAIN_DEFAULTS.seed;
  const trainRows = source.splitRows('train');
  if (trainRows === 0) throw new InputError('NO_TRAINING_DATA', `dataset ${source.name ?? options.dataset} has no train rows`, { hint: 'check the split assignment (etl split)' });

  // ── backend ──
  const selection = await selectBackend(options.backend ?? saved?.backendRequest ?? TRAIN_DEFAULTS.backend);
  ctx.log.info(selection.reason);
  if (selection.backend === 'wasm' && imageSize * imageSize * batch * width > 224 * 224 * 8) {
    // training.md §3: ResNet-18 at 224² with batch ≥ 16 overflows wasm32's 4 GiB heap ("memory access out of bounds").
    ctx.log.warn(`wasm has a 4 GiB heap: ${imageSize}² × batch ${batch} may not fit; if it fails, use --batch 8 (micro-batches of the shard batch)`);
  }

  const transform = inputTransform(source.height, imageSize);
  const augment = saved ? saved.augment ?? NO_AUGMENT : parseAugment(options.augment ?? TRAIN_DEFAULTS.augment);
  const classWeights = saved ? saved.classWeights ?? 'none' : options.classWeights ?? TRAIN_DEFAULTS.classWeights;
  const lossWeights = saved ? saved.lossWeights : classWeights === 'balanced' ? balancedClassWeights(await classCountsOf(source, 'train'), source.classNames) : undefined;
  const model = buildModel(arch, { imageSize, numClasses: source.classNames.length, width, seed });
  const config: TrainConfig = saved
    ? { ...saved, epochs: options.epochs ?? saved.epochs }
    : {
        format: 'medimg-train/1',
        dataset: source.name ?? options.dataset,
        version: source.version ?? options.version ?? 'current',
        arch,
        epochs: options.epochs ?? TRAIN_DEFAULTS.epochs,
        batch,
        shardBatch,
        lr: options.lr ?? TRAIN_DEFAULTS.lr,
        momentum: options.momentum ?? TRAIN_DEFAULTS.momentum,
        weightDecay: options.weightDecay ?? TRAIN_DEFAULTS.weightDecay,
        plateauPatience: options.plateauPatience ?? TRAIN_DEFAULTS.plateauPatience,
        seed,
        width,
        imageSize,
        sourceSize: source.height,
        classNames: source.classNames,
        input: transform,
        params: trainableParams(model),
        backendRequest: options.backend ?? 'auto',
        augment,
        classWeights,
        ...(lossWeights ? { lossWeights } : {}),
        createdAt: new Date().toISOString(),
      };
  await fsp.mkdir(runDir, { recursive: true });
  await writeJsonAtomic(path.join(runDir, 'config.json'), config);
  ctx.log.info(`run ${runDir}: ${arch} width ${width} at ${imageSize}² (${config.params.toLocaleString('en-US')} parameters), ${trainRows} train images, batch ${batch}, ${config.epochs} epochs`);

  const variables = trainableVariables(model);
  const sgd = new SgdWithDecay(variables, config.lr, config.momentum, config.weightDecay);
  const ckptDir = path.join(runDir, 'checkpoints');

  let state: TrainState = {
    epoch: 0,
    cursor: 0,
    chunk: 0,
    step: 0,
    lr: config.lr,
    plateau: { best: null, badEpochs: 0 },
    sums: zeroSums(),
    metrics: [],
    rng: { seed, note: 'weights from seed; batch order from (seed, epoch); augmentation from (seed, epoch, batch, row); no other randomness' },
  };
  if (saved) {
    const ck = await loadCheckpoint<TrainState>(latestCheckpoint(ckptDir)!);
    state = ck.file.state;
    const weights = ck.file.weights.map((s) => unpackTensor(ck.tensors, s));
    model.setWeights(weights);
    tf.dispose(weights);
    const slots = ck.file.optimizer.map((s) => ({ name: s.name, tensor: unpackTensor(ck.tensors, s) }));
    await sgd.setState(slots);
    // setWeights turned the slot tensors into variables (copies): free the loaded ones.
    tf.dispose(slots.map((s) => s.tensor));
    sgd.learningRate = state.lr;
    ctx.log.info(`resuming from ${path.basename(ck.dir)}: epoch ${state.epoch + 1}, batch position ${state.cursor}, step ${state.step}`);
  }

  const checkpoint = async () => {
    const label = `step-${String(state.step).padStart(9, '0')}`;
    const weights = model.weights.map((w, i) => ({ name: `${i}:${w.originalName}`, tensor: (w as unknown as { read(): tf.Tensor }).read() }));
    const opt = await sgd.getState();
    try {
      await saveCheckpoint(ckptDir, label, state, weights, opt);
    } finally {
      // getWeights() makes a fresh scalar for the iteration count; the slots are the optimizer's own.
      tf.dispose(opt[0]?.tensor);
    }
  };
  const writeMetrics = async () => {
    await writeFileAtomic(path.join(runDir, 'metrics.jsonl'), state.metrics.map((m) => JSON.stringify(m)).join('\n') + (state.metrics.length ? '\n' : ''));
  };

  const step = makeTrainStep(model, variables, sgd, source.classNames.length, transform, lossWeights);
  const augmentAt = isAugmenting(augment) ? { spec: augment, seed } : undefined;
  if (augmentAt || lossWeights) {
    ctx.log.info(`augmentation ${augmentAt ? JSON.stringify(augment) : 'none'}; class weights ${lossWeights ? lossWeights.map((x, i) => `${source.classNames[i]} ${x.toFixed(2)}`).join(', ') : 'none'}`);
  }
  let interrupted = false;
  let stoppedAtMax = false;
  let lastCkpt = performance.now();
  const ckptEveryMs = (options.checkpointMinutes ?? TRAIN_DEFAULTS.checkpointMinutes) * 60_000;

  try {
    while (state.epoch < config.epochs) {
      const e = state.epoch;
      const progress = ctx.progress(`epoch ${e + 1}/${config.epochs}`, trainRows, 'img');
      progress.tick(state.sums.images);
      let lastLog = performance.now();
      for await (const b of hostBatches(source, 'train', { seed, epoch: e, shuffle: true, startCursor: state.cursor, skipChunks: state.chunk, batch, ...(augmentAt ? { augment: augmentAt } : {}) })) {
        const t0 = performance.now();
        const { loss, preds: pv } = await step(b.images, b.labels, b.size);
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
          ctx.log.info(
            `epoch ${e + 1} step ${state.step}: loss ${(state.sums.loss / state.sums.images).toFixed(4)} acc ${(state.sums.correct / state.sums.images).toFixed(3)} ${(state.sums.images / state.sums.seconds).toFixed(1)} img/s`,
          );
        }
        if (ctx.signal.aborted) {
          interrupted = true;
          break;
        }
        if (options.maxSteps !== undefined && state.step >= options.maxSteps) {
          stoppedAtMax = true;
          break;
        }
        if (ckptEveryMs > 0 && now - lastCkpt > ckptEveryMs) {
          await checkpoint();
          lastCkpt = performance.now();
        }
      }
      progress.stop();
      if (interrupted || stoppedAtMax) break;

      // ── end of epoch: validate, schedule, record, checkpoint ──
      const val = source.splitRows('validate') > 0 ? await evaluateSplit(model, source, 'validate', transform, batch, false, ctx.signal) : null;
      if (ctx.signal.aborted) {
        // Validation was cut short: keep the finished training pass, redo validation on resume.
        interrupted = true;
        break;
      }
      const sched = val ? plateauStep(state.plateau, val.loss, config.plateauPatience, state.lr) : { state: state.plateau, lr: state.lr, reduced: false };
      const m: EpochMetrics = {
        epoch: e + 1,
        step: state.step,
        lr: state.lr,
        trainLoss: round6(state.sums.loss / state.sums.images),
        trainAccuracy: round6(state.sums.correct / state.sums.images),
        trainImages: state.sums.images,
        trainSeconds: Math.round(state.sums.seconds * 1000) / 1000,
        imagesPerSecond: Math.round((state.sums.images / state.sums.seconds) * 100) / 100,
        valLoss: val ? round6(val.loss) : null,
        valAccuracy: val ? round6(val.correct / val.images) : null,
        valImages: val?.images ?? 0,
        backend: selection.backend,
        lrReduced: sched.reduced,
      };
      ctx.log.info(
        `epoch ${m.epoch}/${config.epochs}: train loss ${m.trainLoss.toFixed(4)} acc ${m.trainAccuracy.toFixed(3)} | val loss ${m.valLoss?.toFixed(4) ?? '-'} acc ${m.valAccuracy?.toFixed(3) ?? '-'} | lr ${m.lr} | ${m.imagesPerSecond} img/s` +
          (sched.reduced ? ` → lr ${sched.lr}` : ''),
      );
      state = { ...state, epoch: e + 1, cursor: 0, chunk: 0, lr: sched.lr, plateau: sched.state, sums: zeroSums(), metrics: [...state.metrics, m] };
      sgd.learningRate = state.lr;
      await writeMetrics();
      await checkpoint();
      lastCkpt = performance.now();
    }
    if (interrupted || stoppedAtMax) {
      await checkpoint();
      ctx.log.info(`${interrupted ? 'interrupted' : `stopped at --max-steps ${options.maxSteps}`}: checkpoint saved at step ${state.step}; continue with --out ${runDir} --resume`);
    } else {
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
        steps: state.step,
      };
      await saveModelDir(path.join(runDir, 'model'), model, meta);
    }
  } finally {
    sgd.dispose();
    model.dispose();
  }
  return {
    runDir,
    metrics: state.metrics,
    backend: selection,
    interrupted,
    finished: !interrupted && !stoppedAtMax,
    steps: state.step,
    config,
  };
}
