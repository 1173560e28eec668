import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, DataError, InputError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { SPLITS, type Split, type StagingRecord } from '../core/types.ts';
import { loadStaging } from '../preprocess/index.ts';
import { balanceSplits, type BalanceResult, type CountCell } from './balance.ts';
import { LeakageCollector, formatLeakage, type LeakageReport } from './leakage.ts';
import { loadManifest, type DatasetManifest } from './manifest.ts';

/**
 * `etl split`: the dataset-level split. Datasets take the split their manifest entry assigns; a
 * scan of staging gives image counts per dataset × class × location and feeds the leakage check;
 * `--auto` proposes splits for unassigned datasets into a separate file for review (the manifest
 * is never edited). The result, `splits/<manifest>.json`, is what `etl shard --split-file` reads.
 */

export const LEAKAGE_EXIT = 2;

/** Leakage found with --strict: a data problem the user must resolve before sharding. Exit 2. */
export class LeakageError extends InputError {
  constructor(message: string, readonly report: LeakageReport) {
    super('SPLIT_LEAKAGE', message, {
      hint: 'move the datasets that share patients or images to the same split in the manifest, or drop `strict` to accept them with a warning',
    });
  }
}

export interface StagedSeriesRef {
  collection: string;
  seriesUid: string;
  arrow: string;
  record: StagingRecord;
}

/**
 * Every staged series, in a fixed sorted order (collection, then series UID). The sidecar `.json`
 * is the commit marker: a series counts only when it and its `.arrow` file exist.
 */
export function listStagedSeries(ctx: RunContext): StagedSeriesRef[] {
  const root = ctx.paths.stagingRoot;
  if (!fs.existsSync(root)) return [];
  const out: StagedSeriesRef[] = [];
  for (const coll of fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()) {
    const dir = path.join(root, coll);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
      const sidecar = path.join(dir, f);
      const arrow = sidecar.slice(0, -'.json'.length) + '.arrow';
      let record: StagingRecord;
      try {
        record = JSON.parse(fs.readFileSync(sidecar, 'utf8')) as StagingRecord;
      } catch (error) {
        ctx.rejects.record({ stage: 'split', key: sidecar, error, code: 'STAGING_SIDECAR_UNREADABLE', file: sidecar });
        continue;
      }
      if (!fs.existsSync(arrow)) {
        ctx.rejects.record({ stage: 'split', key: sidecar, error: new DataError('STAGING_MISSING', `sidecar without ${path.basename(arrow)}`), code: 'STAGING_MISSING', file: arrow });
        continue;
      }
      out.push({ collection: record.collection ?? coll, seriesUid: record.seriesUid ?? f.slice(0, -5), arrow, record });
    }
  }
  return out;
}

export interface SplitTableRow {
  split: Split | 'unassigned';
  label: string;
  location: string;
  datasets: number;
  images: number;
  /** A validate/test class × location that train has no image of: accuracy there measures generalisation. */
  unseenInTrain?: boolean;
}

/** Figure 3 of the paper as data: images per split × class × location. */
export interface SplitTable {
  rows: SplitTableRow[];
  /** images per split per class */
  totals: Record<string, Record<string, number>>;
  /** Per validate/test: its class × location pairs that train lacks, as "CLASS location". */
  unseen: { validate: string[]; test: string[] };
}

export interface SplitFile {
  version: 1;
  manifest: string;
  manifestPath: string;
  manifestSha256: string;
  assignments: Record<string, Split>;
  /** Datasets found in staging (or the manifest) without a split: left out of shards. */
  unassigned: string[];
  /** Per dataset × class × location. */
  counts: Array<CountCell & { split: Split | 'unassigned' }>;
  table: SplitTable;
  leakage: LeakageReport;
}

export interface SplitProposal {
  version: 1;
  manifest: string;
  manifestSha256: string;
  targets: [number, number, number];
  seed: number;
  /** Splits proposed for datasets the manifest leaves unassigned: copy reviewed ones into the manifest. */
  proposed: Record<string, Split>;
  fixed: Record<string, Split>;
  score: number;
  search: BalanceResult['search'];
  perClass: BalanceResult['perClass'];
  table: SplitTable;
  leakage: LeakageReport;
}

export interface SplitOptions {
  manifest: string;
  auto?: boolean;
  targets?: [number, number, number];
  strict?: boolean;
  seed?: number;
}

export interface SplitOutcome {
  file: string;
  result: SplitFile;
  proposalFile?: string;
  proposal?: SplitProposal;
  /** Human-readable report: the table and the leakage check. */
  text: string;
  staged: { series: number; images: number };
}

/** Tie-break seed of the balancer (`auto`). */
export const DEFAULT_SPLIT_SEED = 0;

export const DEFAULT_TARGETS: [number, number, number] = [0.7, 0.15, 0.15];

interface Scan {
  cells: CountCell[];
  leakage: LeakageCollector;
  series: number;
  images: number;
}

