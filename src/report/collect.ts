import fs from 'node:fs';
import path from 'node:path';
import type { DataPaths } from '../core/paths.ts';
import { readRejects } from '../core/rejects.ts';
import type { Plan } from '../core/types.ts';
import { readShardManifest, type ShardManifest, readCurrent } from '../shards/index.ts';
import { listRunLogs, readRunLog, type RunLogLine, type StepLogLine } from '../core/runLog.ts';
import type { CapRow, CountRow, DatasetSection, EpochRow, EvaluationSection, PaperSection, RejectReason, TimingSection, TrainingSection } from './model.ts';

/**
 * Readers that turn files in a data directory into report sections. Each returns undefined (plus a
 * note) when its files are missing or unreadable: a report renders whatever exists.
 */

export interface Collected<T> {
  value?: T;
  note?: string;
}

/** The published (`current`) version of a dataset; counts per split × class × location from its split file. */
export function collectDataset(paths: DataPaths, name: string, splitFileHint?: string): Collected<DatasetSection> {
  const root = paths.datasetRoot(name);
  let version: string | undefined;
  try {
    version = readCurrent(root);
  } catch (err) {
    return { note: `dataset ${name}: ${(err as Error).message}` };
  }
  if (!version) return {};
  const dir = path.join(root, version);
  let m: ShardManifest;
  try {
    m = readShardManifest(dir);
  } catch (err) {
    return { note: `dataset ${name} version ${version}: ${(err as Error).message}` };
  }
  const splitFile = [m.inputs.splitFile?.path, splitFileHint, m.inputs.manifest ? paths.splitFile(m.inputs.manifest.name) : undefined]
    .filter((f): f is string => typeof f === 'string')
    .find((f) => fs.existsSync(f));
  const counts = splitFile ? countsFromSplitFile(splitFile, m) : countsFromManifest(m);
  const totals: Record<string, number> = {};
  for (const [s, sum] of Object.entries(m.splits)) totals[s] = sum.rows;
  return {
    value: {
      name,
      version,
      path: dir,
      classes: m.classNames,
      counts,
      totals,
      shards: m.shards.length,
      bytes: m.shards.reduce((a, s) => a + s.bytes, 0),
      batch: m.batchSize,
      imageSize: m.image.height,
    },
  };
}

/** Split files count staged images per dataset × class × location; keep the datasets the shard manifest holds. */
function countsFromSplitFile(file: string, m: ShardManifest): CountRow[] {
  let v: { counts?: Array<{ dataset: string; label: string; location: string; images: number; split: string }> };
  try {
    v = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return countsFromManifest(m);
  }
  const rows: CountRow[] = [];
  for (const c of v.counts ?? []) {
    const split = m.inputs.assignments[c.dataset] ?? c.split;
    if (!split || split === 'unassigned') continue;
    if (!(split in m.splits)) continue;
    rows.push({ split, label: c.label, location: c.location || 'unknown', dataset: c.dataset, images: c.images });
  }
  return rows.length ? rows : countsFromManifest(m);
}

/** Without a split file: per split, datasets with their counts; class from the manifest when a dataset has one class. */
function countsFromManifest(m: ShardManifest): CountRow[] {
  const rows: CountRow[] = [];
  for (const [split, s] of Object.entries(m.splits)) {
    const classes = Object.entries(s.classCounts).filter(([, n]) => n > 0);
    for (const [dataset, images] of Object.entries(s.datasetCounts)) {
      rows.push({ split, dataset, images, location: 'unknown', label: classes.length === 1 ? classes[0]![0] : 'mixed' });
    }
  }
  return rows;
}

/** Plan summary (caps). Partitioned runs write one plan per partition: their summaries are summed. */
export function collectCaps(paths: DataPaths, planName: string): Collected<{ plan: string; rows: CapRow[] }> {
  const whole = paths.plan(planName);
  const files = fs.existsSync(whole)
    ? [whole]
    : listFiles(path.dirname(whole)).filter((f) => path.basename(f).startsWith(`${planName}.part-`) && f.endsWith('.json'));
  if (files.length === 0) return {};
  const rows = new Map<string, CapRow>();
  for (const f of files) {
    let plan: Plan;
    try {
      plan = JSON.parse(fs.readFileSync(f, 'utf8')) as Plan;
    } catch {
      return { note: `plan ${f} is unreadable` };
    }
    for (const s of plan.summary ?? []) {
      const k = `${s.dataset}\u0000${s.label}`;
      const r = rows.get(k);
      if (!r) rows.set(k, { ...s });
      else if (files.length > 1) {
        // Caps are applied before the partition filter: cappedFrom is the same in every part.
        r.series += s.series;
        r.images += s.images;
      }
    }
  }
  return { value: { plan: files.length === 1 ? files[0]! : `${files.length} partition plans (${path.join(path.dirname(whole), planName)}.part-*.json)`, rows: [...rows.values()] } };
}

/**
 * Rejects by stage and code. rejects.jsonl is append-only across runs, and a series that keeps failing
 * is recorded by each run, so every (stage, code, key) counts once.
 */
