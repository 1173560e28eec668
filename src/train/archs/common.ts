import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../core/hash.ts';

/**
 * Layer factories with PyTorch-equivalent defaults (training.md §6):
 * - conv kernels: He normal, fan_out, untruncated (torchvision `kaiming_normal_(mode='fan_out')`);
 * - BatchNorm: Keras momentum 0.9 (= PyTorch 0.1), epsilon 1e-5, γ=1, β=0;
 * - Dense: U(±1/√fan_in) for weight and bias (torch.nn.Linear's default).
 * Every initialiser gets its own seed derived from the model seed and the layer name, so the same
 * seed builds the same weights.
 */

export interface ArchOptions {
  /** Input height = width. */
  imageSize: number;
  channels?: number;
  numClasses: number;
  /** Channel multiplier (1 = the paper's widths). */
  width?: number;
  seed?: number;
}

export function scaled(c: number, width: number): number {
  return Math.max(1, Math.round(c * width));
}

export class LayerFactory {
  constructor(readonly seed: number) {}

  private s(name: string): number {
    // tfjs treats seed 0 as "unseeded" (Math.random): never return it.
    return (deriveSeed(this.seed, name) % 2147483646) + 1;
  }

  conv(name: string, filters: number, kernel: number, strides = 1, useBias = false): tf.layers.Layer {
    const fanOut = kernel * kernel * filters;
    return tf.layers.conv2d({
      name,
      filters,
      kernelSize: kernel,
      strides,
      padding: 'same',
      useBias,
      kernelInitializer: tf.initializers.randomNormal({ mean: 0, stddev: Math.sqrt(2 / fanOut), seed: this.s(name) }),
      biasInitializer: 'zeros',
    });
  }

  bn(name: string): tf.layers.Layer {
    return tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5, axis: -1 });
  }

  relu(name: string): tf.layers.Layer {
    return tf.layers.activation({ name, activation: 'relu' });
  }

  dense(name: string, units: number, fanIn: number): tf.layers.Layer {
    const limit = 1 / Math.sqrt(fanIn);
    return tf.layers.dense({
      name,
      units,
      kernelInitializer: tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: this.s(name) }),
      biasInitializer: tf.initializers.randomUniform({ minval: -limit, maxval: limit, seed: this.s(name + '/bias') }),
    });
  }
}

export function apply(layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]): tf.SymbolicTensor {
  return layer.apply(x) as tf.SymbolicTensor;
}