/** Read every staged series once: counts per dataset × class × location, and leakage keys. */
export async function scanStaging(ctx: RunContext, manifest: DatasetManifest | undefined): Promise<Scan> {
  const locationOf = new Map((manifest?.datasets ?? []).map((d) => [d.name, d.location]));
  const cells = new Map<string, CountCell>();
  const leakage = new LeakageCollector();
  let series = 0;
  let images = 0;
  const staged = listStagedSeries(ctx);
  const progress = ctx.progress('scan staging', staged.length, 'series');
  for (const s of staged) {
    if (ctx.signal.aborted) throw new InputError('ABORTED', 'interrupted while scanning staging');
    let file;
    try {
      file = await loadStaging(s.arrow);
    } catch (error) {
      ctx.rejects.record({ stage: 'split', key: `${s.collection}/${s.seriesUid}`, error, file: s.arrow, seriesUid: s.seriesUid });
      progress.tick();
      continue;
    }
    series++;
    for (const x of file.samples) {
      const location = locationOf.get(x.dataset) ?? x.bodyPart ?? 'UNKNOWN';
      const key = `${x.dataset}\u0000${x.label}\u0000${location}`;
      const cell = cells.get(key);
      if (cell) cell.images++;
      else cells.set(key, { dataset: x.dataset, label: x.label, location, images: 1 });
      leakage.add(x.dataset, x.patientId, x.pixelHash, `${x.dataset}/${x.seriesUid}/${x.sopUid}#${x.frame}`);
      images++;
    }
    progress.tick();
  }
  progress.stop();
  const sorted = [...cells.values()].sort(
    (a, b) => a.dataset.localeCompare(b.dataset) || a.label.localeCompare(b.label) || a.location.localeCompare(b.location),
  );
  return { cells: sorted, leakage, series, images };
}

export function buildSplitTable(cells: CountCell[], assignments: Readonly<Record<string, Split>>): SplitTable {
  const rows = new Map<string, { row: SplitTableRow; datasets: Set<string> }>();
  const totals: Record<string, Record<string, number>> = {};
  for (const c of cells) {
    const split = assignments[c.dataset] ?? 'unassigned';
    const key = `${split}\u0000${c.label}\u0000${c.location}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { row: { split, label: c.label, location: c.location, datasets: 0, images: 0 }, datasets: new Set() }));
    r.row.images += c.images;
    r.datasets.add(c.dataset);
    const t = (totals[split] ??= {});
    t[c.label] = (t[c.label] ?? 0) + c.images;
  }
  const splitRank = (s: string) => (SPLITS as readonly string[]).indexOf(s) + 1 || 99;
  const trainPairs = new Set([...rows.values()].filter((r) => r.row.split === 'train').map((r) => `${r.row.label} ${r.row.location}`));
  const out = [...rows.values()]
    .map((r) => {
      const row: SplitTableRow = { ...r.row, datasets: r.datasets.size };
      if ((r.row.split === 'validate' || r.row.split === 'test') && !trainPairs.has(`${r.row.label} ${r.row.location}`)) row.unseenInTrain = true;
      return row;
    })
    .sort((a, b) => splitRank(a.split) - splitRank(b.split) || a.label.localeCompare(b.label) || a.location.localeCompare(b.location));
  const unseenOf = (split: Split) => out.filter((r) => r.split === split && r.unseenInTrain).map((r) => `${r.label} ${r.location}`);
  return { rows: out, totals, unseen: { validate: unseenOf('validate'), test: unseenOf('test') } };
}

export function formatSplitTable(t: SplitTable): string {
  const head = ['split', 'class', 'location', 'datasets', 'images', ''];
  const body = t.rows.map((r) => [r.split, r.label, r.location, String(r.datasets), String(r.images), r.unseenInTrain ? 'location unseen in train' : '']);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i === 3 || i === 4 ? c.padStart(w[i]!) : c.padEnd(w[i]!))).join('  ').trimEnd();
  const lines = [line(head), ...body.map(line)];
  for (const [split, byClass] of Object.entries(t.totals)) {
    lines.push(`${split}: ${Object.entries(byClass).sort().map(([c, n]) => `${c} ${n}`).join(', ')}`);
  }
  // Older split files (before the flag) have no `unseen`.
  for (const split of ['validate', 'test'] as const) {
    const pairs = t.unseen?.[split] ?? [];
    if (t.totals[split]) lines.push(`${split}: ${pairs.length ? `class × location unseen in train: ${pairs.join(', ')}` : 'every class × location is also in train (no test of unseen locations)'}`);
  }
  return lines.join('\n');
}

export function parseTargets(text: string | undefined): [number, number, number] {
  if (text === undefined) return DEFAULT_TARGETS;
  const parts = text.split(',').map((x) => Number(x.trim()));
  if (parts.length !== 3 || parts.some((x) => !Number.isFinite(x) || x < 0) || parts.reduce((a, b) => a + b, 0) <= 0) {
    throw new ConfigError(`\`targets\` must be three non-negative fractions for train,validate,test (got "${text}")`, {
      hint: 'e.g. `targets` 0.70,0.15,0.15',
    });
  }
  return parts as [number, number, number];
}

