import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../command.ts';
import { DEFAULT_SPLIT_SEED, parseTargets, splitDatasets } from '../../curate/index.ts';

interface SplitArgs {
  manifest: string;
  auto: boolean;
  targets?: string;
  strict: boolean;
  seed: number;
}

export const command: CommandModule<GlobalArgs, SplitArgs & GlobalArgs> = {
  command: 'split',
  describe: 'dataset-level split from the manifest, counts per split × class × location, leakage check; --auto proposes splits for unassigned datasets (writes splits/<manifest>.json and .proposal.json)',
  builder: (y) =>
    y
      .option('manifest', { type: 'string', demandOption: true, describe: 'dataset manifest, e.g. manifests/paper-2021.json' })
      .option('auto', { type: 'boolean', default: false, describe: 'propose splits for datasets without one (never moves assigned datasets); written for review, the manifest is not edited' })
      .option('targets', { type: 'string', describe: 'train,validate,test image fractions per class for --auto (default 0.70,0.15,0.15)' })
      .option('strict', { type: 'boolean', default: false, describe: 'leakage (shared patient or identical image across splits) is an error (exit 2), not a warning' })
      .option('seed', { type: 'number', default: DEFAULT_SPLIT_SEED, describe: 'tie-break seed for --auto' }) as never,
  handler: runCommand<SplitArgs>(async (args, ctx) => {
    const targets = parseTargets(args.targets);
    const r = await splitDatasets({ manifest: args.manifest, auto: args.auto, targets, strict: args.strict, seed: args.seed }, ctx);
    process.stdout.write(r.text + '\n');
    const per = Object.entries(r.result.table.totals)
      .map(([s, byClass]) => `${s} ${Object.values(byClass).reduce((a, b) => a + b, 0)}`)
      .join(', ');
    return {
      title: 'split',
      figures: {
        'staged series': r.staged.series,
        images: `${r.staged.images} (${per})`,
        datasets: `${Object.keys(r.result.assignments).length} assigned, ${r.result.unassigned.length} unassigned`,
        leakage: r.result.leakage.clean ? 'none' : `${r.result.leakage.sharedPatients.count} shared patients, ${r.result.leakage.duplicateImages.count} duplicate images`,
        'split file': r.file,
        ...(r.proposalFile ? { proposal: r.proposalFile } : {}),
      },
    };
  }),
};
