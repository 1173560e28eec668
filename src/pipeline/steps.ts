import fs from 'node:fs';
import path from 'node:path';
import { inPartition } from '../core/partition.ts';
import type { Plan } from '../core/types.ts';
import { loadPlan, splitDatasets } from '../curate/index.ts';
import { preprocess, canonicalConfig, importFolder } from '../preprocess/index.ts';
import { importExternal } from '../preprocess/index.ts';
import { importDefaults } from './externals.ts';
import { resolveFrom } from './load.ts';
import { TciaClient } from '../tcia/index.ts';
import { fetchIdc } from './fetchIdc.ts';
import { fetchAndPreprocess, fetchFor, type SourcedFetchResult } from './fetchPreprocess.ts';
import { applyTciaSpelling, fetchTcia } from './fetchTcia.ts';
import { generateReport } from '../report/index.ts';
import { preprocessOptionsOf, type Step, type StepCounts, type StepEnv, type StepOutcome } from './env.ts';
import { digestOf, fileDigest, listingDigest, sidecarsDigest } from './fingerprint.ts';
import { removeWithdrawn, syncCatalog } from './incremental.ts';
import { datasetSteps } from './datasetSteps.ts';
import { trainSteps } from './trainSteps.ts';
import { InputError } from '../core/errors.ts';

/** Steps that run on one partition's slice (`--partition i/P`); the rest run once, on the union (`etl merge`). */
export const PARTITIONED_STEPS = new Set(['catalog', 'plan', 'fetch', 'preprocess', 'import']);

const whole = (env: StepEnv) => env.partition.count === 1;

/** The plan without `inputs.apiUrl`: a stand-in on a new port (or a mirror) is the same plan. */
function planDigest(file: string): string | null {
  let plan: Plan;
  try {
    plan = loadPlan(file);
  } catch {
    return null;
  }
  return digestOf({ ...plan, inputs: { ...plan.inputs, apiUrl: undefined } });
}

function readPlanOrNull(env: StepEnv): Plan | null {
  try {
    return loadPlan(env.ctx.paths.plan(env.planName));
  } catch {
    return null;
  }
}

const catalog: Step = {
  name: 'catalog',
  probe: true,
  applies: () => true,
  inputs: (env) => ({ collections: env.collections, ...(env.source === 'idc' ? { source: 'idc', index: env.idcIndex } : {}) }),
  outputs: (env) => {
    const files = env.collections.map((c) => env.ctx.paths.catalog(env.source === 'idc' ? `${c}.idc` : c));
    return sidecarsDigest(files).digest;
  },
  async run(env) {
    if (env.idc) {
      // IDC: the index release is the catalog; planning from it writes catalog/<Collection>.idc.json.
      const r = await fetchIdc({ ...env.idc, planOnly: true }, env.ctx);
      return { changed: true, counts: { mode: 'idc index', release: r.release, collections: r.collections, series: r.planned } } as StepOutcome;
    }
    const s = env.state;
    const runNumber = s.successfulRuns + 1;
    const prevInputs = s.steps.catalog?.inputs;
    const full =
      env.force ||
      !s.lastSuccessAt ||
      prevInputs !== digestOf({ collections: env.collections }) ||
      runNumber - (s.lastFullListingRun ?? -Infinity) >= env.def.incremental.fullListingEvery;
    const client = new TciaClient({ apiUrl: env.apiUrl, log: env.ctx.log, signal: env.ctx.signal });
    try {
      // TCIA's spelling of each collection name wins; the plan and fetch steps use the matched names.
      await applyTciaSpelling(client, env.fetch, env.ctx);
      env.collections = [...new Set((env.fetch.datasets ?? []).map((d) => d.collection))].sort();
      const r = await syncCatalog(
        client,
        {
          collections: env.collections,
          mode: full ? 'full' : 'incremental',
          ...(s.lastSuccessAt ? { since: new Date(s.lastSuccessAt) } : {}),
          overlapDays: env.def.incremental.overlapDays,
          ...(env.def.source.tcia.concurrency ? { concurrency: env.def.source.tcia.concurrency } : {}),
        },
        env.ctx,
      );
      env.facts.fullListing = full;
      // Withdrawn series leave the dataset: remove what we derived from them in this partition.
      const removed = removeWithdrawn(r.dropped.filter((d) => inPartition(d.seriesUid, env.partition)), env.ctx);
      if (r.dropped.length) env.ctx.log.warn(`${r.dropped.length} series no longer listed by TCIA (dropped from the plan)`);
      return {
        changed: r.changedCollections.length > 0 || removed > 0,
        counts: {
          mode: r.mode,
          ...(r.fromDate ? { since: r.fromDate } : {}),
          collections: r.snapshots.length,
          series: r.series,
          added: r.added,
          updated: r.updated,
          dropped: r.dropped.length,
        },
      };
    } finally {
      client.close();
    }
  },
};

