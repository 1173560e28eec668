import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { conv2dFilterGrad, conv2dInputGrad, installGradKernels, uninstallGradKernels } from '../../src/train/gradKernels.ts';
import { selectBackend } from '../../src/train/backend.ts';

tf.env().set('PROD', true); // no "install tfjs-node" banner

/** [batch, height, width, inChannels, kernel, outChannels, stride, padding] */
type Shape = [number, number, number, number, number, number, 1 | 2, 'same' | 'valid'];

const SHAPES: Shape[] = [
  [2, 9, 9, 3, 3, 4, 1, 'same'],
  [2, 9, 9, 3, 3, 4, 2, 'same'],
  [1, 8, 8, 2, 3, 5, 2, 'same'],
  [1, 8, 8, 2, 3, 5, 2, 'valid'],
  [3, 11, 8, 2, 3, 3, 2, 'valid'],
  [3, 11, 8, 2, 3, 3, 1, 'valid'],
  [2, 10, 10, 1, 7, 4, 2, 'same'],
  [1, 16, 16, 3, 7, 2, 2, 'same'],
  [1, 13, 13, 2, 7, 3, 1, 'valid'],
  [1, 7, 7, 4, 1, 6, 2, 'same'],
  [2, 6, 6, 4, 1, 6, 1, 'valid'],
  [1, 7, 5, 4, 1, 2, 2, 'valid'],
  [4, 5, 5, 8, 3, 8, 1, 'same'],
  [2, 12, 12, 16, 3, 8, 2, 'same'],
  [1, 4, 4, 3, 3, 2, 2, 'valid'],
  [2, 14, 14, 6, 1, 12, 2, 'same'],
];

interface Grads {
  dx: Float32Array;
  dw: Float32Array;
}

function gradsOf(s: Shape, seed: number): Grads {
  const [n, h, w, ci, k, co, stride, pad] = s;
  return tf.tidy(() => {
    const x = tf.randomNormal([n, h, w, ci], 0, 1, 'float32', seed) as tf.Tensor4D;
    const f = tf.randomNormal([k, k, ci, co], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
    const dyWeights = tf.randomNormal(tf.conv2d(x, f, stride, pad).shape, 0, 1, 'float32', seed + 2);
    // A non-uniform upstream gradient: loss = Σ conv · r. (Seeds must be non-zero: tfjs treats 0 as "unseeded".)
    const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad), dyWeights)));
    const [dx, dw] = g([x, f]);
    return { dx: dx!.dataSync() as Float32Array, dw: dw!.dataSync() as Float32Array };
  });
}

function maxRelErr(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let scale = 1;
  let err = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]!));
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
  }
  return err / scale;
}

describe('Conv2D gradient kernels (per-tap BatchMatMul decomposition)', () => {
  const reference = new Map<number, Grads>();

  it('match the stock cpu kernels on strides 1/2, same/valid, kernels 1/3/7, several channel and batch sizes', async () => {
    await tf.setBackend('cpu');
    uninstallGradKernels('cpu');
    SHAPES.forEach((s, i) => reference.set(i, gradsOf(s, 10 * i + 1)));
    installGradKernels('cpu', ['Conv2DBackpropFilter', 'Conv2DBackpropInput']); // both, although cpu keeps its stock dX in training
    SHAPES.forEach((s, i) => {
      const ours = gradsOf(s, 10 * i + 1);
      const ref = reference.get(i)!;
      expect(maxRelErr(ref.dx, ours.dx), `dx ${s.join(',')}`).toBeLessThan(1e-5);
      expect(maxRelErr(ref.dw, ours.dw), `dW ${s.join(',')}`).toBeLessThan(1e-5);
    });
  });

  it('let the wasm backend (no stock Conv2DBackpropFilter) compute the same gradients', async () => {
    const sel = await selectBackend('wasm');
    expect(sel.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    SHAPES.forEach((s, i) => {
      const ours = gradsOf(s, 10 * i + 1);
      const ref = reference.get(i)!;
      expect(maxRelErr(ref.dx, ours.dx), `dx ${s.join(',')}`).toBeLessThan(1e-5);
      expect(maxRelErr(ref.dw, ours.dw), `dW ${s.join(',')}`).toBeLessThan(1e-5);
    });
  });

  it('are correct when called directly (also the 7×7 input gradient, which the kernel leaves to the stock one)', async () => {
    await tf.setBackend('cpu');
    SHAPES.forEach((s, i) => {
      const [n, h, w, ci, k, co, stride, pad] = s;
      const seed = 10 * i + 1;
      const [dx, dw] = tf.tidy(() => {
        const x = tf.randomNormal([n, h, w, ci], 0, 1, 'float32', seed) as tf.Tensor4D;
        const f = tf.randomNormal([k, k, ci, co], 0, 1, 'float32', seed + 1) as tf.Tensor4D;
        const dy = tf.randomNormal(tf.conv2d(x, f, stride, pad).shape, 0, 1, 'float32', seed + 2) as tf.Tensor4D;
        const info = tf.backend_util.computeConv2DInfo(x.shape, f.shape, stride, 1, pad);
        return [conv2dInputGrad(dy, f, info).dataSync() as Float32Array, conv2dFilterGrad(x, dy, info).dataSync() as Float32Array];
      });
      expect(maxRelErr(reference.get(i)!.dx, dx), `dx ${s.join(',')}`).toBeLessThan(1e-5);
      expect(maxRelErr(reference.get(i)!.dw, dw), `dW ${s.join(',')}`).toBeLessThan(1e-5);
    });
  });

  it('leave no tensors behind', async () => {
    const before = tf.memory().numTensors;
    gradsOf(SHAPES[1]!, 1);
    gradsOf(SHAPES[6]!, 2);
    expect(tf.memory().numTensors).toBe(before);
  });
});
