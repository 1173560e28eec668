import type { RunContext } from '../core/context.ts';
import type { Partition } from '../core/partition.ts';
import type { DatasetManifest } from '../curate/index.ts';
import type { PreprocessConfig } from '../preprocess/index.ts';
import type { VerifyReport } from '../shards/index.ts';
import type { Endpoint } from '../idc/index.ts';
import type { ResolvedIdcOptions } from './fetchIdc.ts';
import type { ExternalSource } from './externals.ts';
import type { ResolvedFetchOptions } from './fetchTcia.ts';
import type { StreamedRun } from './fetchPreprocess.ts';
import type { LoadedPipeline } from './load.ts';
import type { PipelineDefinition } from './schema.ts';
import type { PipelineState } from './state.ts';
import type { StreamOptions } from './streamOptions.ts';

export const FETCH_SOURCES = ['tcia', 'idc', 'auto'] as const;
export type FetchSource = (typeof FETCH_SOURCES)[number];

export const STEP_NAMES = ['catalog', 'plan', 'fetch', 'preprocess', 'import', 'split', 'shard', 'verify', 'publish', 'train', 'evaluate', 'report'] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** Everything a step adapter needs, resolved and validated before the first step starts. */
export interface StepEnv {
  def: PipelineDefinition;
  pipeline: LoadedPipeline;
  ctx: RunContext;
  apiUrl: string;
  partition: Partition;
  /** Plan and state names carry the partition, so partitions sharing a data directory never collide. */
  planName: string;
  stateName: string;
  force: boolean;
  state: PipelineState;
  runStartedAt: Date;
  manifestFile: string;
  manifest: DatasetManifest;
  splitManifestFile: string;
  splitManifest: DatasetManifest;
  fetch: ResolvedFetchOptions;
  /** Where series come from: the TCIA API, IDC (index + buckets), or TCIA's plan with each series from IDC when it has it. */
  source: FetchSource;
  /** IDC index (file or URL) and endpoint, for source idc and auto. */
  idcIndex: string;
  idcEndpoint: Endpoint;
  /** source idc: the fetch options. */
  idc: ResolvedIdcOptions | undefined;
  preprocess: PreprocessConfig;
  /** Fetch → preprocess overlap, --discard-raw and the raw window (flags over the pipeline's `stream:`). */
  stream: StreamOptions;
  /** Collections the catalog keeps current. */
  collections: string[];
  /** The manifest's external datasets, found or not under the external directory. */
  externals: ExternalSource[];
  /** Output digests of the steps so far in this run (inputs of the steps after them). */
  digests: Partial<Record<StepName, string>>;
  /** Facts steps hand to later steps within one run (e.g. the dataset version just built). */
  facts: RunFacts;
}

export interface RunFacts {
  /** This run's JSON-lines log (the report shows its step timings). */
  runLog?: string;
  fullListing?: boolean;
  datasetVersion?: string;
  /** What `current` pointed at before this run's shard step (verify switches back to it on failure). */
  previousVersion?: string;
  datasetDir?: string;
  /** The check `shardDataset` ran on the version it just published (verify reuses it). */
  verification?: VerifyReport;
  runId?: string;
  runDir?: string;
  reportHtml?: string;
  reportMarkdown?: string;
  evaluation?: EvaluationFigures;
  /** The fetch step ran overlapped with preprocessing: what the preprocess step reports. */
  streamed?: StreamedRun;
}

/** Headline figures of a split's evaluation. */
export interface SplitFigures {
  accuracy: number;
  balancedAccuracy: number;
  images: number;
  /** Balanced accuracy on the class × location pairs train lacks, and those pairs (absent: none). */
  unseen?: { pairs: string[]; balancedAccuracy: number | null };
}

/** What the evaluate step found: the test split, and the validate split next to it. */
export interface EvaluationFigures extends SplitFigures {
  split: string;
  validation?: SplitFigures;
  /** The paper's headline for the same manifest, when it has one. */
  paper?: { arch: string; accuracy: number; balancedAccuracy: number };
}

export type StepCounts = Record<string, number | string>;

export interface StepOutcome {
  counts: StepCounts;
  /** Probe steps only: whether the check found anything to do. */
  changed?: boolean;
}

/**
 * A step is an adapter over one stage library call. The runner skips it when `inputs` digests to
 * the recorded fingerprint and `outputs` still digests to what the step left last time.
 */
export interface Step {
  name: StepName;
  /** Whether the step belongs in this run (e.g. train only with a `train` section). */
  applies(env: StepEnv): boolean;
  /** What the step reads: its config section and the output digests of the steps before it. */
  inputs(env: StepEnv): Promise<unknown> | unknown;
  /** Digest material of what it wrote, or null when its outputs are missing. */
  outputs(env: StepEnv): Promise<unknown | null> | unknown | null;
  run(env: StepEnv): Promise<StepOutcome>;
  /**
   * Probe steps ask the outside world every run (the catalog asks TCIA what changed): the check is the
   * work, so they always run and report `skipped` when nothing changed.
   */
  probe?: boolean;
}

/** What a run's preprocessing is called with: its config plus the pipeline's workers and reject budget. */
export function preprocessOptionsOf(env: StepEnv): PreprocessConfig & { workers?: number; maxRejectRate?: number } {
  const pre = env.def.preprocess;
  return {
    ...env.preprocess,
    ...(pre.workers !== undefined ? { workers: pre.workers } : {}),
    ...(pre.maxRejectRate !== undefined ? { maxRejectRate: pre.maxRejectRate } : {}),
  };
}
