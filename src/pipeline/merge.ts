import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, InputError } from '../core/errors.ts';
import { isTempName } from '../core/fsAtomic.ts';
import { dataPaths } from '../core/paths.ts';
import { loadPipelineFile, type LoadedPipeline } from './load.ts';
import { runPipeline, type PipelineResult } from './run.ts';
import { readState } from './state.ts';

/**
 * `etl merge`: after `etl run --partition i/P` ran on every slice, build one dataset from the union.
 * Design: partitions only catalog, plan, fetch and preprocess (each writes raw/ and staging/ for its
 * own series, and state/<name>.part-i-of-P.json when done); merge then runs split → shard → verify →
 * publish (→ train → evaluate → report) once over all of staging/. Because split and shard read
 * staging in sorted order and shuffle with the pipeline seed, the dataset is the same as one
 * unpartitioned run would build.
 *
 * With a shared filesystem the partitions' staging is already in one place (`--from-partitions`);
 * otherwise `--parts DIR,…` names their data directories (e.g. synced down from S3) and their
 * staged series are linked (or copied) into this data directory first.
 */

export interface MergeOptions {
  /** Data directories of partitions that did not share this one. */
  parts?: string[];
  /** Refuse to merge unless every partition of the newest P recorded a successful run (default true). */
  requireComplete?: boolean;
  apiUrl?: string;
  force?: boolean;
}

export interface MergeResult extends PipelineResult {
  partitions: { count: number; complete: number };
  imported: { series: number; files: number };
}

export async function mergePartitions(source: string | LoadedPipeline, o: MergeOptions, ctx: RunContext): Promise<MergeResult> {
  const pipeline = typeof source === 'string' ? loadPipelineFile(source) : source;
  const name = pipeline.definition.name;
  const dirs = o.parts?.length ? o.parts.map((p) => path.resolve(p)) : [ctx.dataDir];
  for (const d of dirs) if (!fs.existsSync(d)) throw new ConfigError(`\`parts\`: ${d} does not exist`, { hint: 'pass the data directories the partitions wrote' });
  const status = partitionStatus(dirs, name);
  if (status.count === 0) {
    throw new InputError('NO_PARTITIONS', `no partition state for pipeline ${name} in ${dirs.join(', ')}`, {
      hint: `run \`etl run ${pipeline.source} --partition i/P\` for every i first`,
    });
  }
  if ((o.requireComplete ?? true) && status.missing.length > 0) {
    throw new InputError('PARTITIONS_INCOMPLETE', `partition(s) ${status.missing.map((i) => `${i}/${status.count}`).join(', ')} of ${name} have not finished`, {
      hint: 'rerun those partitions (finished work is kept), then merge again',
    });
  }
  let imported = { series: 0, files: 0 };
  if (o.parts?.length) {
    for (const d of dirs) {
      if (d === ctx.dataDir) continue;
      const r = importStaging(d, ctx);
      imported = { series: imported.series + r.series, files: imported.files + r.files };
      copyPlans(d, ctx, name);
    }
    ctx.log.info(`linked ${imported.series} staged series from ${dirs.length} partition folder(s)`);
  }
  const r = await runPipeline(pipeline, { mergeOnly: true, ...(o.apiUrl ? { apiUrl: o.apiUrl } : {}), ...(o.force ? { force: true } : {}) }, ctx);
  return { ...r, partitions: { count: status.count, complete: status.count - status.missing.length }, imported };
}

/** The newest partition count P found in the state folders, and which of its indices lack a successful run. */
export function partitionStatus(dataDirs: string[], name: string): { count: number; missing: number[] } {
  const re = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.part-(\\d+)-of-(\\d+)\\.json$`);
  const done = new Map<number, Set<number>>();
  let newest: { count: number; t: number } | undefined;
  for (const d of dataDirs) {
    const stateDir = dataPaths(d).state;
    let names: string[];
    try {
      names = fs.readdirSync(stateDir);
    } catch {
      continue;
    }
    for (const n of names) {
      const m = re.exec(n);
      if (!m) continue;
      const i = Number(m[1]);
      const p = Number(m[2]);
      const file = path.join(stateDir, n);
      const s = readState(file, n.slice(0, -5));
      if (!s.lastSuccessAt) continue;
      const t = Date.parse(s.lastSuccessAt);
      if (!newest || t > newest.t) newest = { count: p, t };
      if (!done.has(p)) done.set(p, new Set());
      done.get(p)!.add(i);
    }
  }
  if (!newest) return { count: 0, missing: [] };
  const have = done.get(newest.count) ?? new Set<number>();
  const missing: number[] = [];
  for (let i = 0; i < newest.count; i++) if (!have.has(i)) missing.push(i);
  return { count: newest.count, missing };
}

/** Link (or copy across filesystems) staging/<C>/<uid>.arrow then its .json sidecar — the commit marker last. */
function importStaging(fromDir: string, ctx: RunContext): { series: number; files: number } {
  const root = dataPaths(fromDir).stagingRoot;
  let series = 0;
  let files = 0;
  let colls: string[];
  try {
    colls = fs.readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch {
    return { series, files };
  }
  for (const c of colls) {
    const dest = ctx.paths.stagingDir(c);
    fs.mkdirSync(dest, { recursive: true });
    for (const n of fs.readdirSync(path.join(root, c)).filter((x) => x.endsWith('.json') && !isTempName(x)).sort()) {
      const arrow = n.slice(0, -5) + '.arrow';
      if (!fs.existsSync(path.join(root, c, arrow))) continue;
      for (const f of [arrow, n]) {
        if (sameFile(path.join(root, c, f), path.join(dest, f))) continue;
        linkOrCopy(path.join(root, c, f), path.join(dest, f));
        files++;
      }
      series++;
    }
  }
  return { series, files };
}

function copyPlans(fromDir: string, ctx: RunContext, name: string): void {
  const dir = dataPaths(fromDir).plansRoot;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names.filter((x) => x.startsWith(`${name}.part-`) && x.endsWith('.json'))) {
    const dest = ctx.paths.plan(n.slice(0, -'.json'.length));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(dir, n), dest);
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return (sa.ino === sb.ino && sa.dev === sb.dev) || (sa.size === sb.size && sa.mtimeMs <= sb.mtimeMs);
  } catch {
    return false;
  }
}

/** Hard link where possible (no bytes copied); otherwise copy to a temporary name and rename. */
function linkOrCopy(from: string, to: string): void {
  const tmp = path.join(path.dirname(to), `.${path.basename(to)}.${process.pid}.merge.tmp`);
  fs.rmSync(tmp, { force: true });
  try {
    fs.linkSync(from, tmp);
  } catch {
    fs.copyFileSync(from, tmp);
  }
  fs.renameSync(tmp, to);
}
