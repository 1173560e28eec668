import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../../src/train/archs/index.ts';
import { trainableVariables } from '../../src/train/trainStep.ts';
import { SgdWithDecay } from '../../src/train/sgd.ts';

tf.env().set('PROD', true);

describe('SGD with momentum and weight decay (PyTorch semantics)', () => {
  it('v ← μv + (g + wd·w); w ← w − lr·v, on every variable', async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.tensor1d([1, -2, 0.5]), true, 'w-test');
    const b = tf.variable(tf.tensor1d([0.25]), true, 'b-test');
    const sgd = new SgdWithDecay([w, b], 0.1, 0.9, 0.01);
    const g1 = [0.5, 0.1, -0.3];
    const g2 = [0.2, -0.4, 0.1];
    sgd.apply({ 'w-test': tf.tensor1d(g1), 'b-test': tf.tensor1d([1]) });
    sgd.learningRate = 0.05;
    sgd.apply({ 'w-test': tf.tensor1d(g2), 'b-test': tf.tensor1d([1]) });
    // By hand (torch.optim.SGD(lr, momentum=0.9, weight_decay=0.01), lr changed to 0.05 before step 2):
    const w0 = [1, -2, 0.5];
    const v1 = w0.map((x, i) => g1[i]! + 0.01 * x);
    const w1 = w0.map((x, i) => x - 0.1 * v1[i]!);
    const v2 = w1.map((x, i) => 0.9 * v1[i]! + g2[i]! + 0.01 * x);
    const w2 = w1.map((x, i) => x - 0.05 * v2[i]!);
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(w2[i]!, 6));
    const bv1 = 1 + 0.01 * 0.25;
    const bw1 = 0.25 - 0.1 * bv1;
    const bw2 = bw1 - 0.05 * (0.9 * bv1 + 1 + 0.01 * bw1);
    expect(b.dataSync()[0]).toBeCloseTo(bw2, 6);
    sgd.dispose();
    w.dispose();
    b.dispose();
  });

  it('decays BatchNorm γ/β and biases too: they are all trainable variables', () => {
    const m = buildModel('resnet18', { imageSize: 32, numClasses: 4, width: 0.125 });
    const names = trainableVariables(m).map((v) => v.name);
    expect(names.some((n) => /gamma/.test(n))).toBe(true);
    expect(names.some((n) => /beta/.test(n))).toBe(true);
    expect(names.some((n) => /fc.*bias/.test(n))).toBe(true);
    expect(names.some((n) => /moving/.test(n))).toBe(false);
    m.dispose();
  });
});
