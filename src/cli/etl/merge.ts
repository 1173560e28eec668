import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { ConfigError } from '../../core/errors.ts';
import { mergePartitions } from '../../pipeline/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';
import { pipelineSummary } from './run.ts';

interface MergeArgs {
  name?: string;
  pipeline?: string;
  parts?: string;
  fromPartitions: boolean;
  allowIncomplete: boolean;
  force: boolean;
}

export const command: CommandModule<GlobalArgs, MergeArgs & GlobalArgs> = {
  command: 'merge',
  describe: 'combine the partitions of `etl run --partition i/P` into one published dataset (split → shard → verify → publish → …)',
  builder: (y) =>
    y
      .version(false)
      .option('name', { type: 'string', describe: 'pipeline name (reads pipelines/<name>.yaml)' })
      .option('pipeline', { type: 'string', describe: 'pipeline file (instead of --name)' })
      .option('from-partitions', { type: 'boolean', default: false, describe: 'the partitions shared this --data-dir (shared filesystem)' })
      .option('parts', { type: 'string', describe: 'comma-separated data directories the partitions wrote (e.g. synced from S3)' })
      .option('allow-incomplete', { type: 'boolean', default: false, describe: 'merge even when some partitions have not finished' })
      .option('force', { type: 'boolean', default: false, describe: 'rerun the merge steps even when up to date' }) as never,
  handler: runCommand<MergeArgs>(async (args, ctx) => {
    const file = args.pipeline ?? (args.name ? path.join('pipelines', `${args.name}.yaml`) : undefined);
    if (!file) throw new ConfigError('etl merge needs --name NAME or --pipeline FILE', { hint: 'e.g. etl merge --name paper-2021 --from-partitions' });
    if (!fs.existsSync(file)) throw new ConfigError(`pipeline ${file} not found`, { hint: 'pass --pipeline with the file the partitions ran' });
    const parts = args.parts?.split(',').map((p) => p.trim()).filter(Boolean);
    if (!args.fromPartitions && !parts?.length) {
      throw new ConfigError('choose --from-partitions (shared data dir) or --parts DIR1,DIR2,…', { hint: 'see docs/partitions.md' });
    }
    if (args.fromPartitions && parts?.length) throw new ConfigError('choose one of --from-partitions and --parts');
    const r = await mergePartitions(file, { ...(parts ? { parts } : {}), requireComplete: !args.allowIncomplete, force: args.force }, ctx);
    const s = pipelineSummary(`merge ${r.pipeline}`, r);
    s.figures.partitions = `${r.partitions.complete} of ${r.partitions.count} complete${r.imported.series ? `, ${r.imported.series} staged series linked in` : ''}`;
    return s;
  }),
};