const plan: Step = {
  name: 'plan',
  applies: () => true,
  inputs: (env) => ({
    source: env.source,
    catalog: env.digests.catalog,
    manifest: fileDigest(env.manifestFile),
    datasets: env.fetch.datasets,
    modalities: env.fetch.modalities,
    classMap: env.fetch.classMap,
    caps: env.fetch.caps,
    capOrder: env.fetch.capOrder,
    partition: `${env.partition.index}/${env.partition.count}`,
  }),
  outputs: (env) => planDigest(env.ctx.paths.plan(env.planName)),
  async run(env) {
    const r = env.idc ? await fetchIdc({ ...env.idc, planOnly: true }, env.ctx) : await fetchTcia({ ...env.fetch, apiUrl: env.apiUrl, reuseCatalog: true, planOnly: true }, env.ctx);
    const cappedOut = r.excluded.filter((e) => e.reason === 'over-cap').reduce((n, e) => n + e.series, 0);
    return { counts: { series: r.planned, images: r.plan.series.reduce((n, s) => n + s.keep, 0), 'over cap': cappedOut } };
  },
};

const fetchStep: Step = {
  name: 'fetch',
  applies: () => true,
  // Turning --discard-raw on makes the step run once more, to delete the ZIPs of staged series.
  inputs: (env) => ({ plan: env.digests.plan, ...(env.stream.discardRaw ? { discardRaw: true } : {}) }),
  outputs: (env) => {
    const p = readPlanOrNull(env);
    if (!p) return null;
    return sidecarsDigest(p.series.map((s) => env.ctx.paths.rawSidecar(s.collection, s.seriesUid))).digest;
  },
  async run(env) {
    if (env.stream.overlap) {
      const s = await fetchAndPreprocess(env);
      env.facts.streamed = s;
      return { counts: { ...fetchCounts(s.fetch), 'preprocessed as verified': s.preprocess.staged, 'raw window peak': `${s.windowPeak} of ${s.windowSize}`, ...(env.stream.discardRaw ? { 'raw discarded': s.discarded } : {}) } };
    }
    return { counts: fetchCounts(await fetchFor(env, env.ctx)) };
  },
};

function fetchCounts(r: SourcedFetchResult): StepCounts {
  return {
    ...(r.servedBy ? { 'from IDC': r.servedBy.idc, 'from TCIA': r.servedBy.tcia } : {}),
    series: r.planned,
    downloaded: r.counts.verified,
    present: r.counts.skipped + r.counts.updated + r.counts.recovered,
    failed: r.failedSeries.length,
    images: r.images,
    bytes: r.bytes,
  };
}

