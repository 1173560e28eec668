import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, EtlError, InputError, exitCodeOf, isEtlError, messageOf } from '../core/errors.ts';
import { WHOLE, formatPartition, type Partition } from '../core/partition.ts';
import { loadManifest } from '../curate/index.ts';
import { resolvePreprocessConfig } from '../preprocess/index.ts';
import { resolveEndpoint, validateIndexSpec } from '../idc/index.ts';
import { validateIdcOptions } from './fetchIdc.ts';
import { validateFetchOptions } from './fetchTcia.ts';
import { FETCH_SOURCES, STEP_NAMES, type EvaluationFigures, type FetchSource, type SplitFigures, type Step, type StepEnv, type StepName } from './env.ts';
import { locateExternals, missingExternalLine } from './externals.ts';
import { digestOf } from './fingerprint.ts';
import { loadPipelineFile, parsePipeline, resolveFrom, type LoadedPipeline } from './load.ts';
import { acquireLock } from './lock.ts';
import { RunLog, type StepLogLine } from '../core/runLog.ts';
import type { PipelineDefinition } from './schema.ts';
import { readState, writeState } from './state.ts';
import { resolveStreamOptions } from './streamOptions.ts';
import { PARTITIONED_STEPS, allSteps, reportDir } from './steps.ts';
import { runIdOf } from './trainSteps.ts';
import { readCurrent } from '../shards/index.ts';
import { collectEvaluation } from '../report/index.ts';

/**
 * `etl run`: a pipeline definition → catalog, plan, fetch, preprocess, split, shard, verify, publish,
 * (train, evaluate), report. Each step is skipped when its inputs' fingerprint equals the one recorded
 * in `state/<pipeline>.json` and its outputs are still what it left, so a rerun does no work and a
 * nightly run does only the new work. One run per pipeline at a time (`state/<pipeline>.lock`).
 *
 * Test hook: `ETL_CRASH_AT=<step>` kills the process (SIGKILL, no cleanup) when that step starts;
 * `ETL_CRASH_AT=<step>:after` kills it after the step's work, before its state is recorded.
 */

/** Ctrl-C between steps: exit 130 like any interrupted command; finished steps are kept. */
export class InterruptedError extends EtlError {
  override readonly exitCode = 130;
  constructor() {
    super('INTERRUPTED', 'interrupted', { hint: 'run it again: finished steps are kept and skipped' });
  }
}

export interface RunPipelineOptions {
  /** Overrides `source.tcia.apiUrl` (the demo's in-process stand-in, a mirror). */
  apiUrl?: string;
  /** Run every step even when up to date (the stages still skip work already on disk). */
  force?: boolean;
  /** Run fetch and preprocess on one slice; split onwards runs once over the union (`etl merge`). */
  partition?: Partition;
  /** Run only the steps from split on, over what every partition staged (`etl merge`). */
  mergeOnly?: boolean;
  /** Where series come from (default tcia): see FetchSource. */
  source?: FetchSource;
  /** IDC index file or URL (default: the latest idc-index-data release) and endpoint (aws, gcs or a URL). */
  idcIndex?: string;
  idcEndpoint?: string;
  /** Folder holding the manifest's external datasets (default `<data-dir>/external`). */
  externalDir?: string;
  /** A missing external dataset is an error (exit 2) instead of a line saying where to get it. */
  requireAll?: boolean;
  /** Override the pipeline's `stream:` section (undefined: as the pipeline says, else the defaults). */
  overlap?: boolean;
  discardRaw?: boolean;
  rawWindow?: number;
}

export interface PipelineResult {
  pipeline: string;
  status: 'ok';
  seconds: number;
  logFile: string;
  stateFile: string;
  steps: StepLogLine[];
  ran: number;
  skipped: number;
  dataset?: { name: string; version?: string; dir?: string };
  run?: { id: string; dir: string };
  evaluation?: EvaluationFigures;
  report?: { html: string; markdown: string };
  /** Set when a stale lock of a dead process was taken over. */
  tookOverLock?: { pid: number; host: string; startedAt: string };
}

