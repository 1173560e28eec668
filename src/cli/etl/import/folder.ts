import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { importFolder, jobFigures } from '../../../preprocess/index.ts';
import { importOptions, preprocessingOptions, type ImportArgs } from '../../preprocessOptions.ts';

export const command: CommandModule<GlobalArgs, ImportArgs & GlobalArgs> = {
  command: 'folder <dir>',
  describe: 'stage a local folder of DICOM files (any layout, NBIA Data Retriever included) or PNG/JPEG images as staging/<dataset>/<SeriesUID>.arrow',
  builder: (y) =>
    preprocessingOptions(y)
      .positional('dir', { type: 'string', demandOption: true, describe: 'folder to import (searched recursively)' })
      .option('dataset', { type: 'string', demandOption: true, describe: 'dataset name (staging/<dataset>/)' })
      .option('modality', { type: 'string', describe: 'modality of PNG/JPEG files (e.g. DX, CR, XR); label source when --label is absent' })
      .option('location', { type: 'string', describe: 'body location of every image (default: DICOM BodyPartExamined, else UNKNOWN)' })
      .option('label', { type: 'string', describe: 'class label of every image (default: class of the modality)' }) as never,
  handler: runCommand<ImportArgs>(async (args, ctx) => {
    const r = await importFolder(importOptions(args), ctx);
    return {
      title: `import ${args.dataset}`,
      figures: { found: `${r.dicomFiles} DICOM, ${r.pictureFiles} PNG/JPEG, ${r.ignoredFiles} ignored`, ...jobFigures(r) },
    };
  }),
};
