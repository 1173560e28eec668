import type { Argv } from 'yargs';
import { parsePartition } from '../core/partition.ts';
import { parseModalities } from '../core/classMap.ts';
import { DEFAULT_MAX_REJECT_RATE } from '../core/rejects.ts';
import { DEFAULT_CAP_ORDER, parseCaps, type CapOrder } from '../curate/index.ts';
import { DEFAULT_RETRY } from '../http/index.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_IDC_CONCURRENCY, budgetError, type FetchResult } from '../pipeline/index.ts';
import { printSummary, type Summary } from './command.ts';
import type { RunContext } from '../core/context.ts';

/** Flags shared by `etl fetch tcia` and `etl fetch idc`: the same selection, caps and budget either way. */
export interface FetchSelectionArgs {
  collection?: string[];
  manifest?: string;
  modality?: string[];
  cap?: string[];
  capOrder?: CapOrder;
  concurrency: number;
  partition?: string;
  planName?: string;
  maxRejectRate: number;
  maxAttempts: number;
  verifyExisting: boolean;
  planOnly: boolean;
}

/** What differs between the sources in the shared flags' help. */
export interface FetchSelectionWords {
  collection: string;
  /** How the source orders series (what `--cap-order tcia` consumes). */
  order: string;
  concurrency: string;
  attempts: string;
  verifyExisting: string;
  defaultConcurrency: number;
}

/** The shared flags' help for each source (one table, so the two commands differ only in their own flags). */
const WORDS: Record<'tcia' | 'idc', FetchSelectionWords> = {
  tcia: {
    collection: 'TCIA collection name(s)',
    order: 'as TCIA lists them',
    concurrency: 'parallel series downloads',
    defaultConcurrency: DEFAULT_CONCURRENCY,
    attempts: 'attempts per request or series download',
    verifyExisting: 're-hash already downloaded ZIPs instead of the size check',
  },
  idc: {
    collection: 'IDC collection_id (lidc_idri) or TCIA collection name (LIDC-IDRI)',
    order: 'index order',
    concurrency: 'parallel object requests across all series',
    defaultConcurrency: DEFAULT_IDC_CONCURRENCY,
    attempts: 'attempts per request',
    verifyExisting: 're-hash already fetched series instead of the size check',
  },
};

export function fetchSelectionOptions<T>(y: Argv<T>, source: 'tcia' | 'idc'): Argv<T> {
  const w = WORDS[source];
  return y
    .option('collection', { type: 'string', array: true, describe: w.collection })
    .option('manifest', { type: 'string', describe: 'dataset manifest, e.g. manifests/paper-2021.json' })
    .option('modality', { type: 'string', array: true, describe: 'only these DICOM modalities, e.g. CT,MR' })
    .option('cap', { type: 'string', array: true, describe: 'images per dataset per class, e.g. CT=50000,MR=100000' })
    .option('cap-order', { choices: ['tcia', 'spread'] as const, describe: `series order the caps consume: ${w.order}, or round-robin over patients (default ${DEFAULT_CAP_ORDER})` })
    .option('concurrency', { type: 'number', default: w.defaultConcurrency, describe: w.concurrency })
    .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
    .option('plan-name', { type: 'string', describe: 'plans/<name>.json (default: manifest name, or "fetch")' })
    .option('max-reject-rate', { type: 'number', default: DEFAULT_MAX_REJECT_RATE, describe: 'failed series allowed (fraction of planned) before exit 3' })
    .option('max-attempts', { type: 'number', default: DEFAULT_RETRY.maxAttempts, describe: w.attempts })
    .option('verify-existing', { type: 'boolean', default: false, describe: w.verifyExisting })
    .option('plan-only', { type: 'boolean', default: false, describe: 'write the plan and stop' }) as Argv<T>;
}

/** The library options those flags stand for (the CLI prints its summary before a budget error). */
export function fetchSelectionConfig(args: FetchSelectionArgs) {
  const modalities = parseModalities(args.modality);
  const caps = parseCaps(args.cap);
  return {
    ...(args.collection ? { collections: args.collection.flatMap((c) => c.split(',')) } : {}),
    ...(args.manifest ? { manifest: args.manifest } : {}),
    ...(modalities ? { modalities } : {}),
    ...(caps ? { caps } : {}),
    ...(args.capOrder ? { capOrder: args.capOrder } : {}),
    concurrency: args.concurrency,
    partition: parsePartition(args.partition),
    ...(args.planName !== undefined ? { planName: args.planName } : {}),
    maxRejectRate: args.maxRejectRate,
    retry: { maxAttempts: args.maxAttempts },
    verifyExisting: args.verifyExisting,
    planOnly: args.planOnly,
    throwOnBudget: false,
  };
}

/** The command's summary; over the reject budget it is printed first, then the budget error thrown. */
export function fetchOutcome(ctx: RunContext, summary: Summary, result: FetchResult, maxRejectRate: number, startedAt: number): Summary {
  if (result.overBudget) {
    printSummary(ctx, summary, (performance.now() - startedAt) / 1000);
    throw budgetError(result, maxRejectRate, ctx);
  }
  return summary;
}
