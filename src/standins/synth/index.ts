import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import crypto from 'node:crypto';
import { ConfigError, InputError } from '../../core/errors.ts';
import { stableJson, writeFileAtomic, writeJsonAtomic } from '../../core/fsAtomic.ts';
import type { Logger } from '../../core/log.ts';
import type { Split } from '../../core/types.ts';
import { DEFAULT_CLASS_MAP } from '../../core/types.ts';
import { assignStorage, planCollection, planPatient, type SeriesPlan } from './plan.ts';
import { SYNTH_PRESETS, presetSpecs, type CollectionSpec, type SynthPreset } from './presets.ts';
import { writeSeries, type SeriesResult } from './series.ts';
import { runSeries } from './pool.ts';

export type { SynthPreset } from './presets.ts';
export { SYNTH_PRESETS } from './presets.ts';

export interface SynthOptions {
  preset: SynthPreset;
  out: string;
  /** Default 1. */
  seed?: number;
  log?: Logger;
  /** Worker threads for generation (default: 1 for tiny, else min(4, cores)). Output does not depend on it. */
  workers?: number;
  /** Stop early (the partial tree is removed; nothing under `out` changes). */
  signal?: AbortSignal;
  /** Called after each series with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

export interface SynthCollectionSummary {
  collection: string;
  label: string;
  modality: string;
  location: string;
  /** Series folders: image series plus non-image (SEG/RTSTRUCT/SR) series. */
  series: number;
  /** Valid image instances (corrupt and non-image files not counted). */
  images: number;
  split: Split;
}

export interface SynthSummary {
  collections: SynthCollectionSummary[];
  /** Every file written under the collections (images, non-image objects, corrupt files). */
  files: number;
  bytes: number;
  corrupt: number;
  nonImage: number;
}

/**
 * Revision of the generators' output: bumped when the same (preset, seed) renders different collections,
 * so a cached archive (the demo's) is regenerated rather than mixed with the new manifest.
 */
export const SYNTH_GENERATOR = 6;

/** `<out>/synth.json`: what made this folder; written last, so its presence means "complete". */
export interface SynthRecord {
  version: 1;
  /** SYNTH_GENERATOR that wrote it (absent: revision 1). */
  generator?: number;
  preset: SynthPreset;
  seed: number;
  summary: SynthSummary;
  /** Releases added later by `synthesizeUpdate`, in order. */
  releases: Array<{ collection: string; series: string[]; dateReleased: string }>;
}

/** `<out>/<Collection>/collection.json` — read by the stand-in TCIA server. */
export interface CollectionRecord {
  collection: string;
  licenseName: string;
  licenseUri: string;
  dataDescriptionUri: string;
  site: string;
  series: Record<string, { dateReleased: string; maxSubmissionTimestamp: string }>;
}

export const SYNTH_FILE = 'synth.json';

export function isSynthOutput(dir: string): boolean {
  return fs.existsSync(path.join(dir, SYNTH_FILE));
}

/**
 * Generates a synthetic TCIA-like archive under `out`: Part-10 files in
 * `<Collection>/<PatientID>/<StudyUID>/<SeriesUID>/<NNNNNN>.dcm`, a `collection.json` per
 * collection and `synth.json`. Output is a pure function of (preset, seed). The tree is built in
 * a sibling temporary folder and renamed into place at the end, so a killed run never leaves a
 * half preset that looks complete; an existing previous synth output is replaced.
 */
