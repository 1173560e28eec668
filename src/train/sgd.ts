import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * SGD with momentum and weight decay exactly as PyTorch's `torch.optim.SGD(lr, momentum, weight_decay)`
 * (dampening 0, no Nesterov): g ← g + wd·w for EVERY parameter (conv/dense kernels, biases, BN γ/β),
 * v ← μ·v + g, w ← w − lr·v. tfjs's MomentumOptimizer implements the last two lines; the decay is
 * added here because tfjs optimizers have none and an L2 regulariser would skip biases and BN
 * (training.md §6).
 */
export class SgdWithDecay {
  readonly optimizer: tf.MomentumOptimizer;
  private lr: number;

  constructor(
    readonly variables: tf.Variable[],
    learningRate: number,
    readonly momentum: number,
    readonly weightDecay: number,
  ) {
    this.lr = learningRate;
    this.optimizer = tf.train.momentum(learningRate, momentum, false);
  }

  get learningRate(): number {
    return this.lr;
  }

  set learningRate(lr: number) {
    this.lr = lr;
    this.optimizer.setLearningRate(lr);
  }

  /** Apply one step from `grads` (keyed by variable name); disposes nothing it did not create. */
  apply(grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      // Always the same key order: MomentumOptimizer keys its slots by position.
      const decayed: Record<string, tf.Tensor> = {};
      for (const v of this.variables) {
        const g = grads[v.name];
        if (!g) continue;
        decayed[v.name] = this.weightDecay !== 0 ? tf.add(g, tf.mul(v, this.weightDecay)) : g;
      }
      this.optimizer.applyGradients(decayed as unknown as tf.NamedTensorMap as never);
    });
  }

  /** Momentum slots + iteration count, for checkpoints. */
  async getState(): Promise<NamedTensor[]> {
    return this.optimizer.getWeights();
  }

  async setState(weights: NamedTensor[]): Promise<void> {
    await this.optimizer.setWeights(weights);
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/**
 * PyTorch's `ReduceLROnPlateau(mode='min', factor=0.1, patience, threshold=1e-4, threshold_mode='rel')`
 * on the validation loss: after `patience` epochs without a relative improvement of 1e-4, the next
 * non-improving epoch divides the learning rate by 10 (so patience 2 reduces at the 3rd bad epoch).
 */
export interface PlateauState {
  best: number | null;
  badEpochs: number;
}

/** How the learning rate moves between epochs: ÷10 on a validation plateau (the paper), or a cosine decay to ~0 by the last epoch. */
export type LrSchedule = 'plateau' | 'cosine';
export const LR_SCHEDULES: readonly LrSchedule[] = ['plateau', 'cosine'];

/**
 * Cosine annealing per epoch (SGDR without restarts): the rate for 0-based `epoch` of `epochs`. It
 * ends near zero whatever validation does, so the last epoch's weights, the ones a run keeps, have
 * settled rather than being one noisy step of a large rate.
 */
export function cosineLr(lr: number, epoch: number, epochs: number): number {
  return Number((lr * 0.5 * (1 + Math.cos((Math.PI * Math.min(epoch, epochs)) / epochs))).toPrecision(6));
}

export function plateauStep(state: PlateauState, valLoss: number, patience: number, lr: number, factor = 0.1): { state: PlateauState; lr: number; reduced: boolean } {
  if (state.best === null || valLoss < state.best * (1 - 1e-4)) {
    return { state: { best: valLoss, badEpochs: 0 }, lr, reduced: false };
  }
  const bad = state.badEpochs + 1;
  if (bad > patience) return { state: { best: state.best, badEpochs: 0 }, lr: lr * factor, reduced: true };
  return { state: { best: state.best, badEpochs: bad }, lr, reduced: false };
}