export function collectRejects(file: string, examplesPerReason = 3): Collected<{ file: string; total: number; reasons: RejectReason[] }> {
  let recs;
  try {
    recs = readRejects(file);
  } catch (err) {
    return { note: `${file} is unreadable: ${(err as Error).message}` };
  }
  const seen = new Set<string>();
  const groups = new Map<string, RejectReason>();
  for (const r of recs) {
    const k = `${r.stage}\u0000${r.code}\u0000${r.key}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const gk = `${r.stage}\u0000${r.code}`;
    let g = groups.get(gk);
    if (!g) groups.set(gk, (g = { stage: r.stage, code: r.code, count: 0, examples: [] }));
    g.count++;
    if (g.examples.length < examplesPerReason) g.examples.push({ key: r.key, reason: r.reason });
  }
  const reasons = [...groups.values()].sort((a, b) => b.count - a.count || a.stage.localeCompare(b.stage) || a.code.localeCompare(b.code));
  return { value: { file, total: seen.size, reasons } };
}

/**
 * Step timings of the latest run of `pipeline` that did work (a run where every step was skipped
 * says nothing about how long the data took to build). `preferFile` is the run in progress.
 */
export function collectTiming(dataDir: string, pipeline: string | undefined, preferFile?: string): Collected<TimingSection> {
  const files = preferFile ? [preferFile] : listRunLogs(dataDir, pipeline);
  let chosen: { file: string; lines: RunLogLine[] } | undefined;
  for (const f of files) {
    const lines = readRunLog(f);
    const worked = lines.some((l) => l.type === 'step' && l.status !== 'skipped' && l.step !== 'catalog');
    if (!chosen) chosen = { file: f, lines };
    if (worked) {
      chosen = { file: f, lines };
      break;
    }
  }
  if (!chosen) return {};
  const start = chosen.lines.find((l) => l.type === 'start');
  const end = chosen.lines.find((l) => l.type === 'end');
  const steps = chosen.lines.filter((l): l is StepLogLine => l.type === 'step');
  return {
    value: {
      pipeline: start?.type === 'start' ? start.pipeline : (pipeline ?? '?'),
      startedAt: start?.time ?? '?',
      totalSeconds: end?.type === 'end' ? end.seconds : steps.reduce((a, s) => a + s.seconds, 0),
      status: end?.type === 'end' ? end.status : statusWithoutEnd(steps, preferFile !== undefined),
      logFile: chosen.file,
      steps: steps.map((s) => ({ step: s.step, status: s.status, seconds: s.seconds, counts: s.counts, ...(s.reason ? { reason: s.reason } : {}) })),
    },
  };
}

/**
 * A run log without its end line: the run writing this report (its report step is its last, so every
 * step shown has finished) is ok or failed by its steps; any other run was killed or is still going.
 */
function statusWithoutEnd(steps: StepLogLine[], thisRun: boolean): string {
  if (!thisRun) return 'incomplete (no end record: killed, or still running)';
  return steps.some((s) => s.status === 'failed') ? 'failed' : 'ok';
}

/** The newest training run directory (by metrics.jsonl modification time). */
export function latestRunDir(runsDir: string): string | undefined {
  let best: { dir: string; t: number } | undefined;
  for (const d of listDirs(runsDir)) {
    const f = path.join(d, 'metrics.jsonl');
    try {
      const t = fs.statSync(f).mtimeMs;
      if (!best || t > best.t) best = { dir: d, t };
    } catch {
      /* not a training run */
    }
  }
  return best?.dir;
}

const num = (o: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
};

/** metrics.jsonl (one JSON object per epoch, or per step with an `epoch` field) and config.json of a run. */
export function collectTraining(runDir: string): Collected<TrainingSection> {
  const file = path.join(runDir, 'metrics.jsonl');
  if (!fs.existsSync(file)) return { note: `${runDir} has no metrics.jsonl` };
  const byEpoch = new Map<number, EpochRow>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const kind = typeof o.type === 'string' ? o.type : typeof o.kind === 'string' ? o.kind : 'epoch';
    if (kind !== 'epoch') continue;
    const epoch = num(o, 'epoch');
    if (epoch === undefined) continue;
    const val = (o.validate ?? o.val ?? o.validation) as Record<string, unknown> | undefined;
    const train = (o.train ?? {}) as Record<string, unknown>;
    const row: EpochRow = { epoch };
    const set = <K extends keyof EpochRow>(k: K, v: number | undefined) => {
      if (v !== undefined) row[k] = v as EpochRow[K];
    };
    set('trainLoss', num(o, 'trainLoss', 'train_loss', 'loss') ?? num(train, 'loss'));
    set('trainAcc', num(o, 'trainAcc', 'train_acc', 'trainAccuracy', 'acc', 'accuracy') ?? num(train, 'accuracy', 'acc'));
    set('valLoss', num(o, 'valLoss', 'val_loss', 'validateLoss') ?? (val ? num(val, 'loss') : undefined));
    set('valAcc', num(o, 'valAcc', 'val_acc', 'valAccuracy', 'validateAccuracy') ?? (val ? num(val, 'accuracy', 'acc') : undefined));
    set('valBalancedAcc', num(o, 'valBalancedAcc', 'valBalancedAccuracy', 'val_balanced_acc') ?? (val ? num(val, 'balancedAccuracy', 'balanced_accuracy') : undefined));
    set('lr', num(o, 'lr', 'learningRate'));
    set('seconds', num(o, 'seconds', 'epochSeconds', 'trainSeconds'));
    set('imagesPerSecond', num(o, 'imagesPerSecond', 'images_per_second', 'throughput'));
    byEpoch.set(epoch, { ...byEpoch.get(epoch), ...row });
  }
  let config: Record<string, unknown> | undefined;
  for (const name of ['config.json', 'run.json']) {
    try {
      const c = JSON.parse(fs.readFileSync(path.join(runDir, name), 'utf8')) as Record<string, unknown>;
      config = (c.config && typeof c.config === 'object' ? c.config : c) as Record<string, unknown>;
      break;
    } catch {
      /* try the next name */
    }
  }
  return {
    value: {
      runId: path.basename(runDir),
      dir: runDir,
      ...(config ? { config } : {}),
      epochs: [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch),
    },
  };
}

/** `eval-<split>.json` of a run (test by default). */
export function collectEvaluation(runDir: string, split = 'test', locations?: Map<string, string>): Collected<EvaluationSection> {
  const file = path.join(runDir, `eval-${split}.json`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
  const classes = (o.classes ?? o.classNames ?? o.labels) as string[] | undefined;
  const confusion = (o.confusion ?? o.confusionMatrix) as number[][] | undefined;
  const accuracy = num(o, 'accuracy', 'acc');
  if (!classes || !confusion || accuracy === undefined) return { note: `${file} lacks classes, confusion or accuracy` };
  const images = num(o, 'images', 'samples', 'n', 'count') ?? confusion.flat().reduce((a, b) => a + b, 0);
  const balanced = num(o, 'balancedAccuracy', 'balanced_accuracy') ?? balancedAccuracy(confusion);
  const perRaw = (o.groups ?? o.perDataset ?? o.datasets ?? []) as Array<Record<string, unknown>> | Record<string, Record<string, unknown>>;
  const perList: Array<Record<string, unknown>> = Array.isArray(perRaw) ? perRaw : Object.entries(perRaw).map(([dataset, v]) => ({ dataset, ...v }));
  const perDataset = perList.map((r) => {
    const n = num(r, 'images', 'samples', 'n', 'count', 'total') ?? 0;
    const correct = num(r, 'correct') ?? Math.round((num(r, 'accuracy') ?? 0) * n);
    const dataset = String(r.dataset ?? r.name ?? '?');
    const location = typeof r.location === 'string' ? r.location : locations?.get(dataset);
    return {
      dataset,
      label: String(r.label ?? r.modality ?? r.class ?? r.trueLabel ?? ''),
      images: n,
      correct,
      accuracy: num(r, 'accuracy') ?? (n > 0 ? correct / n : 0),
      ...(location ? { location } : {}),
      ...(typeof r.unseenInTrain === 'boolean' ? { unseenInTrain: r.unseenInTrain } : {}),
    };
  });
  const perClass = classes.map((label, i) => {
    const row = confusion[i] ?? [];
    const tp = row[i] ?? 0;
    const n = row.reduce((a, b) => a + b, 0);
    const predicted = confusion.reduce((a, r) => a + (r[i] ?? 0), 0);
    return { label, images: n, recall: n > 0 ? tp / n : NaN, precision: predicted > 0 ? tp / predicted : NaN };
  });
  const seconds = num(o, 'seconds');
  return {
    value: {
      split: typeof o.split === 'string' ? o.split : split,
      classes,
      accuracy,
      balancedAccuracy: balanced,
      images,
      confusion,
      perClass,
      perDataset,
      ...(seconds !== undefined ? { seconds } : {}),
      ...(isPaperSection(o.paper) ? { paper: o.paper } : {}),
    },
  };
}

/** The eval JSON's `paper` block, when it has the shape the report draws. */
function isPaperSection(v: unknown): v is PaperSection {
  const p = v as PaperSection | undefined;
  return !!p && typeof p === 'object' && Array.isArray(p.rows) && typeof p.ours === 'object' && p.ours !== null;
}

/** Mean recall over the classes present in the split. */
export function balancedAccuracy(confusion: number[][]): number {
  const recalls = confusion
    .map((row, i) => {
      const n = row.reduce((a, b) => a + b, 0);
      return n > 0 ? (row[i] ?? 0) / n : undefined;
    })
    .filter((r): r is number => r !== undefined);
  return recalls.length ? recalls.reduce((a, b) => a + b, 0) / recalls.length : NaN;
}

function listFiles(dir: string): string[] {
  try {
    return fs.readdirSync(dir).map((n) => path.join(dir, n));
  } catch {
    return [];
  }
}

function listDirs(dir: string): string[] {
  try {
    return fs
      .readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => path.join(dir, e.name));
  } catch {
    return [];
  }
}