/** `etl split` as a library call (also used by the pipeline runner). */
export async function splitDatasets(options: SplitOptions, ctx: RunContext): Promise<SplitOutcome> {
  const manifest = loadManifest(options.manifest);
  const manifestSha256 = sha256Hex(fs.readFileSync(options.manifest));
  const targets = options.targets ?? DEFAULT_TARGETS;
  const seed = options.seed ?? DEFAULT_SPLIT_SEED;
  const scan = await scanStaging(ctx, manifest);
  if (scan.images === 0) {
    throw new InputError('SPLIT_NO_DATA', `no staged samples under ${ctx.paths.stagingRoot}`, {
      hint: 'run `etl preprocess` (or `etl import`) first, or pass the right --data-dir',
    });
  }
  const inManifest = new Set(manifest.datasets.map((d) => d.name));
  const stagedDatasets = [...new Set(scan.cells.map((c) => c.dataset))].sort();
  const unknown = stagedDatasets.filter((d) => !inManifest.has(d));
  if (unknown.length > 0 && !options.auto) {
    throw new ConfigError(
      `staging holds ${unknown.length} dataset(s) not in manifest ${manifest.name}: ${unknown.slice(0, 5).join(', ')}${unknown.length > 5 ? ', …' : ''}`,
      { hint: 'add them to the manifest (with a split), or run with `auto` to get a proposal for review' },
    );
  }
  const assignments: Record<string, Split> = {};
  for (const d of manifest.datasets) if (d.split) assignments[d.name] = d.split;
  const unassigned = [...new Set([...stagedDatasets, ...manifest.datasets.map((d) => d.name)])]
    .filter((d) => assignments[d] === undefined)
    .sort();
  const missing = Object.keys(assignments).filter((d) => !stagedDatasets.includes(d));
  if (missing.length > 0) ctx.log.warn(`manifest datasets with a split but nothing staged: ${missing.join(', ')}`);

  const leakage = scan.leakage.report(assignments);
  const leakageText = formatLeakage(leakage);
  if (!leakage.clean) {
    if (options.strict) throw new LeakageError(leakageText.split('\n')[0]!, leakage);
    ctx.log.warn(leakageText);
  }
  const table = buildSplitTable(scan.cells, assignments);
  const result: SplitFile = {
    version: 1,
    manifest: manifest.name,
    manifestPath: options.manifest,
    manifestSha256,
    assignments,
    unassigned,
    counts: scan.cells.map((c) => ({ ...c, split: assignments[c.dataset] ?? 'unassigned' })),
    table,
    leakage,
  };
  const file = ctx.paths.splitFile(manifest.name);
  await writeJsonAtomic(file, result);
  const text = [formatSplitTable(table), leakageText];

  const outcome: SplitOutcome = { file, result, text: '', staged: { series: scan.series, images: scan.images } };
  if (options.auto && unassigned.some((d) => stagedDatasets.includes(d))) {
    const bal = balanceSplits({ cells: scan.cells, assigned: assignments, targets, seed });
    const all = { ...assignments, ...bal.proposed };
    const proposal: SplitProposal = {
      version: 1,
      manifest: manifest.name,
      manifestSha256,
      targets,
      seed,
      proposed: bal.proposed,
      fixed: assignments,
      score: bal.score,
      search: bal.search,
      perClass: bal.perClass,
      table: buildSplitTable(scan.cells, all),
      leakage: scan.leakage.report(all),
    };
    const proposalFile = ctx.paths.splitProposal(manifest.name);
    await writeJsonAtomic(proposalFile, proposal);
    outcome.proposal = proposal;
    outcome.proposalFile = proposalFile;
    text.push(`proposal for ${Object.keys(bal.proposed).length} unassigned dataset(s) (${bal.search}) → ${proposalFile}`);
    text.push(formatSplitTable(proposal.table));
    if (!proposal.leakage.clean) text.push('under the proposal: ' + formatLeakage(proposal.leakage));
  } else if (unassigned.length > 0) {
    ctx.log.warn(`${unassigned.length} dataset(s) without a split are left out: ${unassigned.slice(0, 5).join(', ')}`, {
      hint: 'etl split --auto proposes splits for them',
    });
  }
  outcome.text = text.join('\n');
  return outcome;
}

/** Load a split file for `etl shard --split-file`; refuses one made from a manifest that changed since. */
export function loadSplitFile(file: string): SplitFile {
  let value: SplitFile;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8')) as SplitFile;
  } catch (err) {
    throw new ConfigError(`split file ${file} is missing or not JSON: ${(err as Error).message}`, {
      hint: 'run `etl split --manifest manifests/X.json` to write it',
    });
  }
  if (value.version !== 1 || typeof value.assignments !== 'object') {
    throw new ConfigError(`split file ${file}: expected version 1 with assignments`, { hint: 'run `etl split` again' });
  }
  if (value.manifestPath && fs.existsSync(value.manifestPath)) {
    const now = sha256Hex(fs.readFileSync(value.manifestPath));
    if (now !== value.manifestSha256) {
      throw new ConfigError(`split file ${file} was made from an older ${value.manifestPath} (sha256 differs)`, {
        hint: 'run `etl split` again so the split matches the reviewed manifest',
      });
    }
  }
  return value;
}