export async function runPipeline(source: string | LoadedPipeline | PipelineDefinition, options: RunPipelineOptions, ctx: RunContext): Promise<PipelineResult> {
  const pipeline = typeof source === 'string' ? loadPipelineFile(source) : 'definition' in source ? source : inline(source);
  let env: StepEnv;
  try {
    env = prepare(pipeline, options, ctx);
  } catch (err) {
    runOnFailure(pipeline.definition, pipeline.definition.name, ctx, undefined, err, '');
    throw err;
  }
  const steps = allSteps().filter((s) => s.applies(env) && (!options.mergeOnly || !PARTITIONED_STEPS.has(s.name)));

  const lock = acquireLock(ctx.paths.pipelineLock(env.stateName), env.stateName, ctx.log);
  const started = performance.now();
  const log = new RunLog(ctx.dataDir, env.stateName, env.runStartedAt);
  env.facts.runLog = log.file;
  const lines: StepLogLine[] = [];
  let current: StepName | undefined;
  let stepStarted = 0;
  try {
    log.write({
      type: 'start', pipeline: env.stateName, time: env.runStartedAt.toISOString(), pid: process.pid, host: os.hostname(),
      dataDir: ctx.dataDir, apiUrl: env.apiUrl, ...(env.partition.count > 1 ? { partition: formatPartition(env.partition) } : {}),
    });
    const file = ctx.paths.pipelineState(env.stateName);
    ctx.log.info(`pipeline ${env.stateName}: ${steps.map((s) => s.name).join(' → ')} (data ${ctx.dataDir})`);
    for (const step of steps) {
      if (ctx.signal.aborted) throw new InterruptedError();
      current = step.name;
      stepStarted = performance.now();
      crashHook(step.name, 'start');
      const line = await runStep(step, env);
      crashHook(step.name, 'after');
      if (line.status === 'ran' || step.probe) await writeState(file, env.state);
      log.write(line);
      lines.push(line);
      ctx.log.info(`${line.status === 'ran' ? '✓' : '·'} ${step.name.padEnd(10)} ${line.status}${line.reason ? ` (${line.reason})` : ''} ${line.seconds.toFixed(1)} s${formatCounts(line.counts)}`);
    }
    current = undefined;
    env.state.successfulRuns++;
    env.state.lastSuccessAt = env.runStartedAt.toISOString();
    if (env.facts.fullListing) {
      env.state.lastFullListingRun = env.state.successfulRuns;
      env.state.lastFullListingAt = env.runStartedAt.toISOString();
    }
    await writeState(file, env.state);
    const seconds = (performance.now() - started) / 1000;
    log.write({ type: 'end', status: 'ok', exitCode: 0, seconds, time: new Date().toISOString() });
    return result(env, lines, seconds, log.file, file, lock.tookOver);
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    if (current) {
      const failed: StepLogLine = { type: 'step', step: current, status: 'failed', seconds: (performance.now() - stepStarted) / 1000, counts: {}, error: messageOf(err), time: new Date().toISOString() };
      log.write(failed);
    }
    log.write({ type: 'end', status: 'failed', exitCode: exitCodeOf(err), seconds, time: new Date().toISOString(), error: messageOf(err) });
    runOnFailure(env.def, env.stateName, ctx, current, err, log.file);
    throw err;
  } finally {
    lock.release();
  }
}

