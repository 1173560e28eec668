import path from 'node:path';
import type { CommandModule } from 'yargs';
import { DEFAULT_EVAL_SPLIT } from '../../core/types.ts';
import { generateReport } from '../../report/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';

interface ReportArgs {
  run?: string;
  dataset?: string;
  pipeline?: string;
  out?: string;
  split: string;
}

export const command: CommandModule<GlobalArgs, ReportArgs & GlobalArgs> = {
  command: 'report',
  describe: 'write a self-contained HTML report (+ Markdown): dataset counts, caps, rejects, step timings, training curves, confusion matrix, per-dataset accuracy',
  builder: (y) =>
    y
      .version(false)
      .option('run', { type: 'string', describe: 'training run directory (default: the newest under runs/)' })
      .option('dataset', { type: 'string', describe: 'dataset name under datasets/ (default: the newest published)' })
      .option('pipeline', { type: 'string', describe: 'pipeline whose run log gives step timings and plan (default: newest log)' })
      .option('out', { type: 'string', describe: 'output folder (default: <data-dir>/reports/<dataset>/)' })
      .option('split', { type: 'string', default: DEFAULT_EVAL_SPLIT as string, describe: 'evaluation split to show' }) as never,
  handler: runCommand<ReportArgs>(async (args, ctx) => {
    const r = await generateReport(
      {
        dataDir: ctx.dataDir,
        ...(args.run ? { runDir: path.resolve(args.run) } : {}),
        ...(args.dataset ? { dataset: args.dataset } : {}),
        ...(args.pipeline ? { pipeline: args.pipeline } : {}),
        ...(args.out ? { outDir: path.resolve(args.out) } : {}),
        split: args.split,
      },
      ctx,
    );
    const d = r.data;
    const figures: Record<string, string | number> = { html: r.html, markdown: r.markdown, charts: r.charts };
    if (d.dataset) figures.dataset = `${d.dataset.name} ${d.dataset.version ?? ''} (${d.dataset.counts.reduce((a, c) => a + c.images, 0)} images)`;
    if (d.evaluation) figures[`${d.evaluation.split} accuracy`] = `${(100 * d.evaluation.accuracy).toFixed(1)}% (balanced ${(100 * d.evaluation.balancedAccuracy).toFixed(1)}%)`;
    for (const n of d.notes) ctx.log.warn(n);
    return { title: 'report', figures };
  }),
};
