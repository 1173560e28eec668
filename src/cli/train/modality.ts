import type { CommandModule } from 'yargs';
import { ARCHS, BACKEND_CHOICES, type BackendRequest, CLASS_WEIGHTINGS, LR_SCHEDULES, TRAIN_DEFAULTS, trainModality, type TrainOptions } from '../../train/index.ts';

import { runCommand, type GlobalArgs } from '../command.ts';

const T = TRAIN_DEFAULTS;

/** The library's options as flags; `--data-dir` comes from the global options, library hooks stay out. */
type ModalityArgs = Omit<TrainOptions, 'dataDir' | 'source' | 'onStep' | 'resume' | 'backend'> & { resume: boolean; backend: BackendRequest };

export const command: CommandModule<GlobalArgs, ModalityArgs & GlobalArgs> = {
  command: 'modality',
  describe: 'train a CT/MR/PT/XR classifier on a published shard set (the paper\'s recipe: SGD 0.1, momentum 0.9, weight decay 0.005, LR ÷10 on plateau)',
  builder: (y) =>
    y
      .version(false)
      .option('dataset', { type: 'string', demandOption: true, describe: 'shard set name (datasets/<name>/current)' })
      .option('version', { type: 'string', describe: 'dataset version (default: current)' })
      .option('arch', { choices: ARCHS, default: T.arch, describe: 'architecture' })
      .option('epochs', { type: 'number', describe: `epochs (default ${T.epochs})` })
      .option('batch', { type: 'number', describe: 'optimizer batch (default: the shards\' batch; smaller values split each shard batch)' })
      .option('lr', { type: 'number', describe: `initial learning rate (default ${T.lr})` })
      .option('momentum', { type: 'number', describe: `SGD momentum (default ${T.momentum})` })
      .option('weight-decay', { type: 'number', describe: `L2 weight decay on every parameter, as PyTorch SGD (default ${T.weightDecay})` })
      .option('plateau-patience', { type: 'number', describe: `epochs without validation-loss improvement before LR ÷10 (default ${T.plateauPatience}: the next bad epoch reduces)` })
      .option('lr-schedule', { choices: LR_SCHEDULES, describe: `plateau: LR ÷10 on a validation plateau; cosine: decay to ~0 by the last epoch (default ${T.lrSchedule})` })
      .option('seed', { type: 'number', describe: `seed for weights and batch order (default ${T.seed})` })
      .option('out', { type: 'string', describe: 'run directory (default <data-dir>/runs/<timestamp>-<arch>)' })
      .option('resume', { type: 'boolean', default: false, describe: 'continue the run in --out from its last checkpoint' })
      .option('backend', { choices: BACKEND_CHOICES, default: T.backend as BackendRequest, describe: 'tfjs backend (auto: tfjs-node-gpu, tfjs-node, webgpu, wasm, cpu)' })
      .option('width', { type: 'number', describe: `channel multiplier (default ${T.width}; e.g. 0.25 for demos)` })
      .option('image-size', { type: 'number', describe: 'model input size; shard images are resized on the device (default: shard size)' })
      .option('augment', { type: 'string', describe: 'training augmentation: none (default), default (crop=0.4,flip,intensity=0.25,noise=0.02) or a list of crop[=minArea], flip, intensity[=a], noise[=sd]' })
      .option('class-weights', { choices: CLASS_WEIGHTINGS, describe: `balanced: weight the loss by N / (classes × images of the class) in train (default ${T.classWeights})` })
      .option('max-steps', { type: 'number', describe: 'stop after this many optimizer steps in total (smoke runs; resumable)' })
      .option('checkpoint-minutes', { type: 'number', describe: `also checkpoint within an epoch this often (default ${T.checkpointMinutes}; 0 = epoch ends only)` }) as never,
  handler: runCommand<ModalityArgs>(async (args, ctx) => {
    // The loop applies every default with `??`, so flags left unset pass through as undefined.
    const { dataset, version, arch, epochs, batch, lr, momentum, weightDecay, plateauPatience, lrSchedule, seed, out, resume, backend, width, imageSize, maxSteps, checkpointMinutes, augment, classWeights } = args;
    const r = await trainModality(
      { dataset, version, arch, epochs, batch, lr, momentum, weightDecay, plateauPatience, lrSchedule, seed, out, resume, backend, width, imageSize, maxSteps, checkpointMinutes, augment, classWeights },
      ctx,
    );
    const last = r.metrics.at(-1);
    const figures: Record<string, string | number> = {
      run: r.runDir,
      backend: r.backend.reason,
      model: `${r.config.arch} width ${r.config.width} at ${r.config.imageSize}² (${r.config.params.toLocaleString('en-US')} parameters)`,
      epochs: `${r.metrics.length}/${r.config.epochs}`,
      steps: r.steps,
      state: r.finished ? 'finished (model/ written)' : r.interrupted ? 'interrupted (checkpoint saved; --resume continues)' : 'stopped at --max-steps (checkpoint saved)',
    };
    if (last) {
      figures['train loss / acc'] = `${last.trainLoss.toFixed(4)} / ${(100 * last.trainAccuracy).toFixed(1)} %`;
      if (last.valAccuracy !== null) figures['val loss / acc'] = `${last.valLoss!.toFixed(4)} / ${(100 * last.valAccuracy).toFixed(1)} %`;
      figures['img/s (last epoch)'] = last.imagesPerSecond;
    }
    return { title: 'train modality', figures };
  }),
};
