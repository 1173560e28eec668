import type { CommandModule } from 'yargs';
import { parsePartition } from '../../core/partition.ts';
import { DEFAULT_DISCARD_RAW, DEFAULT_OVERLAP, DEFAULT_RAW_WINDOW, runPipeline, type PipelineResult } from '../../pipeline/index.ts';
import type { EvaluationFigures, SplitFigures } from '../../pipeline/index.ts';
import { GENERALISATION_GAP } from '../../report/index.ts';
import { runCommand, type GlobalArgs, type Summary } from '../command.ts';

interface RunArgs {
  pipeline: string;
  apiUrl?: string;
  force: boolean;
  partition?: string;
  source?: 'tcia' | 'idc' | 'auto';
  idcIndex?: string;
  idcEndpoint?: string;
  externalDir?: string;
  requireAll: boolean;
  overlap?: boolean;
  discardRaw?: boolean;
  rawWindow?: number;
}

export const command: CommandModule<GlobalArgs, RunArgs & GlobalArgs> = {
  command: 'run <pipeline>',
  describe: 'run a pipeline definition end to end; steps whose outputs are up to date are skipped (exit 0 ok, 2 config, 3 rejects, 75 locked, 1 bug)',
  builder: (y) =>
    y
      .version(false)
      .positional('pipeline', { type: 'string', demandOption: true, describe: 'pipeline file, e.g. pipelines/nightly.yaml' })
      .option('api-url', { type: 'string', describe: 'override source.tcia.apiUrl (a mirror or the stand-in)' })
      .option('source', { choices: ['tcia', 'idc', 'auto'] as const, describe: 'where series come from: the TCIA API (default), IDC (index + public buckets), or auto (TCIA\'s plan, each series from IDC when its index has it)' })
      .option('idc-index', { type: 'string', describe: 'IDC index file or URL (default: the latest idc-index-data release)' })
      .option('idc-endpoint', { type: 'string', describe: 'IDC object endpoint: aws (default), gcs or a URL' })
      .option('force', { type: 'boolean', default: false, describe: 'run every step even when up to date' })
      .option('partition', { type: 'string', describe: 'i/P: catalog, plan, fetch and preprocess this slice only; then `etl merge`' })
      .option('external-dir', { type: 'string', describe: "folder of the manifest's external datasets, each in its external.path (default: <data-dir>/external)" })
      .option('require-all', { type: 'boolean', default: false, describe: 'a missing external dataset is an error (exit 2) instead of a line saying where to get it' })
      .option('overlap', { type: 'boolean', describe: `preprocess each series as soon as it is verified, while later ones download; --no-overlap fetches everything first (default: stream.overlap, else ${DEFAULT_OVERLAP})` })
      .option('discard-raw', { type: 'boolean', describe: `delete each series' raw ZIP once its staging is durable, so raw/ holds at most --raw-window series (default: stream.discardRaw, else ${DEFAULT_DISCARD_RAW})` })
      .option('raw-window', { type: 'number', describe: `series between download start and preprocessed; downloads wait when it is full (default: stream.rawWindow, else ${DEFAULT_RAW_WINDOW})` }) as never,
  handler: runCommand<RunArgs>(async (args, ctx) => {
    const r = await runPipeline(
      args.pipeline,
      { ...(args.apiUrl ? { apiUrl: args.apiUrl } : {}), ...(args.source ? { source: args.source } : {}), ...(args.idcIndex ? { idcIndex: args.idcIndex } : {}), ...(args.idcEndpoint ? { idcEndpoint: args.idcEndpoint } : {}), force: args.force, ...(args.externalDir ? { externalDir: args.externalDir } : {}), requireAll: args.requireAll, ...streamFlags(args), ...(args.partition ? { partition: parsePartition(args.partition) } : {}) },
      ctx,
    );
    return pipelineSummary(`run ${r.pipeline}`, r);
  }),
};

/** Only the flags given: the pipeline's `stream:` section decides the rest. */
function streamFlags(args: RunArgs): { overlap?: boolean; discardRaw?: boolean; rawWindow?: number } {
  return {
    ...(args.overlap !== undefined ? { overlap: args.overlap } : {}),
    ...(args.discardRaw !== undefined ? { discardRaw: args.discardRaw } : {}),
    ...(args.rawWindow !== undefined ? { rawWindow: args.rawWindow } : {}),
  };
}

const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);

/** Validation and test side by side, their unseen-location pairs, and a warning when they disagree. */
export function evaluationFigures(e: EvaluationFigures): Record<string, string> {
  const out: Record<string, string> = {};
  const line = (s: SplitFigures) =>
    `accuracy ${pct(s.accuracy)}, balanced ${pct(s.balancedAccuracy)} (${s.images} images)` +
    (s.unseen ? `; locations unseen in train (${s.unseen.pairs.join(', ')}): balanced ${pct(s.unseen.balancedAccuracy)}` : '');
  if (e.validation) out['validate'] = line(e.validation);
  out[e.split] = line(e);
  if (e.validation && Math.abs(e.validation.balancedAccuracy - e.balancedAccuracy) > GENERALISATION_GAP) {
    out.warning = `validate and ${e.split} balanced accuracy differ by ${(100 * Math.abs(e.validation.balancedAccuracy - e.balancedAccuracy)).toFixed(1)} points (> ${100 * GENERALISATION_GAP}): the model does not generalise to one of them; see the per-dataset rows in the report`;
  }
  return out;
}

export function pipelineSummary(title: string, r: PipelineResult): Summary {
  const figures: Record<string, string | number> = {
    steps: `${r.ran} ran, ${r.skipped} skipped${r.ran === 0 ? ' (everything up to date)' : ''}`,
  };
  if (r.dataset?.version) figures.dataset = `${r.dataset.name} ${r.dataset.version} → ${r.dataset.dir}`;
  if (r.run) figures['training run'] = r.run.dir;
  if (r.evaluation) {
    Object.assign(figures, evaluationFigures(r.evaluation));
    const p = r.evaluation.paper;
    if (p) figures[`paper (${p.arch})`] = `${p.accuracy.toFixed(2)}% (balanced ${p.balancedAccuracy.toFixed(2)}%); per dataset × class in the report`;
  }
  if (r.report) figures.report = r.report.html;
  figures.log = r.logFile;
  if (r.tookOverLock) figures['stale lock'] = `taken over from pid ${r.tookOverLock.pid} (${r.tookOverLock.startedAt})`;
  return { title, figures };
}