export async function synthesize(opts: SynthOptions): Promise<SynthSummary> {
  if (!SYNTH_PRESETS.includes(opts.preset)) {
    throw new ConfigError(`unknown synth preset "${String(opts.preset)}"`, { hint: `use one of ${SYNTH_PRESETS.join(', ')}` });
  }
  const seed = opts.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`--seed must be a non-negative integer, got ${seed}`);
  const out = path.resolve(opts.out);
  checkOutDir(out);

  const specs = presetSpecs(opts.preset);
  const plans = specs.map((s) => planCollection(s, seed));
  const all = plans.flat();
  await removeStaleSiblings(out);
  const tmp = `${out}.synth-${process.pid}-${crypto.randomBytes(3).toString('hex')}.tmp`;
  await fsp.mkdir(tmp, { recursive: true });
  try {
    const workers = opts.workers ?? (opts.preset === 'tiny' ? 1 : 0);
    const started = performance.now();
    const results = await runSeries(all, tmp, workers, opts.signal, (done) => opts.onProgress?.(done, all.length));
    const summary = summarize(specs, plans, results);
    // Several specs may share a collection (one per modality): one collection.json lists all their series.
    const byCollection = new Map<string, { spec: CollectionSpec; plans: SeriesPlan[] }>();
    for (const [i, spec] of specs.entries()) {
      const g = byCollection.get(spec.collection);
      if (g) g.plans.push(...plans[i]!);
      else byCollection.set(spec.collection, { spec, plans: [...plans[i]!] });
    }
    for (const [collection, g] of byCollection) await writeJsonAtomic(path.join(tmp, collection, 'collection.json'), collectionRecord(g.spec, g.plans));
    const record: SynthRecord = { version: 1, generator: SYNTH_GENERATOR, preset: opts.preset, seed, summary, releases: [] };
    await writeJsonAtomic(path.join(tmp, SYNTH_FILE), record);
    await swapInto(tmp, out);
    opts.log?.debug(`synth ${opts.preset} done`, { seconds: ((performance.now() - started) / 1000).toFixed(1) });
    return summary;
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

function checkOutDir(out: string): void {
  if (!fs.existsSync(out)) return;
  if (!fs.statSync(out).isDirectory()) throw new ConfigError(`--out ${out} exists and is not a folder`, { hint: 'pass a new or empty folder' });
  if (fs.readdirSync(out).length > 0 && !isSynthOutput(out)) {
    throw new ConfigError(`--out ${out} is not empty and is not a previous synth output (no ${SYNTH_FILE})`, {
      hint: 'pass a new or empty folder; synth only replaces folders it made itself',
    });
  }
}

/**
 * Temporary siblings (`<out>.synth-<pid>-….tmp`, `<out>.old-<pid>-….tmp`) left by a killed run:
 * removed when their process is gone.
 */
async function removeStaleSiblings(out: string): Promise<void> {
  const dir = path.dirname(out);
  const base = path.basename(out);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^(?:synth|old)-(\d+)-[0-9a-f]+\.tmp$/.exec(name.startsWith(base + '.') ? name.slice(base.length + 1) : '');
    if (!m || isAlive(Number(m[1]))) continue;
    await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Renames the finished tree into place; an older synth output is moved aside first, then removed. */
async function swapInto(tmp: string, out: string): Promise<void> {
  let old: string | undefined;
  if (fs.existsSync(out)) {
    old = `${out}.old-${process.pid}-${crypto.randomBytes(3).toString('hex')}.tmp`;
    await fsp.rename(out, old);
  }
  await fsp.rename(tmp, out);
  if (old) await fsp.rm(old, { recursive: true, force: true });
}

function collectionRecord(spec: CollectionSpec, plans: SeriesPlan[]): CollectionRecord {
  const series: CollectionRecord['series'] = {};
  for (const p of plans) series[p.seriesUid] = { dateReleased: p.dateReleased, maxSubmissionTimestamp: p.maxSubmissionTimestamp };
  return {
    collection: spec.collection,
    licenseName: 'Creative Commons Attribution 4.0 International License',
    licenseUri: 'https://creativecommons.org/licenses/by/4.0/',
    // 10.5072 is the DOI test prefix: it never resolves to a real dataset.
    dataDescriptionUri: `https://doi.org/10.5072/synth.${spec.collection.toLowerCase()}`,
    site: spec.site,
    series,
  };
}

function summarize(specs: CollectionSpec[], plans: SeriesPlan[][], results: SeriesResult[]): SynthSummary {
  const byUid = new Map(results.map((r) => [r.seriesUid, r]));
  const summary: SynthSummary = { collections: [], files: 0, bytes: 0, corrupt: 0, nonImage: 0 };
  specs.forEach((spec, i) => {
    let images = 0;
    for (const p of plans[i]!) {
      const r = byUid.get(p.seriesUid)!;
      images += r.images;
      summary.files += r.files;
      summary.bytes += r.bytes;
      summary.corrupt += r.corrupt;
      summary.nonImage += r.nonImage;
    }
    summary.collections.push({
      collection: spec.collection,
      label: DEFAULT_CLASS_MAP[spec.modality]!,
      modality: spec.modality,
      location: spec.location,
      series: plans[i]!.length,
      images,
      split: spec.split,
    });
  });
  return summary;
}

export interface ReleaseOptions {
  /** Collection to add to (default: the first of the preset). */
  collection?: string;
  /** New image series to add (as one new patient with one study). */
  series: number;
  /** YYYY-MM-DD release date of the new series. */
  dateReleased: string;
  log?: Logger;
}

/**
 * "New data arrived": adds `series` new image series to an existing synth output (a new patient in
 * the collection), updates collection.json, then synth.json. Deterministic from (preset, seed,
 * collection, dateReleased, patient count). Series are written to a temporary folder and renamed
 * into place one by one, before collection.json names them.
 */
export async function synthesizeUpdate(out: string, opts: ReleaseOptions): Promise<{ collection: string; patientId: string; series: string[]; images: number }> {
  const root = path.resolve(out);
  if (!isSynthOutput(root)) throw new InputError('SYNTH_MISSING', `${root} is not a synth output (no ${SYNTH_FILE})`, { hint: 'run `etl tcia synth` first' });
  if (!/^\d{4}-\d{2}-\d{2}$/.test(opts.dateReleased) || Number.isNaN(Date.parse(opts.dateReleased + 'T00:00:00Z'))) throw new ConfigError(`dateReleased must be YYYY-MM-DD, got "${opts.dateReleased}"`);
  if (!Number.isInteger(opts.series) || opts.series < 1) throw new ConfigError(`series must be a positive integer, got ${opts.series}`);
  const record = JSON.parse(await fsp.readFile(path.join(root, SYNTH_FILE), 'utf8')) as SynthRecord;
  const specs = presetSpecs(record.preset);
  const spec = opts.collection ? specs.find((s) => s.collection === opts.collection) : specs[0];
  if (!spec) throw new ConfigError(`collection "${opts.collection}" is not in preset ${record.preset}`, { hint: `one of ${specs.map((s) => s.collection).join(', ')}` });
  const collDir = path.join(root, spec.collection);
  const patients = (await fsp.readdir(collDir, { withFileTypes: true })).filter((e) => e.isDirectory()).length;
  const plans = planPatient(spec, record.seed, patients, { releaseOverride: opts.dateReleased, seriesOverride: opts.series });
  assignStorage({ ...spec, corrupt: [] }, plans, record.seed, patients);
  const tmp = path.join(root, `.release-${process.pid}-${crypto.randomBytes(3).toString('hex')}.tmp`);
  const results: SeriesResult[] = [];
  try {
    for (const p of plans) {
      results.push(await writeSeries(p, tmp));
      const dest = path.join(root, p.dir);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(path.join(tmp, p.dir), dest);
    }
  } finally {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
  const collFile = path.join(collDir, 'collection.json');
  const coll = JSON.parse(await fsp.readFile(collFile, 'utf8')) as CollectionRecord;
  for (const p of plans) coll.series[p.seriesUid] = { dateReleased: p.dateReleased, maxSubmissionTimestamp: p.maxSubmissionTimestamp };
  await writeFileAtomic(collFile, stableJson(coll));
  const images = results.reduce((a, r) => a + r.images, 0);
  const entry = record.summary.collections.find((c) => c.collection === spec.collection)!;
  entry.series += plans.length;
  entry.images += images;
  record.summary.files += results.reduce((a, r) => a + r.files, 0);
  record.summary.bytes += results.reduce((a, r) => a + r.bytes, 0);
  record.releases.push({ collection: spec.collection, series: plans.map((p) => p.seriesUid), dateReleased: opts.dateReleased });
  await writeJsonAtomic(path.join(root, SYNTH_FILE), record);
  opts.log?.info(`synth release: ${plans.length} series, ${images} images added to ${spec.collection}`);
  return { collection: spec.collection, patientId: plans[0]!.patientId, series: plans.map((p) => p.seriesUid), images };
}