/** Validate everything that needs no network before the lock is taken and the first step runs. */
export function prepare(pipeline: LoadedPipeline, options: RunPipelineOptions, ctx: RunContext): StepEnv {
  const def = pipeline.definition;
  const partition = options.partition ?? WHOLE;
  if (options.mergeOnly && partition.count > 1) throw new ConfigError('merge runs over every partition: drop `partition`');
  const tcia = def.source.tcia;
  const manifestFile = resolveFrom(pipeline.baseDir, tcia.manifest);
  const splitManifestFile = resolveFrom(pipeline.baseDir, def.split.manifest);
  const manifest = loadManifest(manifestFile);
  const splitManifest = splitManifestFile === manifestFile ? manifest : loadManifest(splitManifestFile);
  const apiUrl = (options.apiUrl ?? tcia.apiUrl).replace(/\/+$/, '');
  const suffix = partition.count > 1 ? `.part-${partition.index}-of-${partition.count}` : '';
  const planName = def.name + suffix;
  const fetch = validateFetchOptions({
    apiUrl,
    manifest: manifestFile,
    ...(tcia.modalities ? { modalities: tcia.modalities } : {}),
    ...(tcia.caps ? { caps: tcia.caps } : {}),
    ...(tcia.capOrder ? { capOrder: tcia.capOrder } : {}),
    ...(tcia.concurrency ? { concurrency: tcia.concurrency } : {}),
    ...(tcia.maxRejectRate !== undefined ? { maxRejectRate: tcia.maxRejectRate } : {}),
    partition,
    planName,
    reuseCatalog: true,
  });
  if (tcia.collections) {
    const wanted = new Set(tcia.collections.map((c) => c.toUpperCase()));
    const known = new Set((fetch.datasets ?? []).map((d) => d.collection.toUpperCase()));
    const unknown = tcia.collections.filter((c) => !known.has(c.toUpperCase()));
    if (unknown.length) {
      throw new ConfigError(`${pipeline.source}: source.tcia.collections: ${unknown.map((c) => `"${c}"`).join(', ')} not in ${tcia.manifest}`, {
        hint: 'collections restrict the manifest; add the dataset to the manifest first',
      });
    }
    fetch.datasets = (fetch.datasets ?? []).filter((d) => wanted.has(d.collection.toUpperCase()));
  }
  const sourceKind = options.source ?? 'tcia';
  if (!(FETCH_SOURCES as readonly string[]).includes(sourceKind)) throw new ConfigError(`\`source\` must be one of ${FETCH_SOURCES.join(', ')}, got "${sourceKind}"`);
  const idcIndex = sourceKind === 'tcia' ? (options.idcIndex ?? '') : validateIndexSpec(options.idcIndex);
  const idcEndpoint = resolveEndpoint(options.idcEndpoint);
  const idc =
    sourceKind === 'idc'
      ? validateIdcOptions({
          index: idcIndex,
          endpoint: idcEndpoint.url,
          manifest: manifestFile,
          ...(tcia.modalities ? { modalities: tcia.modalities } : {}),
          ...(tcia.caps ? { caps: tcia.caps } : {}),
          ...(tcia.capOrder ? { capOrder: tcia.capOrder } : {}),
          ...(tcia.maxRejectRate !== undefined ? { maxRejectRate: tcia.maxRejectRate } : {}),
          partition,
          planName,
        })
      : undefined;
  if (idc && idc.source.kind === 'manifest') {
    const keep = new Set((fetch.datasets ?? []).map((d) => d.name));
    idc.source.datasets = idc.source.datasets.filter((d) => keep.has(d.name));
  }
  const stream = resolveStreamOptions(
    { ...(options.overlap !== undefined ? { overlap: options.overlap } : {}), ...(options.discardRaw !== undefined ? { discardRaw: options.discardRaw } : {}), ...(options.rawWindow !== undefined ? { rawWindow: options.rawWindow } : {}) },
    def.stream,
  );
  const pre = def.preprocess;
  const preprocess = resolvePreprocessConfig({ size: pre.size, fit: pre.fit, normalize: pre.normalize, ...(pre.colour ? { colour: pre.colour } : {}) });
  if (def.train && def.train.imageSize > pre.size) {
    throw new ConfigError(`${pipeline.source}: train.imageSize ${def.train.imageSize} is larger than preprocess.size ${pre.size}`, {
      hint: 'train at the staged size or smaller',
    });
  }
  const externals = locateExternals(manifest.datasets, path.resolve(options.externalDir ?? ctx.paths.external), manifestFile);
  const missing = externals.filter((e) => !e.present);
  if (missing.length && options.requireAll) {
    throw new InputError('EXTERNAL_MISSING', `${missing.length} of ${externals.length} external datasets are missing: ${missing.map((e) => e.dataset.name).join(', ')}`, {
      hint: missing.map(missingExternalLine).join('\n'),
    });
  }
  if (!options.mergeOnly) for (const e of missing) ctx.log.warn(missingExternalLine(e));
  const stateName = options.mergeOnly ? def.name : planName;
  const state = readState(ctx.paths.pipelineState(stateName), stateName);
  return {
    def,
    pipeline,
    ctx,
    apiUrl,
    partition,
    planName,
    stateName,
    force: options.force ?? false,
    state,
    runStartedAt: new Date(),
    manifestFile,
    manifest,
    splitManifestFile,
    splitManifest,
    fetch,
    source: sourceKind,
    idcIndex,
    idcEndpoint,
    idc,
    preprocess,
    stream,
    collections: [...new Set((fetch.datasets ?? []).map((d) => d.collection))].sort(),
    externals,
    digests: {},
    facts: {},
  };
}

