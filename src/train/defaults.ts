/**
 * Defaults of training, evaluation and classification (the paper's recipe: SGD 0.1, momentum 0.9,
 * weight decay 0.005, LR ÷10 after 2 epochs without improvement): the one place they live; the CLI
 * help and the pipeline schema read them.
 */
export const TRAIN_DEFAULTS = {
  arch: 'resnet18',
  epochs: 10,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 0.005,
  plateauPatience: 2,
  lrSchedule: 'plateau',
  seed: 0,
  /** Channel width multiplier (1 = the paper's ResNet-18). */
  width: 1,
  backend: 'auto',
  /** Also checkpoint within an epoch this often (0 = epoch ends only). */
  checkpointMinutes: 10,
  augment: 'none',
  classWeights: 'none',
} as const;

/** Images per inference batch of `classifyFiles`. */
export const DEFAULT_CLASSIFY_BATCH = 64;