const preprocessStep: Step = {
  name: 'preprocess',
  applies: () => true,
  inputs: (env) => ({ raw: env.digests.fetch, config: canonicalConfig(env.preprocess) }),
  outputs: (env) => {
    const p = readPlanOrNull(env);
    if (!p) return null;
    return sidecarsDigest(p.series.map((s) => env.ctx.paths.stagingSidecar(s.collection, s.seriesUid))).digest;
  },
  async run(env): Promise<StepOutcome> {
    const p = readPlanOrNull(env);
    if (!p) throw new InputError('PLAN_MISSING', `plan ${env.ctx.paths.plan(env.planName)} vanished before preprocess`, { hint: 'another process removed it; rerun the pipeline' });
    const pruned = pruneUnplanned(env, p);
    // Overlapped: the fetch step did the work. When it was up to date, this step fetches again what
    // it needs (a series whose ZIP was discarded and whose staging is gone or from another config).
    if (env.stream.overlap || hasDiscardedZips(env, p)) {
      const s = env.facts.streamed ?? (await fetchAndPreprocess(env));
      const r = s.preprocess;
      return { counts: { series: r.series + s.alreadyStaged, staged: r.staged, 'already staged': r.skipped + s.alreadyStaged, failed: r.failed, images: r.images, rejects: r.rejects, pruned, overlapped: 'with fetch' } };
    }
    const r = await preprocess(
      { ...preprocessOptionsOf(env), partition: env.partition, seriesUids: p.series.map((s) => s.seriesUid) },
      env.ctx,
    );
    return { counts: { series: r.series, staged: r.staged, 'already staged': r.skipped, failed: r.failed, images: r.images, rejects: r.rejects, pruned } };
  },
};

/** Whether some planned series was verified and its ZIP deleted since (--discard-raw): only a fetch brings it back. */
function hasDiscardedZips(env: StepEnv, p: Plan): boolean {
  return p.series.some((s) => !fs.existsSync(env.ctx.paths.rawZip(s.collection, s.seriesUid)) && fs.existsSync(env.ctx.paths.rawSidecar(s.collection, s.seriesUid)));
}

/**
 * Staged series of the plan's collections that the plan no longer holds (a lower cap, a withdrawn
 * series) would still be read by split and shard: remove them, sidecar (the commit marker) first.
 */
function pruneUnplanned(env: StepEnv, p: Plan): number {
  const planned = new Set(p.series.map((s) => s.seriesUid));
  const collections = new Set([...p.inputs.collections, ...p.series.map((s) => s.collection)]);
  let pruned = 0;
  for (const c of collections) {
    const dir = env.ctx.paths.stagingDir(c);
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const uid = n.slice(0, -'.json'.length);
      if (planned.has(uid) || !inPartition(uid, env.partition)) continue;
      fs.rmSync(path.join(dir, n), { force: true });
      fs.rmSync(path.join(dir, `${uid}.arrow`), { force: true });
      pruned++;
    }
  }
  if (pruned) env.ctx.log.info(`removed ${pruned} staged series the plan no longer holds`);
  return pruned;
}

/**
 * External sources staged like TCIA series: the pipeline's DICOM/PNG folders (`source.external`) and
 * the manifest's external datasets found under the external directory (CheXpert, MRNet, … through
 * importExternal). Files can change under us, so like the catalog this step checks every run (the
 * importers skip series whose files are unchanged) and reports `skipped` when nothing was staged.
 */
