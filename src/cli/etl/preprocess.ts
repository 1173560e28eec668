import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../command.ts';
import { preprocessingConfig, preprocessingOptions, type PreprocessingArgs } from '../preprocessOptions.ts';
import { preprocess, jobFigures } from '../../preprocess/index.ts';

export const command: CommandModule<GlobalArgs, PreprocessingArgs & GlobalArgs> = {
  command: 'preprocess',
  describe: 'decode every verified raw series ZIP, normalise and resize each frame, write staging/<Collection>/<SeriesUID>.arrow (skips series already staged with the same config)',
  builder: (y) => preprocessingOptions(y) as never,
  handler: runCommand<PreprocessingArgs>(async (args, ctx) => {
    const r = await preprocess(preprocessingConfig(args), ctx);
    return { title: 'preprocess', figures: jobFigures(r) };
  }),
};
