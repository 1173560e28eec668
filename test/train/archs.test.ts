import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildModel, trainableParams } from '../../src/train/archs/index.ts';

tf.env().set('PROD', true); // no "install tfjs-node" banner

describe('architectures', () => {
  it('full ResNet-18, 1 channel, 224², 4 classes has 11,172,292 trainable parameters (training.md §3)', async () => {
    await tf.setBackend('cpu');
    const m = buildModel('resnet18', { imageSize: 224, numClasses: 4, width: 1 });
    expect(trainableParams(m)).toBe(11_172_292);
    expect(m.countParams()).toBe(11_181_892); // + BN moving mean/variance
    expect(m.outputs[0]!.shape).toEqual([null, 4]);
    m.dispose();
  });

  it('width multipliers give the measured counts; ResNet-34/50 and VGG16 build with 1 input channel', async () => {
    const counts = [0.5, 0.25].map((w) => {
      const m = buildModel('resnet18', { imageSize: 224, numClasses: 4, width: w });
      const n = trainableParams(m);
      m.dispose();
      return n;
    });
    expect(counts).toEqual([2_796_772, 701_044]);
    for (const arch of ['resnet34', 'resnet50', 'vgg16']) {
      const m = buildModel(arch, { imageSize: 32, numClasses: 4, width: 0.125 });
      expect(m.inputs[0]!.shape).toEqual([null, 32, 32, 1]);
      expect(m.outputs[0]!.shape).toEqual([null, 4]);
      const y = tf.tidy(() => (m.predict(tf.zeros([2, 32, 32, 1])) as tf.Tensor).shape);
      expect(y).toEqual([2, 4]);
      m.dispose();
    }
  });

  it('the same seed builds the same weights; BatchNorm uses PyTorch-equivalent momentum and epsilon', async () => {
    const a = buildModel('resnet18', { imageSize: 32, numClasses: 4, width: 0.125, seed: 3 });
    const b = buildModel('resnet18', { imageSize: 32, numClasses: 4, width: 0.125, seed: 3 });
    const c = buildModel('resnet18', { imageSize: 32, numClasses: 4, width: 0.125, seed: 4 });
    const wa = a.getWeights()[0]!.dataSync() as Float32Array;
    expect(Array.from(b.getWeights()[0]!.dataSync())).toEqual(Array.from(wa));
    expect(Array.from(c.getWeights()[0]!.dataSync())).not.toEqual(Array.from(wa));
    // He normal, fan_out: std = sqrt(2 / (7·7·8)) for the width-0.125 stem.
    const std = Math.sqrt(wa.reduce((s, v) => s + v * v, 0) / wa.length);
    expect(std).toBeGreaterThan(0.5 * Math.sqrt(2 / (49 * 8)));
    expect(std).toBeLessThan(1.5 * Math.sqrt(2 / (49 * 8)));
    const bn = a.getLayer('bn1').getConfig();
    expect(bn.momentum).toBe(0.9);
    expect(bn.epsilon).toBe(1e-5);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects unknown architectures with a ConfigError', () => {
    expect(() => buildModel('resnet101', { imageSize: 32, numClasses: 4 })).toThrow(/`arch` must be one of/);
  });
});
