import type { CommandModule } from 'yargs';
import { runDemo } from '../../pipeline/index.ts';
import { runCommand, type GlobalArgs } from '../command.ts';
import { pipelineSummary } from './run.ts';

interface DemoArgs {
  pipeline?: string;
  force: boolean;
  source: 'tcia' | 'idc' | 'auto';
}

export const command: CommandModule<GlobalArgs, DemoArgs & GlobalArgs> = {
  command: 'demo',
  describe: 'the whole pipeline on synthetic collections served by an in-process TCIA stand-in, with a small CPU ResNet-18 and a report (measured 350 s from a fresh clone on a 2-core machine; validate/test balanced accuracy 98.0 %/100 % with the default seed 7, see the README for other seeds; a rerun is instant)',
  builder: (y) =>
    y
      .version(false)
      .option('pipeline', { type: 'string', describe: 'pipeline file (default pipelines/demo.yaml)' })
      .option('force', { type: 'boolean', default: false, describe: 'rerun every step' })
      .option('source', { choices: ['tcia', 'idc', 'auto'] as const, default: 'tcia' as const, describe: 'tcia: fetch from the TCIA stand-in; idc: serve the same archive as IDC does (S3 objects + index) and fetch from there; auto: IDC where the index has a series, else TCIA' }) as never,
  handler: runCommand<DemoArgs>(async (args, ctx) => {
    const r = await runDemo({ ...(args.pipeline ? { pipeline: args.pipeline } : {}), force: args.force, source: args.source }, ctx);
    const s = pipelineSummary('demo', r.pipeline);
    s.figures['data dir'] = ctx.dataDir;
    s.figures['demo time'] = `${r.seconds.toFixed(1)} s${r.generated ? ' (including generating the synthetic archive)' : ''}`;
    if (r.pipeline.report) s.figures.open = `file://${r.pipeline.report.html}`;
    return s;
  }),
};
