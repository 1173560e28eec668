import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { writeFileAtomic, writeJsonAtomic } from '../core/fsAtomic.ts';
import { DEFAULT_EVAL_SPLIT, type Split } from '../core/types.ts';
import { selectBackend, type BackendRequest } from './backend.ts';
import { confusionSvg, curvesSvg, svgToPng } from './charts.ts';
import { openBatchSource, type BatchSource, type DatasetFacts } from './data.ts';
import { evaluateSplit } from './evaluateSplit.ts';
import type { TrainConfig } from './trainConfig.ts';
import type { EpochMetrics } from './trainState.ts';
import { confusionMatrix, groupAccuracy, pairAccuracy, summarize, type ClassMetrics, type GroupAccuracy, type PairAccuracy } from './metrics.ts';
import { loadModelDir } from './modelStore.ts';
import { comparePaperFromFile, paperMarkdown, type PaperComparison } from './paperComparison.ts';

/**
 * `train evaluate`: the trained model of a run on a split → `runs/<id>/eval-<split>.json` (shape:
 * `EvalReport`, read by the HTML report), `eval-<split>.md`, and charts as SVG + PNG
 * (`eval-<split>-confusion.*`, `curves.*`).
 */

export interface EvaluateOptions {
  runDir: string;
  split?: Split;
  dataDir?: string;
  /** Inference batch (default: the run's training batch). */
  batch?: number;
  backend?: BackendRequest;
  /** Dataset manifest with the paper's figures, when `source` is given (else the shard manifest's). */
  manifestPath?: string;
  /** Library use and tests: evaluate on this source instead of the run's dataset. */
  source?: BatchSource & { facts?: DatasetFacts };
}

/** `eval-<split>.json`. All rates are fractions in [0, 1]; null where undefined (no rows). */
export interface EvalReport {
  format: 'medimg-eval/1';
  run: string;
  split: Split;
  dataset: { name: string; version: string };
  model: { arch: string; width: number; imageSize: number; params: number; epochs: number };
  backend: string;
  images: number;
  /** Mean softmax cross-entropy per image. */
  loss: number | null;
  accuracy: number | null;
  /** Mean per-class recall over classes present in the split. */
  balancedAccuracy: number | null;
  macroF1: number | null;
  classNames: string[];
  /** confusion[true][predicted] image counts. */
  confusion: number[][];
  perClass: ClassMetrics[];
  /** The paper's Table 3: accuracy per (dataset, location, modality = true class). */
  groups: GroupAccuracy[];
  /** The paper's Table 3 and headline beside ours (test split of a manifest with paper figures). */
  paper?: PaperComparison;
  /** Accuracy per class × location, with `unseenInTrain` where train has no image of that pair. */
  pairs: PairAccuracy[];
  /** Images, accuracy and balanced accuracy over the rows of pairs unseen in train (null: none or unknown). */
  unseen: { pairs: string[]; images: number; accuracy: number | null; balancedAccuracy: number | null } | null;
  /** File names (relative to the run dir) of the charts. */
  charts: { confusionSvg: string; confusionPng: string; curvesSvg: string | null; curvesPng: string | null };
}

export interface EvaluateResult {
  report: EvalReport;
  /** Shortcuts for pipeline steps (NaN when the split had no rows of a class needed). */
  accuracy: number;
  balancedAccuracy: number;
  images: number;
  jsonPath: string;
  markdownPath: string;
  seconds: number;
}