/** Decide, run and record one step. */
async function runStep(step: Step, env: StepEnv): Promise<StepLogLine> {
  const t0 = performance.now();
  const inputs = digestOf(await step.inputs(env));
  const prev = env.state.steps[step.name];
  const outBefore = await step.outputs(env);
  const outBeforeDigest = outBefore === null ? null : digestOf(outBefore);
  const upToDate = prev !== undefined && prev.inputs === inputs && outBeforeDigest !== null && outBeforeDigest === prev.outputs;
  const line = (status: 'ran' | 'skipped', counts: Record<string, number | string>, reason: string): StepLogLine => ({
    type: 'step', step: step.name, status, seconds: (performance.now() - t0) / 1000, counts, reason, time: new Date().toISOString(),
  });

  if (upToDate && !env.force && !step.probe) {
    env.digests[step.name] = outBeforeDigest!;
    return line('skipped', {}, 'up to date');
  }
  const reason = env.force ? 'forced' : !prev ? 'first run' : prev.inputs !== inputs ? 'inputs changed' : outBeforeDigest === null ? 'outputs missing' : 'outputs changed';
  const outcome = await step.run(env);
  // Interrupted work returns early: record nothing, so the next run does the step again.
  if (env.ctx.signal.aborted) throw new InterruptedError();
  const outAfter = await step.outputs(env);
  if (outAfter === null) throw new Error(`step ${step.name} finished but its outputs are missing`);
  const outputs = digestOf(outAfter);
  env.digests[step.name] = outputs;
  const seconds = (performance.now() - t0) / 1000;
  env.state.steps[step.name] = { inputs, outputs, finishedAt: new Date().toISOString(), seconds, counts: outcome.counts };
  if (step.probe && outcome.changed === false && prev && prev.outputs === outputs) return line('skipped', outcome.counts, 'no changes at the source');
  return line('ran', outcome.counts, reason);
}

/**
 * Test hook (documented in pipelines/README.md): `ETL_CRASH_AT=<step>` or `<step>:after` kills this
 * process with SIGKILL — no cleanup, no finally blocks — to prove a crash anywhere is recoverable.
 */
function crashHook(step: StepName, when: 'start' | 'after'): void {
  const at = process.env.ETL_CRASH_AT;
  if (!at) return;
  const [name, phase = 'start'] = at.split(':');
  if (name === step && phase === when) process.kill(process.pid, 'SIGKILL');
}

/**
 * `on_failure`: a shell command told what failed through environment variables (ETL_STEP is empty when
 * the run failed before its first step, e.g. a missing manifest); its own failure is only logged.
 */
