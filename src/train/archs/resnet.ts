import * as tf from '@tensorflow/tfjs';
import { apply, LayerFactory, scaled, type ArchOptions } from './common.ts';

/**
 * ResNet v1.5 (torchvision layout: stride on the 3×3 conv of bottlenecks) with a 1-channel input and
 * 'same' padding (TF pads stride-2 convs bottom/right; output shapes equal PyTorch's at 224²).
 * Layer names follow torchvision (`layer2_0_conv1`, `layer2_0_downsample_conv`) so weights can be
 * matched by name. Output: logits (no softmax).
 */

export type ResNetDepth = 18 | 34 | 50;

const LAYOUT: Record<ResNetDepth, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
};

export function buildResNet(depth: ResNetDepth, opts: ArchOptions): tf.LayersModel {
  const width = opts.width ?? 1;
  const f = new LayerFactory(opts.seed ?? 0);
  const { blocks, bottleneck } = LAYOUT[depth];
  const input = tf.input({ shape: [opts.imageSize, opts.imageSize, opts.channels ?? 1], name: 'image' });
  let x = apply(f.conv('conv1', scaled(64, width), 7, 2), input);
  x = apply(f.bn('bn1'), x);
  x = apply(f.relu('relu'), x);
  x = apply(tf.layers.maxPooling2d({ name: 'maxpool', poolSize: 3, strides: 2, padding: 'same' }), x);
  let inChannels = scaled(64, width);
  blocks.forEach((count, stage) => {
    const planes = scaled(64 * 2 ** stage, width);
    const outChannels = bottleneck ? planes * 4 : planes;
    for (let b = 0; b < count; b++) {
      const name = `layer${stage + 1}_${b}`;
      const stride = b === 0 && stage > 0 ? 2 : 1;
      let shortcut = x;
      if (stride !== 1 || inChannels !== outChannels) {
        shortcut = apply(f.conv(`${name}_downsample_conv`, outChannels, 1, stride), x);
        shortcut = apply(f.bn(`${name}_downsample_bn`), shortcut);
      }
      let y: tf.SymbolicTensor;
      if (bottleneck) {
        y = apply(f.relu(`${name}_relu1`), apply(f.bn(`${name}_bn1`), apply(f.conv(`${name}_conv1`, planes, 1), x)));
        y = apply(f.relu(`${name}_relu2`), apply(f.bn(`${name}_bn2`), apply(f.conv(`${name}_conv2`, planes, 3, stride), y)));
        y = apply(f.bn(`${name}_bn3`), apply(f.conv(`${name}_conv3`, outChannels, 1), y));
      } else {
        y = apply(f.relu(`${name}_relu1`), apply(f.bn(`${name}_bn1`), apply(f.conv(`${name}_conv1`, planes, 3, stride), x)));
        y = apply(f.bn(`${name}_bn2`), apply(f.conv(`${name}_conv2`, planes, 3), y));
      }
      x = apply(f.relu(`${name}_out`), apply(tf.layers.add({ name: `${name}_add` }), [y, shortcut]));
      inChannels = outChannels;
    }
  });
  x = apply(tf.layers.globalAveragePooling2d({ name: 'avgpool' }), x);
  const logits = apply(f.dense('fc', opts.numClasses, inChannels), x);
  return tf.model({ inputs: input, outputs: logits, name: `resnet${depth}` });
}
