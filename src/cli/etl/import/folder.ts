import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { importFolder } from '../../../preprocess/importFolder.ts';
import { NORMALIZE_HELP } from '../../../preprocess/normalize.ts';
import { defaultWorkers } from '../../../preprocess/pool.ts';
import { stageFigures } from '../../../preprocess/stageRunner.ts';

interface ImportFolderArgs {
  dir: string;
  dataset: string;
  modality?: string;
  location?: string;
  label?: string;
  size: number;
  fit: string;
  workers?: number;
  normalize: string;
  maxRejectRate: number;
  partition?: string;
  colour: string;
}

export const command: CommandModule<GlobalArgs, ImportFolderArgs & GlobalArgs> = {
  command: 'folder <dir>',
  describe: 'stage a local folder of DICOM files (any layout, NBIA Data Retriever included) or PNG/JPEG images as staging/<dataset>/<SeriesUID>.arrow',
  builder: (y) =>
    y
      .positional('dir', { type: 'string', demandOption: true, describe: 'folder to import (searched recursively)' })
      .option('dataset', { type: 'string', demandOption: true, describe: 'dataset name (staging/<dataset>/)' })
      .option('modality', { type: 'string', describe: 'modality of PNG/JPEG files (e.g. DX, CR, XR); label source when --label is absent' })
      .option('location', { type: 'string', describe: 'body location of every image (default: DICOM BodyPartExamined, else UNKNOWN)' })
      .option('label', { type: 'string', describe: 'class label of every image (default: class of the modality)' })
      .option('size', { type: 'number', default: 224, describe: 'output images are size×size' })
      .option('fit', { choices: ['stretch', 'pad', 'crop'], default: 'stretch', describe: 'aspect policy' })
      .option('workers', { type: 'number', describe: `worker threads (default: all cores, here ${defaultWorkers()})` })
      .option('normalize', { type: 'string', default: 'minmax', describe: NORMALIZE_HELP })
      .option('max-reject-rate', { type: 'number', default: 0.01, describe: 'fraction of image files that may fail before exit 3' })
      .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesUID) mod P = i' })
      .option('colour', { choices: ['grey', 'skip'], default: 'grey', describe: 'colour DICOM: convert to grey luma, or skip' }) as never,
  handler: runCommand<ImportFolderArgs>(async (args, ctx) => {
    const r = await importFolder(
      {
        dir: args.dir,
        dataset: args.dataset,
        size: args.size,
        fit: args.fit,
        normalize: args.normalize,
        colour: args.colour,
        maxRejectRate: args.maxRejectRate,
        ...(args.modality !== undefined ? { modality: args.modality } : {}),
        ...(args.location !== undefined ? { location: args.location } : {}),
        ...(args.label !== undefined ? { label: args.label } : {}),
        ...(args.workers !== undefined ? { workers: args.workers } : {}),
        ...(args.partition !== undefined ? { partition: args.partition } : {}),
      },
      ctx,
    );
    return {
      title: `import ${args.dataset}`,
      figures: { found: `${r.dicomFiles} DICOM, ${r.pictureFiles} PNG/JPEG, ${r.ignoredFiles} ignored`, ...stageFigures(r) },
    };
  }),
};
