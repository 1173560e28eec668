import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../command.ts';
import { IntegrityError, verifyDataset } from '../../shards/index.ts';

interface VerifyArgs {
  name: string;
  version?: string;
  strict: boolean;
}

export const command: CommandModule<GlobalArgs, VerifyArgs & GlobalArgs> = {
  command: 'verify',
  describe: 'check a published dataset against its manifest: checksums, schemas, batch sizes, counts, leakage (exit 3 on any integrity problem)',
  builder: (y) =>
    y
      .version(false)
      .option('name', { type: 'string', demandOption: true, describe: 'dataset name (datasets/<name>/)' })
      .option('version', { type: 'string', describe: 'version to check (default: current)' })
      .option('strict', { type: 'boolean', default: false, describe: 'leakage between splits also fails (exit 3)' }) as never,
  handler: runCommand<VerifyArgs>(async (args, ctx) => {
    const r = await verifyDataset({ name: args.name, ...(args.version ? { version: args.version } : {}), strictLeakage: args.strict }, ctx);
    if (!r.ok) {
      throw new IntegrityError(`${r.problems.length} problem(s) in ${r.name} ${r.version}: ${r.problems.slice(0, 3).map((p) => p.message).join('; ')}`, r.problems);
    }
    return {
      title: 'verify',
      figures: {
        dataset: `${r.name} ${r.version}`,
        shards: `${r.shards} ok (${(r.bytes / 2 ** 20).toFixed(1)} MiB)`,
        rows: r.rows,
        leakage: r.leakage?.clean ? 'none' : `${r.leakage?.sharedPatients.count} shared patients, ${r.leakage?.duplicateImages.count} duplicate images`,
      },
    };
  }),
};
