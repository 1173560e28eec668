import type { RunContext } from '../core/context.ts';
import { DataError, InputError } from '../core/errors.ts';
import { SPLITS, type Split } from '../core/types.ts';
import { LeakageCollector, type StagedSeriesRef } from '../curate/index.ts';
import { scanStaging, type StagingRows } from '../preprocess/index.ts';
import { RowBudget, SplitRowStore, bucketCount } from './rowStore.ts';

/**
 * Pass 1 of `etl shard`: every staged series in fixed order → the rows of each split (key, metadata,
 * where the image lies), leakage keys on the way. Reads only the metadata of the staging files, a
 * few at a time so the reads of the next files overlap the work on this one.
 */

export interface CollectInput {
  staged: StagedSeriesRef[];
  size: number;
  seed: number;
  assignments: Record<string, Split>;
  classNames: string[];
  /** Datasets whose patient IDs are their own namespace (external datasets). */
  ownPatientIds: ReadonlySet<string>;
  maxRejectRate: number;
  /** Memory for the rows' metadata, and where rows past it spill (see rowStore.ts). */
  memoryBytes: number;
  spillDir: string;
  /** Rows the sidecars announce (sizes the spill buckets). */
  samples: number;
}

export interface Collected {
  splits: Map<Split, SplitRowStore>;
  /** Staging files by the number SplitRows records. */
  files: string[];
  leakage: LeakageCollector;
  /** Rows of datasets without a split, per dataset. */
  skipped: Map<string, number>;
}

/** Staging files scanned ahead of the one being collected. */
const SCAN_AHEAD = 8;

export async function collectRows(input: CollectInput, ctx: RunContext): Promise<Collected> {
  const budget = new RowBudget(input.memoryBytes);
  const buckets = bucketCount(input.samples, input.memoryBytes);
  const out: Collected = {
    splits: new Map(SPLITS.map((s) => [s, new SplitRowStore(input.spillDir, s, input.seed, buckets, budget)])),
    files: input.staged.map((s) => s.arrow),
    leakage: new LeakageCollector(),
    skipped: new Map(),
  };
  const classIndex = new Map(input.classNames.map((c, i) => [c, i]));
  const scans: Array<Promise<StagingRows>> = [];
  const scan = (i: number) => {
    const s = input.staged[i];
    if (s && !scans[i]) {
      scans[i] = scanStaging(s.arrow);
      scans[i]!.catch(() => undefined);
    }
  };
  // Only this stage's rejects count: earlier stages of a pipeline run had their own budgets.
  const checkBudget = (seen: number) => ctx.rejects.checkBudget(seen, input.maxRejectRate, 'staged series', 20, (reason) => reason.startsWith('shard:'));
  const progress = ctx.progress('shard pass 1 (collect)', input.staged.length, 'series');
  for (let i = 0; i < input.staged.length; i++) {
    for (let k = i; k <= i + SCAN_AHEAD; k++) scan(k);
    if (ctx.signal.aborted) throw new InputError('ABORTED', 'interrupted during sharding; nothing was published');
    const s = input.staged[i]!;
    let rows: StagingRows;
    try {
      rows = await scans[i]!;
      if (rows.size !== input.size) throw new InputError('STAGING_SIZE', `${s.arrow}: images are ${rows.size}², expected ${input.size}²`);
    } catch (error) {
      ctx.rejects.record({ stage: 'shard', key: `${s.collection}/${s.seriesUid}`, error, file: s.arrow, seriesUid: s.seriesUid });
      checkBudget(i + 1);
      progress.tick();
      continue;
    } finally {
      delete scans[i];
    }
    addRows(rows, i, input, classIndex, out, ctx);
    progress.tick();
  }
  progress.stop();
  checkBudget(input.staged.length);
  return out;
}

function addRows(rows: StagingRows, file: number, input: CollectInput, classIndex: Map<string, number>, out: Collected, ctx: RunContext): void {
  for (let r = 0; r < rows.rows; r++) {
    const dataset = rows.dataset[r]!;
    const split = input.assignments[dataset];
    if (split === undefined) {
      out.skipped.set(dataset, (out.skipped.get(dataset) ?? 0) + 1);
      continue;
    }
    const series = rows.seriesUid[r]!;
    const sop = rows.sopUid[r]!;
    const frame = rows.frame[r]!;
    const label = classIndex.get(rows.label[r]!);
    if (label === undefined) {
      ctx.rejects.record({
        stage: 'shard', key: `${dataset}/${series}/${sop}#${frame}`, code: 'SHARD_UNKNOWN_CLASS',
        error: new DataError('SHARD_UNKNOWN_CLASS', `label ${rows.label[r]} is not one of ${input.classNames.join(', ')}`), dataset, seriesUid: series, sopUid: sop,
      });
      continue;
    }
    const patient = rows.patientId[r]!;
    const pixelHash = rows.pixelHash[r]!;
    out.splits.get(split)!.add({ label, dataset, patient, series, sop, frame, pixelHash }, file, rows.imageOffset(r));
    out.leakage.add(dataset, input.ownPatientIds.has(dataset) ? `${dataset}/${patient}` : patient, pixelHash, `${dataset}/${series}/${sop}#${frame}`);
  }
}
