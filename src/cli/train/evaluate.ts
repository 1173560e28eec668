import type { CommandModule } from 'yargs';
import { DEFAULT_EVAL_SPLIT, type Split } from '../../core/types.ts';
import { BACKEND_CHOICES, TRAIN_DEFAULTS, type BackendRequest, evaluateRun } from '../../train/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';

interface EvaluateArgs {
  run: string;
  split: Split;
  batch?: number;
  backend: BackendRequest;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(2)} %`);

export const command: CommandModule<GlobalArgs, EvaluateArgs & GlobalArgs> = {
  command: 'evaluate',
  describe: 'accuracy, balanced accuracy, confusion matrix, per-class and per-dataset (paper Table 3) results of a trained run → runs/<id>/eval-<split>.{json,md,png}',
  builder: (y) =>
    y
      .option('run', { type: 'string', demandOption: true, describe: 'run directory (runs/<id>)' })
      .option('split', { choices: ['test', 'validate', 'train'] as const, default: DEFAULT_EVAL_SPLIT, describe: 'split to evaluate' })
      .option('batch', { type: 'number', describe: 'inference batch (default: the run\'s batch)' })
      .option('backend', { choices: BACKEND_CHOICES, default: TRAIN_DEFAULTS.backend as BackendRequest, describe: 'tfjs backend' }) as never,
  handler: runCommand<EvaluateArgs>(async (args, ctx) => {
    const r = await evaluateRun({ runDir: args.run, split: args.split, backend: args.backend, ...(args.batch !== undefined ? { batch: args.batch } : {}) }, ctx);
    const worst = [...r.report.groups].sort((a, b) => a.accuracy - b.accuracy)[0];
    return {
      title: `train evaluate (${args.split})`,
      figures: {
        images: r.report.images,
        accuracy: pct(r.report.accuracy),
        'balanced accuracy': pct(r.report.balancedAccuracy),
        'macro F1': pct(r.report.macroF1),
        ...(r.report.paper?.headline
          ? { [`paper (${r.report.paper.headline.arch})`]: `${r.report.paper.headline.accuracy.toFixed(2)} % (balanced ${r.report.paper.headline.balancedAccuracy.toFixed(2)} %); Table 3 beside ours in ${r.markdownPath}` }
          : {}),
        ...(worst ? { 'weakest dataset': `${worst.dataset} (${worst.modality}, ${worst.location}): ${pct(worst.accuracy)}` } : {}),
        json: r.jsonPath,
        markdown: r.markdownPath,
      },
    };
  }),
};
