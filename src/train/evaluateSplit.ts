import * as tf from '@tensorflow/tfjs';
import type { Split } from '../core/types.ts';
import type { BatchSource } from './data.ts';
import { hostBatches } from './hostBatches.ts';
import { imagesToInput, type InputTransform } from './modelStore.ts';

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
  for await (const b of hostBatches(source, split, { seed: 0, epoch: 0, shuffle: false, startCursor: 0, skipChunks: 0, batch, datasets: collect })) {
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

