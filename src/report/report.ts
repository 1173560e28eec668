import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fsAtomic.ts';
import type { DataPaths } from '../core/paths.ts';
import { collectCaps, collectDataset, collectEvaluation, collectRejects, collectTiming, collectTraining, latestRunDir, type Collected } from './collect.ts';
import { renderHtml } from './html.ts';
import { renderMarkdown } from './markdown.ts';
import type { ReportData } from './model.ts';
import { DEFAULT_EVAL_SPLIT } from '../core/types.ts';

/**
 * `etl report`: one self-contained HTML page and its Markdown twin from what a data directory holds
 * (published dataset, plan, rejects, pipeline run log, training run and its evaluation).
 */

export interface ReportOptions {
  dataDir: string;
  /** Dataset name under datasets/ (default: the only one, or the newest). */
  dataset?: string;
  /** Training run directory (default: the newest under runs/ with metrics.jsonl). */
  runDir?: string;
  /** Pipeline whose run log gives the step timings (default: the newest log). */
  pipeline?: string;
  /** Pipeline run log to use (the run in progress). */
  runLog?: string;
  /** Plan name for the caps table (default: the dataset name). */
  planName?: string;
  /** Split manifest name (splits/<name>.json) when the dataset does not name it. */
  splitManifest?: string;
  /** Where report.html and report.md go (default: <dataDir>/reports/<dataset>/). */
  outDir?: string;
  title?: string;
  /** Evaluation split to show. */
  split?: string;
  /** Skip training and evaluation (data-only pipelines). */
  noTraining?: boolean;
}

export interface ReportResult {
  html: string;
  markdown: string;
  data: ReportData;
  charts: number;
  sections: number;
}

export function collectReport(o: ReportOptions, ctx: RunContext): ReportData {
  const notes: string[] = [];
  const take = <T>(c: Collected<T>): T | undefined => {
    if (c.note) notes.push(c.note);
    return c.value;
  };
  const datasetName = o.dataset ?? guessDataset(ctx.paths);
  const dataset = datasetName
    ? take(collectDataset(ctx.paths, datasetName, o.splitManifest ? ctx.paths.splitFile(o.splitManifest) : undefined))
    : undefined;
  const caps = take(collectCaps(ctx.paths, o.planName ?? o.pipeline ?? datasetName ?? ''));
  const rejects = take(collectRejects(ctx.paths.rejects));
  const timing = take(collectTiming(ctx.dataDir, o.pipeline, o.runLog));
  const runDir = o.noTraining ? undefined : (o.runDir ?? latestRunDir(ctx.paths.runs));
  const training = runDir ? take(collectTraining(runDir)) : undefined;
  const locations = new Map((dataset?.counts ?? []).map((c) => [c.dataset, c.location]));
  const evaluation = runDir ? take(collectEvaluation(runDir, o.split ?? DEFAULT_EVAL_SPLIT, locations)) : undefined;
  const validation = runDir && (o.split ?? DEFAULT_EVAL_SPLIT) === 'test' ? collectEvaluation(runDir, 'validate', locations).value : undefined;
  const data: ReportData = {
    title: o.title ?? `medimg-etl report${datasetName ? ` — ${datasetName}` : ''}`,
    generatedAt: new Date().toISOString(),
    dataDir: ctx.dataDir,
    notes,
  };
  if (dataset) data.dataset = dataset;
  if (caps) data.caps = caps;
  if (rejects) data.rejects = rejects;
  if (timing) data.timing = timing;
  if (training) data.training = training;
  if (evaluation) data.evaluation = evaluation;
  if (validation) data.validation = validation;
  return data;
}

export async function generateReport(o: ReportOptions, ctx: RunContext): Promise<ReportResult> {
  if (o.runDir && !fs.existsSync(o.runDir)) {
    throw new InputError('RUN_NOT_FOUND', `training run ${o.runDir} not found`, { hint: `runs live under ${ctx.paths.runs}` });
  }
  const data = collectReport(o, ctx);
  const outDir = o.outDir ?? ctx.paths.report(o.dataset ?? data.dataset?.name ?? 'latest');
  const html = path.join(outDir, 'report.html');
  const markdown = path.join(outDir, 'report.md');
  const page = renderHtml(data);
  await writeFileAtomic(html, page);
  await writeFileAtomic(markdown, renderMarkdown(data));
  await writeFileAtomic(path.join(outDir, 'report.json'), JSON.stringify(data, null, 2) + '\n');
  const sections = [data.dataset, data.caps, data.rejects, data.timing, data.training, data.evaluation].filter(Boolean).length;
  return { html, markdown, data, charts: (page.match(/<svg\b/g) ?? []).length, sections };
}

/** The dataset to report when none is named: the one with the newest `current`. */
function guessDataset(paths: DataPaths): string | undefined {
  const dir = paths.datasetsRoot;
  let best: { name: string; t: number } | undefined;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const n of names) {
    try {
      const t = fs.lstatSync(paths.datasetCurrent(n)).mtimeMs;
      if (!best || t > best.t) best = { name: n, t };
    } catch {
      /* no published version */
    }
  }
  return best?.name;
}