const importStep: Step = {
  name: 'import',
  probe: true,
  applies: (env) => (env.def.source.external?.length ?? 0) > 0 || env.externals.some((e) => e.present),
  inputs: (env) => ({
    external: env.def.source.external,
    manifest: env.externals.filter((e) => e.present).map((e) => ({ dataset: e.dataset.name, format: e.format, dir: e.dir })),
    config: canonicalConfig(env.preprocess),
  }),
  outputs: (env) => {
    const names = new Set([...(env.def.source.external ?? []).map((e) => e.dataset), ...env.externals.filter((e) => e.present).map((e) => e.dataset.name)]);
    return listingDigest(env.ctx.paths.stagingRoot, '.json', (d) => names.has(d)).digest;
  },
  async run(env) {
    const total = { staged: 0, images: 0, series: 0, rejects: 0 };
    const add = (r: { staged: number; images: number; series: number; rejects: number }) => {
      total.staged += r.staged;
      total.images += r.images;
      total.series += r.series;
      total.rejects += r.rejects;
    };
    const pre = { ...preprocessOptionsOf(env), partition: env.partition };
    for (const e of env.def.source.external ?? []) {
      add(
        await importFolder(
          {
            dir: resolveFrom(env.pipeline.baseDir, e.folder),
            dataset: e.dataset,
            location: e.location,
            ...(e.modality ? { modality: e.modality } : {}),
            ...(e.label ? { label: e.label } : {}),
            ...pre,
          },
          env.ctx,
        ),
      );
    }
    const present = env.externals.filter((x) => x.present);
    for (const x of present) add(await importExternal(env.ctx, { format: x.format, dir: x.dir, dataset: x.dataset.name, ...importDefaults(x), ...pre }));
    const folders = (env.def.source.external?.length ?? 0) + present.length;
    return { changed: total.staged > 0, counts: { folders, series: total.series, staged: total.staged, images: total.images, rejects: total.rejects } };
  },
};

const split: Step = {
  name: 'split',
  applies: whole,
  inputs: (env) => ({
    staging: listingDigest(env.ctx.paths.stagingRoot, '.json').digest,
    manifest: fileDigest(env.splitManifestFile),
    auto: env.def.split.auto ?? false,
    targets: env.def.split.targets ?? null,
    strict: env.def.split.strict ?? false,
  }),
  outputs: (env) => fileDigest(env.ctx.paths.splitFile(env.splitManifest.name)),
  async run(env) {
    const t = env.def.split.targets;
    const r = await splitDatasets(
      {
        manifest: env.splitManifestFile,
        ...(env.def.split.auto !== undefined ? { auto: env.def.split.auto } : {}),
        ...(t ? { targets: [t.train, t.validate, t.test] as [number, number, number] } : {}),
        ...(env.def.split.strict !== undefined ? { strict: env.def.split.strict } : {}),
        seed: env.def.shard.seed,
      },
      env.ctx,
    );
    env.ctx.log.info(r.text);
    return {
      counts: {
        datasets: Object.keys(r.result.assignments).length,
        unassigned: r.result.unassigned.length,
        series: r.staged.series,
        images: r.staged.images,
        leakage: r.result.leakage.clean ? 'clean' : 'found',
      },
    };
  },
};

const report: Step = {
  name: 'report',
  applies: (env) => whole(env) && env.def.report.enabled,
  inputs: (env) => ({
    publish: env.digests.publish ?? null,
    train: env.digests.train ?? null,
    evaluate: env.digests.evaluate ?? null,
    plan: env.digests.plan ?? null,
    rejects: fileSize(env.ctx.paths.rejects),
  }),
  outputs: (env) => {
    const dir = reportDir(env);
    const html = fileDigest(path.join(dir, 'report.html'));
    const md = fileDigest(path.join(dir, 'report.md'));
    return html && md ? { html, md } : null;
  },
  async run(env) {
    const r = await generateReport(
      {
        dataDir: env.ctx.dataDir,
        dataset: env.def.shard.name,
        pipeline: env.stateName,
        ...(env.facts.runLog ? { runLog: env.facts.runLog } : {}),
        planName: env.planName,
        splitManifest: env.splitManifest.name,
        ...(env.facts.runDir ? { runDir: env.facts.runDir } : {}),
        ...(env.def.train ? {} : { noTraining: true }),
        outDir: reportDir(env),
        title: `${env.def.name} — medimg-etl report`,
      },
      env.ctx,
    );
    env.facts.reportHtml = r.html;
    env.facts.reportMarkdown = r.markdown;
    return { counts: { charts: r.charts, sections: r.sections } };
  },
};

export function reportDir(env: StepEnv): string {
  return env.ctx.paths.report(env.def.name);
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Every step in pipeline order; `applies` decides which run. */
export function allSteps(): Step[] {
  return [catalog, plan, fetchStep, preprocessStep, importStep, split, ...datasetSteps(), ...trainSteps(), report];
}
