import * as tf from '@tensorflow/tfjs';
import { imagesToInput, type InputTransform } from './modelStore.ts';
import type { SgdWithDecay } from './sgd.ts';

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

