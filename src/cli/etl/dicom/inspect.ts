import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { DEFAULT_PREPROCESS_CONFIG, formatInspect, formatNormalize, inspectDicom, NORMALIZE_HELP } from '../../../preprocess/index.ts';

interface InspectArgs {
  file: string;
  json: boolean;
  png?: string;
  raw?: string;
  frame: number;
  normalize: string;
}

export const command: CommandModule<GlobalArgs, InspectArgs & GlobalArgs> = {
  command: 'inspect <file>',
  describe: 'show what the decoder makes of one DICOM file: header, per-frame value ranges, preview PNG, raw float32 values',
  builder: (y) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'DICOM file' })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON (header facts + per-frame min/max/mean)' })
      .option('png', { type: 'string', describe: 'write the normalised preview (8-bit grey PNG, native size)' })
      .option('raw', { type: 'string', describe: 'write the modality values of all frames as little-endian float32' })
      .option('frame', { type: 'number', default: 0, describe: 'frame shown by --png' })
      .option('normalize', { type: 'string', default: formatNormalize(DEFAULT_PREPROCESS_CONFIG.normalize), describe: `preview normalisation: ${NORMALIZE_HELP}` }) as never,
  handler: runCommand<InspectArgs>(async (args) => {
    const r = await inspectDicom(args.file, {
      frame: args.frame,
      normalize: args.normalize,
      ...(args.png ? { png: args.png } : {}),
      ...(args.raw ? { raw: args.raw } : {}),
    });
    process.stdout.write(args.json ? JSON.stringify(r, null, 2) + '\n' : formatInspect(r));
  }),
};
