import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../command.ts';
import { NORMALIZE_HELP } from '../../preprocess/normalize.ts';
import { defaultWorkers } from '../../preprocess/pool.ts';
import { preprocess } from '../../preprocess/preprocess.ts';
import { stageFigures } from '../../preprocess/stageRunner.ts';

interface PreprocessArgs {
  size: number;
  fit: string;
  workers?: number;
  normalize: string;
  maxRejectRate: number;
  partition?: string;
  colour: string;
}

export const command: CommandModule<GlobalArgs, PreprocessArgs & GlobalArgs> = {
  command: 'preprocess',
  describe: 'decode every verified raw series ZIP, normalise and resize each frame, write staging/<Collection>/<SeriesUID>.arrow (skips series already staged with the same config)',
  builder: (y) =>
    y
      .option('size', { type: 'number', default: 224, describe: 'output images are size×size' })
      .option('fit', { choices: ['stretch', 'pad', 'crop'], default: 'stretch', describe: 'aspect policy: stretch (the paper), pad (letterbox black), crop (centre square)' })
      .option('workers', { type: 'number', describe: `worker threads (default: all cores, here ${defaultWorkers()}; 0 = main thread)` })
      .option('normalize', { type: 'string', default: 'minmax', describe: NORMALIZE_HELP })
      .option('max-reject-rate', { type: 'number', default: 0.01, describe: 'fraction of image files that may fail before exit 3 (non-image objects do not count)' })
      .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
      .option('colour', { choices: ['grey', 'skip'], default: 'grey', describe: 'colour DICOM: convert to grey luma, or skip the file' }) as never,
  handler: runCommand<PreprocessArgs>(async (args, ctx) => {
    const r = await preprocess(
      {
        size: args.size,
        fit: args.fit,
        normalize: args.normalize,
        colour: args.colour,
        maxRejectRate: args.maxRejectRate,
        ...(args.workers !== undefined ? { workers: args.workers } : {}),
        ...(args.partition !== undefined ? { partition: args.partition } : {}),
      },
      ctx,
    );
    return { title: 'preprocess', figures: stageFigures(r) };
  }),
};