export function readMetrics(runDir: string): EpochMetrics[] {
  const f = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(f)) return [];
  return fs
    .readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as EpochMetrics);
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)} %`);

export function evalMarkdown(r: EvalReport): string {
  const lines = [
    `# Evaluation of ${r.run} on the ${r.split} split`,
    '',
    `Dataset ${r.dataset.name} (${r.dataset.version}); model ${r.model.arch} width ${r.model.width} at ${r.model.imageSize}² (${r.model.params.toLocaleString('en-US')} parameters, ${r.model.epochs} epochs); backend ${r.backend}.`,
    '',
    '| images | loss | accuracy | balanced accuracy | macro F1 |',
    '|---:|---:|---:|---:|---:|',
    `| ${r.images} | ${r.loss === null ? '–' : r.loss.toFixed(4)} | ${pct(r.accuracy)} | ${pct(r.balancedAccuracy)} | ${pct(r.macroF1)} |`,
    '',
    '## Per class',
    '',
    '| class | images | predicted | precision | recall | F1 |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.perClass.map((c) => `| ${c.className} | ${c.support} | ${c.predicted} | ${pct(c.precision)} | ${pct(c.recall)} | ${pct(c.f1)} |`),
    '',
    '## Confusion matrix (rows: true class, columns: predicted)',
    '',
    `| true \\ predicted | ${r.classNames.join(' | ')} |`,
    `|---|${r.classNames.map(() => '---:').join('|')}|`,
    ...r.confusion.map((row, i) => `| ${r.classNames[i]} | ${row.join(' | ')} |`),
    '',
    `![confusion matrix](${r.charts.confusionPng})`,
    '',
    '## Accuracy per class × location',
    '',
    r.unseen
      ? `Pairs unseen in training (${r.unseen.pairs.join(', ')}): ${r.unseen.images} images, accuracy ${pct(r.unseen.accuracy)}, balanced accuracy ${pct(r.unseen.balancedAccuracy)}.`
      : 'No class × location of this split is missing from train (or train\'s pairs are unknown).',
    '',
    '| modality | location | datasets | images | accuracy | location unseen in training |',
    '|---|---|---:|---:|---:|---|',
    ...r.pairs.map((p) => `| ${p.modality} | ${p.location} | ${p.datasets} | ${p.images} | ${pct(p.accuracy)} | ${p.unseenInTrain ? 'yes' : p.unseenInTrain === false ? 'no' : '?'} |`),
    '',
    '## Accuracy per dataset, location and modality (paper Table 3)',
    '',
    '| modality | location | dataset | images | accuracy | most frequent error | location unseen in training |',
    '|---|---|---|---:|---:|---|---|',
    ...r.groups.map(
      (g) =>
        `| ${g.modality} | ${g.location} | ${g.dataset} | ${g.images} | ${pct(g.accuracy)} | ${g.topConfusion ? `${g.topConfusion.className} ×${g.topConfusion.images}` : '–'} | ${g.unseenInTrain ? 'yes' : g.unseenInTrain === false ? 'no' : '?'} |`,
    ),
    '',
  ];
  if (r.paper) lines.push(...paperMarkdown(r.paper));
  if (r.charts.curvesPng) lines.push('## Training curves', '', `![training curves](${r.charts.curvesPng})`, '');
  return lines.join('\n');
}

/** Accuracy and balanced accuracy over the rows whose (dataset, class) group is unseen in train. */
function unseenSummary(labels: Int32Array, preds: Int32Array, datasets: string[], groups: GroupAccuracy[], classNames: string[]): EvalReport['unseen'] {
  const keys = new Set(groups.filter((g) => g.unseenInTrain).map((g) => `${g.dataset}\u0000${g.modality}`));
  if (keys.size === 0) return null;
  const l: number[] = [];
  const p: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!keys.has(`${datasets[i]}\u0000${classNames[labels[i]!]}`)) continue;
    l.push(labels[i]!);
    p.push(preds[i]!);
  }
  const sum = summarize(confusionMatrix(l, p, classNames.length), classNames);
  const pairs = [...new Set(groups.filter((g) => g.unseenInTrain).map((g) => `${g.modality} ${g.location}`))].sort();
  return { pairs, images: sum.images, accuracy: sum.accuracy, balancedAccuracy: sum.balancedAccuracy };
}

