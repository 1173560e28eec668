import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from './command.ts';
import { importOptions, preprocessingOptions, type ImportArgs } from './preprocessOptions.ts';
import { EXTERNAL_FORMATS, importExternal, jobFigures, type ExternalFormatName } from '../preprocess/index.ts';

/** `etl import <format> DIR --dataset NAME`: one command per external format (src/cli/etl/import/<format>.ts). */
export function externalImportCommand(format: ExternalFormatName): CommandModule<GlobalArgs, ImportArgs & GlobalArgs> {
  const f = EXTERNAL_FORMATS[format];
  const modality = 'modality' in f ? f.modality : undefined;
  const location = 'location' in f ? f.location : undefined;
  return {
    command: `${format} <dir>`,
    describe: `stage ${f.name}: ${f.layout}`,
    builder: (y) =>
      preprocessingOptions(y)
        .positional('dir', { type: 'string', demandOption: true, describe: `the ${f.name} folder as downloaded${f.url ? ` (${f.url})` : ''}` })
        .option('dataset', { type: 'string', demandOption: true, describe: 'dataset name (staging/<dataset>/, the manifest entry)' })
        .option('modality', { type: 'string', describe: `modality of every sample (CT, MR, PT, CR, DX, MG, XR)${modality ? `; default ${modality}` : format === 'oai' ? '; default: from the DICOM headers' : '; required'}` })
        .option('location', { type: 'string', describe: `body location of every sample${location ? `; default ${location}` : ''}${format === 'mura' ? ' (else the XR_<BODYPART> folder)' : ''}` })
        .option('label', { type: 'string', describe: 'class label (default: the class of the modality)' }) as never,
    handler: runCommand<ImportArgs>(async (args, ctx) => {
      const r = await importExternal(ctx, { format, ...importOptions(args) });
      return { title: `import ${format} ${r.dataset}`, figures: jobFigures(r) };
    }),
  };
}
