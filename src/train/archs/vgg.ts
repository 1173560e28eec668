import * as tf from '@tensorflow/tfjs';
import { apply, LayerFactory, scaled, type ArchOptions } from './common.ts';

/**
 * VGG16 (torchvision `vgg16`, configuration D, no BatchNorm) with a 1-channel input. torchvision
 * pools adaptively to 7×7 before the classifier; here the feature map is average-pooled to 7×7 only
 * when it is larger (224² input gives exactly 7×7), so small demo inputs keep their own size.
 * Dropout layers are left out: tfjs dropout draws unseeded masks, which would break exact resume.
 */

const CFG: Array<number | 'M'> = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];

export function buildVgg16(opts: ArchOptions): tf.LayersModel {
  const width = opts.width ?? 1;
  const f = new LayerFactory(opts.seed ?? 0);
  const input = tf.input({ shape: [opts.imageSize, opts.imageSize, opts.channels ?? 1], name: 'image' });
  let x: tf.SymbolicTensor = input;
  let size = opts.imageSize;
  let channels = opts.channels ?? 1;
  let conv = 0;
  let pool = 0;
  for (const c of CFG) {
    if (c === 'M') {
      x = apply(tf.layers.maxPooling2d({ name: `pool${++pool}`, poolSize: 2, strides: 2 }), x);
      size = Math.floor(size / 2);
    } else {
      channels = scaled(c, width);
      x = apply(f.relu(`relu${++conv}`), apply(f.conv(`conv${conv}`, channels, 3, 1, true), x));
    }
  }
  if (size > 7 && size % 7 === 0) {
    x = apply(tf.layers.averagePooling2d({ name: 'avgpool', poolSize: size / 7, strides: size / 7 }), x);
    size = 7;
  }
  x = apply(tf.layers.flatten({ name: 'flatten' }), x);
  const hidden = scaled(4096, width);
  x = apply(f.relu('fc1_relu'), apply(f.dense('fc1', hidden, size * size * channels), x));
  x = apply(f.relu('fc2_relu'), apply(f.dense('fc2', hidden, hidden), x));
  const logits = apply(f.dense('fc3', opts.numClasses, hidden), x);
  return tf.model({ inputs: input, outputs: logits, name: 'vgg16' });
}
