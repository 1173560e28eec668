import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../command.ts';
import { ConfigError } from '../../core/errors.ts';
import { parsePartition } from '../../core/partition.ts';
import { SHARD_DEFAULTS, shardDataset } from '../../shards/index.ts';
import { DEFAULT_MAX_REJECT_RATE } from '../../core/rejects.ts';
import { DEFAULT_CLASSES } from '../../core/types.ts';

interface ShardArgs {
  name: string;
  batch: number;
  manifest?: string;
  splitFile?: string;
  seed: number;
  shardSizeMb: number;
  partial: 'keep' | 'drop';
  memoryMb: number;
  partition?: string;
  classes?: string;
  strict: boolean;
  maxRejectRate: number;
}

export const command: CommandModule<GlobalArgs, ShardArgs & GlobalArgs> = {
  command: 'shard',
  describe: 'globally shuffle staging per split and write pre-batched, checksummed Arrow shards to datasets/<name>/<version>/, then switch datasets/<name>/current atomically',
  builder: (y) =>
    y
      .option('name', { type: 'string', demandOption: true, describe: 'dataset name (datasets/<name>/)' })
      .option('batch', { type: 'number', default: SHARD_DEFAULTS.batch, describe: 'rows per RecordBatch (= training batch size)' })
      .option('manifest', { type: 'string', describe: 'dataset manifest: datasets take the split it assigns' })
      .option('split-file', { type: 'string', describe: 'split file written by `etl split` (checked against its manifest)' })
      .option('seed', { type: 'number', default: SHARD_DEFAULTS.seed, describe: 'shuffle seed (same inputs + seed ⇒ byte-identical shards)' })
      .option('shard-size-mb', { type: 'number', default: SHARD_DEFAULTS.shardSizeMb, describe: 'target shard size (always < 2 GiB)' })
      .option('partial', { choices: ['keep', 'drop'] as const, default: SHARD_DEFAULTS.partial, describe: 'the last batch of a split: keep it partial or drop its rows' })
      .option('memory-mb', { type: 'number', default: SHARD_DEFAULTS.memoryMb, describe: 'memory for the rows\' metadata while sorting (counted at 256 bytes a row, 144 measured with 58-character UIDs; images are never held): larger splits spill to key-range bucket files (does not change the output)' })
      .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
      .option('classes', { type: 'string', describe: `class names in label order, comma-separated (default ${DEFAULT_CLASSES.join(',')})` })
      .option('strict', { type: 'boolean', default: false, describe: 'leakage between splits is an error (exit 2)' })
      .option('max-reject-rate', { type: 'number', default: DEFAULT_MAX_REJECT_RATE, describe: 'fraction of unreadable staged series tolerated before exit 3' }) as never,
  handler: runCommand<ShardArgs>(async (args, ctx) => {
    if (!args.manifest && !args.splitFile) {
      throw new ConfigError('etl shard needs --manifest or --split-file', { hint: 'e.g. --split-file data/splits/paper-2021.json' });
    }
    const r = await shardDataset(
      {
        name: args.name,
        batch: args.batch,
        ...(args.splitFile ? { splitFile: args.splitFile } : {}),
        ...(args.manifest ? { manifest: args.manifest } : {}),
        seed: args.seed,
        shardSizeMb: args.shardSizeMb,
        partial: args.partial,
        memoryMb: args.memoryMb,
        partition: parsePartition(args.partition),
        ...(args.classes ? { classNames: args.classes.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
        strict: args.strict,
        maxRejectRate: args.maxRejectRate,
      },
      ctx,
    );
    const m = r.manifest;
    const splits = Object.entries(m.splits)
      .map(([s, v]) => `${s} ${v.rows} rows / ${v.batches} batches / ${v.shards} shards`)
      .join('; ');
    return {
      title: 'shard',
      figures: {
        dataset: `${r.name} ${r.version}${r.reused ? ' (identical version existed; reused)' : ''}`,
        dir: r.dir,
        splits,
        bytes: `${(r.bytes / 2 ** 20).toFixed(1)} MiB`,
        throughput: `${((m.splits.train.rows + m.splits.validate.rows + m.splits.test.rows) / r.seconds).toFixed(0)} images/s`,
        current: `${r.version} (${r.currentMethod})`,
        leakage: m.leakage.clean ? 'none' : `${m.leakage.sharedPatients.count} shared patients, ${m.leakage.duplicateImages.count} duplicate images`,
      },
    };
  }),
};
