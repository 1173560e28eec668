import { z } from 'zod';
import { DEFAULT_PREPROCESS_CONFIG, formatNormalize } from '../preprocess/index.ts';
import { SHARD_DEFAULTS } from '../shards/index.ts';
// Not train/index.ts: that loads tfjs, which a pipeline loads only when it trains.
import { TRAIN_DEFAULTS } from '../train/defaults.ts';
import { DEFAULT_DISCARD_RAW, DEFAULT_OVERLAP, DEFAULT_RAW_WINDOW } from './streamOptions.ts';

/**
 * Pipeline definitions (`pipelines/*.yaml`): data, not code. Every field is validated on load and
 * every message says what was expected; the loader adds the file, the field path and what was got
 * (`pipelines/x.yaml: shard.batch: expected integer ≥ 1, got "abc"`). A field left out takes the
 * library's default (the same constants the CLI flags show).
 */

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const msg = max === Number.MAX_SAFE_INTEGER ? `expected integer ≥ ${min}` : `expected integer from ${min} to ${max}`;
  return z.number({ error: msg }).int({ error: msg }).min(min, { error: msg }).max(max, { error: msg });
};
const positive = (what = 'number > 0') => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const nonNegative = (what = 'number ≥ 0') => z.number({ error: `expected ${what}` }).min(0, { error: `expected ${what}` });
const fraction = () => z.number({ error: 'expected a fraction from 0 to 1' }).min(0, { error: 'expected a fraction from 0 to 1' }).max(1, { error: 'expected a fraction from 0 to 1' });
const text = (what = 'non-empty text') => z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
const bool = () => z.boolean({ error: 'expected true or false' });
const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, { error: `expected one of ${values.join(', ')}` });
const list = <T extends z.ZodType>(item: T) => z.array(item, { error: 'expected a list' });
const section = <T extends z.ZodRawShape>(shape: T) => z.strictObject(shape, { error: 'expected a mapping (key: value lines)' });

/** Names become file names (state, plans, datasets): keep them to a safe alphabet. */
const name = z
  .string({ error: 'expected a name' })
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'expected a name of letters, digits, ".", "_", "-" (≤ 64, not starting with a symbol)' });

const url = z.string({ error: 'expected a URL' }).regex(/^https?:\/\/\S+$/, { error: 'expected an http(s) URL' });

export const tciaSourceSchema = section({
  /** Base URL of the NBIA API v4 (…/nbia-api/services/v4/); `etl run --api-url` overrides it. */
  apiUrl: url,
  /** Dataset manifest (manifests/*.json): which collections, their locations and splits. */
  manifest: text('a manifest path such as manifests/paper-2021.json'),
  /** Restrict to these collections (default: every TCIA dataset of the manifest). */
  collections: list(text()).optional(),
  /** DICOM modalities to keep (default: those the class map knows). */
  modalities: list(text()).optional(),
  /** Images per dataset per class, e.g. {CT: 50000, MR: 100000}. */
  caps: z.record(z.string(), int(1), { error: 'expected a mapping of class → integer ≥ 1' }).optional(),
  capOrder: oneOf(['tcia', 'spread'] as const).optional(),
  /** Parallel series downloads. */
  concurrency: int(1, 64).optional(),
  /** Failed series allowed, as a fraction of planned series, before the run fails with exit 3 (default DEFAULT_MAX_REJECT_RATE). */
  maxRejectRate: fraction().optional(),
});

export const externalSourceSchema = section({
  /** Local folder of DICOM (or PNG/JPEG) files. */
  folder: text('a folder path'),
  dataset: text('a dataset name'),
  /** DICOM modality (for DICOM folders) or class label (for PNG/JPEG folders). */
  modality: text().optional(),
  label: text().optional(),
  location: text('a body location such as chest'),
});