function runOnFailure(def: PipelineDefinition, name: string, ctx: RunContext, step: StepName | undefined, err: unknown, logFile: string): void {
  const cmd = def.on_failure;
  if (!cmd) return;
  const r = spawnSync(cmd, {
    shell: true,
    stdio: ['ignore', 'inherit', 'inherit'],
    timeout: 120_000,
    env: {
      ...process.env,
      ETL_PIPELINE: name,
      ETL_STEP: step ?? '',
      ETL_EXIT_CODE: String(exitCodeOf(err)),
      ETL_ERROR_CODE: isEtlError(err) ? err.code : 'BUG',
      ETL_ERROR: messageOf(err),
      ETL_LOG: logFile,
      ETL_DATA_DIR: ctx.dataDir,
    },
  });
  if (r.error || r.status !== 0) ctx.log.warn(`on_failure command failed (${r.error ? r.error.message : `exit ${r.status}`})`);
}

function result(env: StepEnv, lines: StepLogLine[], seconds: number, logFile: string, stateFile: string, tookOver: PipelineResult['tookOverLock']): PipelineResult {
  const r: PipelineResult = {
    pipeline: env.stateName,
    status: 'ok',
    seconds,
    logFile,
    stateFile,
    steps: lines,
    ran: lines.filter((l) => l.status === 'ran').length,
    skipped: lines.filter((l) => l.status === 'skipped').length,
  };
  // Skipped steps set no facts: what they left on disk is the answer.
  if (env.partition.count === 1) {
    const root = env.ctx.paths.datasetRoot(env.def.shard.name);
    const version = env.facts.datasetVersion ?? safe(() => readCurrent(root));
    r.dataset = { name: env.def.shard.name, ...(version ? { version, dir: path.join(root, version) } : {}) };
    const runId = runIdOf(env);
    const runDir = env.facts.runDir ?? (runId && fs.existsSync(env.ctx.paths.run(runId)) ? env.ctx.paths.run(runId) : undefined);
    if (runDir) r.run = { id: path.basename(runDir), dir: runDir };
    const evaluation = env.facts.evaluation ?? (runDir ? readEvaluation(runDir) : undefined);
    if (evaluation) r.evaluation = evaluation;
    const html = env.facts.reportHtml ?? path.join(reportDir(env), 'report.html');
    const markdown = env.facts.reportMarkdown ?? path.join(reportDir(env), 'report.md');
    if (env.def.report.enabled && fs.existsSync(html)) r.report = { html, markdown };
  }
  if (tookOver) r.tookOverLock = { pid: tookOver.pid, host: tookOver.host, startedAt: tookOver.startedAt };
  return r;
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

function readEvaluation(runDir: string): PipelineResult['evaluation'] {
  const figures = (split: string) => {
    const file = path.join(runDir, `eval-${split}.json`);
    const e = collectEvaluation(runDir, split).value;
    if (!e) return undefined;
    const unseen = safe(() => (JSON.parse(fs.readFileSync(file, 'utf8')) as { unseen?: SplitFigures['unseen'] | null }).unseen);
    return {
      accuracy: e.accuracy,
      balancedAccuracy: e.balancedAccuracy,
      images: e.images,
      ...(unseen ? { unseen: { pairs: unseen.pairs, balancedAccuracy: unseen.balancedAccuracy } } : {}),
      ...(e.paper?.headline ? { paper: e.paper.headline } : {}),
    };
  };
  const test = figures('test');
  const validation = figures('validate');
  if (validation) delete validation.paper;
  return test ? { ...test, split: 'test', ...(validation ? { validation } : {}) } : undefined;
}

function inline(def: PipelineDefinition): LoadedPipeline {
  return { definition: parsePipeline(def), source: '<inline>', baseDir: process.cwd() };
}

function formatCounts(c: Record<string, number | string>): string {
  const parts = Object.entries(c).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toLocaleString('en-US') : v}`);
  return parts.length ? ` — ${parts.join(', ')}` : '';
}

export { STEP_NAMES };
