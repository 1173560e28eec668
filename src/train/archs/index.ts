import type * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { ArchOptions } from './common.ts';
import { buildResNet } from './resnet.ts';
import { buildVgg16 } from './vgg.ts';

export type { ArchOptions } from './common.ts';

export const ARCHS = ['resnet18', 'resnet34', 'resnet50', 'vgg16'] as const;
export type ArchName = (typeof ARCHS)[number];

export function isArch(name: string): name is ArchName {
  return (ARCHS as readonly string[]).includes(name);
}

export function buildModel(arch: string, opts: ArchOptions): tf.LayersModel {
  if (!Number.isInteger(opts.imageSize) || opts.imageSize < 16) {
    throw new ConfigError(`\`imageSize\` must be an integer ≥ 16, got ${opts.imageSize}`, { hint: 'use 224 (the paper) or 32–64 for quick runs' });
  }
  if (!(opts.width ?? 1) || (opts.width ?? 1) <= 0) throw new ConfigError(`\`width\` must be > 0, got ${opts.width}`);
  switch (arch) {
    case 'resnet18':
      return buildResNet(18, opts);
    case 'resnet34':
      return buildResNet(34, opts);
    case 'resnet50':
      return buildResNet(50, opts);
    case 'vgg16':
      return buildVgg16(opts);
    default:
      throw new ConfigError(`\`arch\` must be one of ${ARCHS.join(', ')}, got "${arch}"`, { hint: 'resnet18 is the paper\'s best model' });
  }
}

/** Sum of trainable weight sizes (what torch's `sum(p.numel() for p in parameters())` counts). */
export function trainableParams(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((s, w) => s + (w.shape as number[]).reduce((a, b) => a * b, 1), 0);
}
