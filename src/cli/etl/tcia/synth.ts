import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs, type Summary } from '../../command.ts';
import { ConfigError } from '../../../core/errors.ts';
import { SYNTH_PRESETS, synthesize, synthesizeUpdate, type SynthPreset } from '../../../standins/synth/index.ts';

interface SynthArgs {
  preset?: string;
  out: string;
  seed: number;
  workers?: number;
  releaseDate?: string;
  releaseSeries: number;
  releaseCollection?: string;
}

export const command: CommandModule<GlobalArgs, SynthArgs & GlobalArgs> = {
  command: 'synth',
  describe:
    'write synthetic TCIA-like DICOM collections (CT, MR, PT, CR/DX/MG; mixed transfer syntaxes, SEG/RTSTRUCT/SR, a few corrupt files) for `etl tcia serve`; with --release-date, add newly released series to an existing output',
  builder: (y) =>
    y
      .option('preset', { choices: SYNTH_PRESETS as unknown as string[], describe: 'tiny (seconds, tests), demo (~2,400 images, ~680 MB), bench (~28,500 images, ~8 GB), paper (the 97 TCIA collections of manifests/paper-2021.json under their names, 306 images, 2 MB)' })
      .option('out', { type: 'string', demandOption: true, describe: 'output folder: new, empty, or a previous synth output (replaced)' })
      .option('seed', { type: 'number', default: 1, describe: 'same seed ⇒ byte-identical output' })
      .option('workers', { type: 'number', describe: 'worker threads (default: 1 for tiny, else up to 4 by cores); output does not depend on it' })
      .option('release-date', { type: 'string', describe: 'YYYY-MM-DD: add new series released on this day to the existing output at --out ("new data arrived")' })
      .option('release-series', { type: 'number', default: 2, describe: 'with --release-date: how many series to add' })
      .option('release-collection', { type: 'string', describe: 'with --release-date: collection to add to (default: the preset\'s first)' }) as never,
  handler: runCommand<SynthArgs>(async (args, ctx): Promise<Summary> => {
    if (args.releaseDate !== undefined) {
      const r = await synthesizeUpdate(args.out, {
        dateReleased: args.releaseDate,
        series: args.releaseSeries,
        ...(args.releaseCollection !== undefined ? { collection: args.releaseCollection } : {}),
        log: ctx.log,
      });
      return { title: `synth release ${args.releaseDate} → ${args.out}`, figures: { collection: r.collection, patient: r.patientId, series: r.series.length, images: r.images } };
    }
    if (args.preset === undefined) throw new ConfigError('--preset is required (tiny, demo or bench) unless --release-date is given', { hint: 'etl tcia synth --preset demo --out data/tcia-synth' });
    if (!Number.isInteger(args.seed) || args.seed < 0) throw new ConfigError(`--seed must be a non-negative integer, got ${args.seed}`);
    if (args.workers !== undefined && (!Number.isInteger(args.workers) || args.workers < 1)) {
      throw new ConfigError(`--workers must be a positive integer, got ${args.workers}`);
    }
    let bar: ReturnType<typeof ctx.progress> | undefined;
    const s = await synthesize({
      preset: args.preset as SynthPreset,
      out: args.out,
      seed: args.seed,
      log: ctx.log,
      signal: ctx.signal,
      onProgress: (done, total) => {
        bar ??= ctx.progress(`synth ${args.preset}`, total, 'series');
        bar.tick();
        if (done === total) bar.stop();
      },
      ...(args.workers !== undefined ? { workers: args.workers } : {}),
    });
    const classes = new Map<string, number>();
    for (const c of s.collections) classes.set(c.label, (classes.get(c.label) ?? 0) + c.images);
    return {
      title: `synth ${args.preset} → ${args.out}`,
      figures: {
        collections: s.collections.length,
        series: s.collections.reduce((a, c) => a + c.series, 0),
        images: `${s.collections.reduce((a, c) => a + c.images, 0)} (${[...classes].map(([k, v]) => `${k} ${v}`).join(', ')})`,
        files: s.files,
        bytes: `${(s.bytes / 1e6).toFixed(1)} MB`,
        corrupt: s.corrupt,
        'non-image': s.nonImage,
      },
    };
  }),
};