export async function evaluateRun(options: EvaluateOptions, ctx: RunContext): Promise<EvaluateResult> {
  const t0 = performance.now();
  const split = options.split ?? DEFAULT_EVAL_SPLIT;
  if (!['train', 'validate', 'test'].includes(split)) throw new ConfigError(`\`split\` must be train, validate or test, got "${split}"`);
  const runDir = path.resolve(options.runDir);
  const cfgFile = path.join(runDir, 'config.json');
  if (!fs.existsSync(cfgFile)) throw new ConfigError(`${runDir} is not a training run (no config.json)`, { hint: 'pass `runDir` data/runs/<run-id>' });
  const config = JSON.parse(fs.readFileSync(cfgFile, 'utf8')) as TrainConfig;
  const dataDir = path.resolve(options.dataDir ?? ctx.dataDir);
  const opened = options.source ? undefined : await openBatchSource(dataDir, config.dataset, config.version);
  const source = options.source ?? opened!;
  try {
    if (source.splitRows(split) === 0) throw new InputError('EMPTY_SPLIT', `dataset ${config.dataset} has no ${split} rows`, { hint: 'evaluate another `split`' });
    const selection = await selectBackend(options.backend ?? 'auto');
    ctx.log.info(selection.reason);
    const { model, meta } = await loadModelDir(runDir);
    if (meta.classNames.join(',') !== source.classNames.join(',')) {
      throw new InputError('CLASS_MISMATCH', `model classes ${meta.classNames.join(',')} differ from the dataset's ${source.classNames.join(',')}`);
    }
    let ev;
    try {
      ev = await evaluateSplit(model, source, split, meta.input, options.batch ?? config.batch, true, ctx.signal);
    } finally {
      model.dispose();
    }
    const facts = (source as { facts?: DatasetFacts }).facts;
    const cm = confusionMatrix(ev.labels!, ev.preds!, meta.classNames.length);
    const sum = summarize(cm, meta.classNames);
    const groups = groupAccuracy(ev.labels!, ev.preds!, ev.datasets!, meta.classNames, (d) => facts?.locations[d] ?? 'unknown');
    const trainPairs = facts?.trainPairs ? new Set(facts.trainPairs) : undefined;
    if (trainPairs) for (const g of groups) g.unseenInTrain = !trainPairs.has(`${g.modality} ${g.location}`);
    const pairs = pairAccuracy(groups, trainPairs);
    const unseen = unseenSummary(ev.labels!, ev.preds!, ev.datasets!, groups, meta.classNames);
    const base = `eval-${split}`;
    const metrics = readMetrics(runDir);
    const charts: EvalReport['charts'] = {
      confusionSvg: `${base}-confusion.svg`,
      confusionPng: `${base}-confusion.png`,
      curvesSvg: metrics.length ? 'curves.svg' : null,
      curvesPng: metrics.length ? 'curves.png' : null,
    };
    const cmSvg = confusionSvg(cm, meta.classNames, `${path.basename(runDir)} — ${split} (${ev.images} images)`);
    await writeFileAtomic(path.join(runDir, charts.confusionSvg), cmSvg);
    await writeFileAtomic(path.join(runDir, charts.confusionPng), await svgToPng(cmSvg));
    if (metrics.length) {
      const cSvg = curvesSvg(metrics, `${path.basename(runDir)} — ${config.arch}`);
      await writeFileAtomic(path.join(runDir, 'curves.svg'), cSvg);
      await writeFileAtomic(path.join(runDir, 'curves.png'), await svgToPng(cSvg));
    }
    const report: EvalReport = {
      format: 'medimg-eval/1',
      run: path.basename(runDir),
      split,
      dataset: { name: config.dataset, version: config.version },
      model: { arch: meta.arch, width: meta.width, imageSize: meta.input.imageSize, params: config.params, epochs: meta.epochs },
      backend: selection.backend,
      images: ev.images,
      loss: Number.isFinite(ev.loss) ? Math.round(ev.loss * 1e6) / 1e6 : null,
      accuracy: sum.accuracy,
      balancedAccuracy: sum.balancedAccuracy,
      macroF1: sum.macroF1,
      classNames: meta.classNames,
      confusion: cm,
      perClass: sum.perClass,
      groups,
      pairs,
      unseen,
      charts,
    };
    const manifestPath = opened?.manifest.inputs.manifest?.path ?? options.manifestPath;
    const paper = split === 'test' ? comparePaperFromFile(manifestPath, groups, { arch: meta.arch, accuracy: sum.accuracy, balancedAccuracy: sum.balancedAccuracy }) : undefined;
    if (paper) report.paper = paper;
    const jsonPath = path.join(runDir, `${base}.json`);
    const markdownPath = path.join(runDir, `${base}.md`);
    await writeJsonAtomic(jsonPath, report);
    await writeFileAtomic(markdownPath, evalMarkdown(report));
    return {
      report,
      accuracy: report.accuracy ?? NaN,
      balancedAccuracy: report.balancedAccuracy ?? NaN,
      images: report.images,
      jsonPath,
      markdownPath,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    await opened?.close();
  }
}