export const pipelineSchema = section({
  name,
  description: z.string().optional(),
  source: section({
    tcia: tciaSourceSchema,
    external: list(externalSourceSchema).optional(),
  }),
  preprocess: section({
    /** Output side in pixels (224 in the paper). */
    size: int(8, 2048).default(DEFAULT_PREPROCESS_CONFIG.size),
    /** How a non-square image becomes square. */
    fit: oneOf(['pad', 'crop', 'stretch'] as const).default(DEFAULT_PREPROCESS_CONFIG.fit),
    /** Intensity normalisation (paper: per-image min-max): minmax | percentile:0.5,99.5 | window:CT=-1000,1000 | dtype-range. */
    normalize: text('a normalisation such as minmax').default(formatNormalize(DEFAULT_PREPROCESS_CONFIG.normalize)),
    /** Colour DICOM: convert to grey, or skip. */
    colour: oneOf(['grey', 'skip'] as const).optional(),
    /** Worker threads (default: all cores; 0 = in the main thread). */
    workers: int(0, 256).optional(),
    /** Image files allowed to fail, as a fraction, before the run fails with exit 3 (default DEFAULT_MAX_REJECT_RATE). */
    maxRejectRate: fraction().optional(),
  }),
  /** Fetch → preprocess (`etl run --no-overlap`, `--discard-raw`, `--raw-window N` override these). */
  stream: section({
    /** Preprocess each series as soon as it is verified, while later series download. */
    overlap: bool().default(DEFAULT_OVERLAP),
    /** Delete each series' raw ZIP once its staging is durable (the raw sidecar stays). */
    discardRaw: bool().default(DEFAULT_DISCARD_RAW),
    /** Series between download start and preprocessed: raw/ holds at most this many ZIPs with discardRaw. */
    rawWindow: int(1).default(DEFAULT_RAW_WINDOW),
  }).default({ overlap: DEFAULT_OVERLAP, discardRaw: DEFAULT_DISCARD_RAW, rawWindow: DEFAULT_RAW_WINDOW }),
  split: section({
    /** Manifest holding the split assignment (usually the source manifest). */
    manifest: text('a manifest path'),
    /** Let the balancer assign datasets the manifest leaves unassigned. */
    auto: bool().optional(),
    /** Target image fractions per split for the balancer. */
    targets: section({ train: positive(), validate: positive(), test: positive() }).optional(),
    /** Fail (instead of warn) when a split lacks ≥ 2 body locations for a class. */
    strict: bool().optional(),
  }),
  shard: section({
    /** Dataset name: data/datasets/<name>/<version>/. */
    name,
    /** Rows per RecordBatch (= training batch). */
    batch: int(1, 65536).default(SHARD_DEFAULTS.batch),
    seed: int(0, 2 ** 32 - 1).default(SHARD_DEFAULTS.seed),
    shardSizeMb: positive('number of MB > 0').default(SHARD_DEFAULTS.shardSizeMb),
    /** Last batch of a split: keep it short or drop it. */
    partial: oneOf(['keep', 'drop'] as const).default(SHARD_DEFAULTS.partial),
  }),
  train: section({
    arch: text('an architecture such as resnet18').default(TRAIN_DEFAULTS.arch),
    epochs: int(1, 10000).default(TRAIN_DEFAULTS.epochs),
    batch: int(1, 65536),
    lr: positive().default(TRAIN_DEFAULTS.lr),
    momentum: nonNegative().default(TRAIN_DEFAULTS.momentum),
    weightDecay: nonNegative().default(TRAIN_DEFAULTS.weightDecay),
    /** Channel width multiplier (1 = the paper's ResNet-18). */
    width: positive().default(TRAIN_DEFAULTS.width),
    imageSize: int(8, 2048),
    backend: text('a backend: auto, cpu, wasm, webgpu, tensorflow').default(TRAIN_DEFAULTS.backend),
    plateauPatience: int(0, 1000).default(TRAIN_DEFAULTS.plateauPatience),
    /** `plateau` (÷10 on a validation plateau) or `cosine` (decay to ~0 by the last epoch). */
    lrSchedule: oneOf(['plateau', 'cosine'] as const).optional(),
    seed: int(0, 2 ** 32 - 1).default(TRAIN_DEFAULTS.seed),
    /** Training augmentation, as `train modality --augment` (none, default, or a list). */
    augment: text('none, default or a list such as crop=0.5,flip,noise=0.02').optional(),
    classWeights: oneOf(['none', 'balanced'] as const).optional(),
  }).optional(),
  publish: section({
    /** Published versions to keep besides `current` (older ones are pruned). */
    keepVersions: int(1, 1000).optional(),
  }).default({}),
  report: section({ enabled: bool() }).default({ enabled: true }),
  incremental: section({
    /** Every N-th run lists collections in full to notice withdrawn series (TCIA has no deletion feed). */
    fullListingEvery: int(1, 10000),
    /** getUpdatedSeries is asked from (last success − overlapDays): its dates are day-granular, strictly after. */
    overlapDays: int(0, 365),
  }).default({ fullListingEvery: 7, overlapDays: 1 }),
  /** Shell command run when the pipeline fails; ETL_PIPELINE, ETL_STEP, ETL_EXIT_CODE, ETL_ERROR, ETL_LOG describe it. */
  on_failure: text('a shell command').optional(),
});

export type PipelineDefinition = z.infer<typeof pipelineSchema>;
export type PipelineInput = z.input<typeof pipelineSchema>;
