import type { CommandModule } from 'yargs';
import { BACKEND_CHOICES, DEFAULT_CLASSIFY_BATCH, TRAIN_DEFAULTS, type BackendRequest, classifyFiles } from '../../train/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';

interface ClassifyArgs {
  paths: string[];
  model: string;
  out: string;
  batch: number;
  backend: BackendRequest;
}

export const command: CommandModule<GlobalArgs, ClassifyArgs & GlobalArgs> = {
  command: 'classify <paths..>',
  describe: 'predict CT/MR/PT/XR for DICOM files or folders with a trained run; flags frames whose header Modality disagrees (mislabelled series)',
  builder: (y) =>
    y
      .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'DICOM files or folders (recursive)' })
      .option('model', { type: 'string', demandOption: true, describe: 'run directory (runs/<id>) or its model/ folder' })
      .option('out', { type: 'string', default: 'predictions.csv', describe: 'CSV output' })
      .option('batch', { type: 'number', default: DEFAULT_CLASSIFY_BATCH, describe: 'images per inference batch' })
      .option('backend', { choices: BACKEND_CHOICES, default: TRAIN_DEFAULTS.backend as BackendRequest, describe: 'tfjs backend' }) as never,
  handler: runCommand<ClassifyArgs>(async (args, ctx) => {
    const r = await classifyFiles({ paths: args.paths, model: args.model, out: args.out, batch: args.batch, backend: args.backend }, ctx);
    return {
      title: 'etl classify',
      figures: {
        files: r.files,
        'frames classified': r.frames,
        'header/prediction mismatches': r.mismatches,
        'non-image files': r.nonImage,
        'unreadable files/frames': r.errors,
        backend: r.backend,
        csv: r.outPath ?? '-',
      },
    };
  }),
};
