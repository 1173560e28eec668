import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { isTempName, stableJson } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';
import { DataError, messageOf } from '../core/errors.ts';
import { inPartition, parsePartition, type Partition } from '../core/partition.ts';
import { DEFAULT_CLASS_MAP, type RawSeriesRecord, type StagedSample } from '../core/types.ts';
import type { DicomHeader } from './decode/index.ts';
import { canonicalConfig, configHash, resolvePreprocessConfig, type PreprocessConfig, type PreprocessConfigInput } from './preprocessConfig.ts';
import { resolveWorkers } from './pool.ts';
import { STAGE, isUpToDate, runPreprocessJobs, validateRejectRate, type PreprocessJob, type JobRunResult } from './jobRunner.ts';
import { formatNormalize } from './normalize.ts';

/**
 * `etl preprocess`: every verified series in raw/ (its RawSeriesRecord sidecar exists) → one
 * staging file of 224×224 uint8 images, through the worker pool, skipping series already staged
 * with the same config and input. Also the single-file entry the classifier uses, so inference
 * sees exactly the training preprocessing.
 */

export interface PreprocessOptions extends PreprocessConfigInput {
  /** Worker threads (default: all cores; 0 = in the main thread). */
  workers?: number;
  /** Fraction of image files that may fail before the run fails (exit 3). Default DEFAULT_MAX_REJECT_RATE. */
  maxRejectRate?: number;
  /** `i/P` or a Partition: only series with hash(SeriesUID) mod P == i. */
  partition?: string | Partition;
  /** Only these collections / series (pipeline runner); default all verified series. */
  collections?: string[];
  seriesUids?: string[];
}

export interface PreprocessResult extends JobRunResult {
  config: PreprocessConfig;
}

/** Verified series in raw/: every `<Collection>/<SeriesUID>.json` sidecar, sorted. */
export function listRawSeries(ctx: RunContext): RawSeriesRecord[] {
  const rawRoot = ctx.paths.rawRoot;
  if (!fs.existsSync(rawRoot)) return [];
  const out: RawSeriesRecord[] = [];
  for (const dir of fs.readdirSync(rawRoot, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const name of fs.readdirSync(path.join(rawRoot, dir)).sort()) {
      if (!name.endsWith('.json') || isTempName(name)) continue;
      const file = path.join(rawRoot, dir, name);
      try {
        const rec = JSON.parse(fs.readFileSync(file, 'utf8')) as RawSeriesRecord;
        if (rec.version !== 1 || !rec.seriesUid || !rec.planned) throw new Error('not a raw series record (version 1 with planned)');
        out.push(rec);
      } catch (err) {
        ctx.rejects.record({ stage: STAGE, key: `${dir}/${name}`, file, error: new DataError('RAW_SIDECAR_UNREADABLE', `${file}: ${messageOf(err)}`) });
      }
    }
  }
  return out;
}

/** What every series job of one run shares: the resolved config and the staging metadata. */
interface JobSettings {
  config: PreprocessConfig;
  hash: string;
  metadata: Record<string, string>;
}

function settingsOf(options: PreprocessOptions): JobSettings {
  const config = resolvePreprocessConfig(options);
  const hash = configHash(config);
  return { config, hash, metadata: { configHash: hash, preprocessConfig: canonicalConfig(config) } };
}

/** A verified raw series → its staging job. */
function jobOf(rec: RawSeriesRecord, s: JobSettings, ctx: RunContext): PreprocessJob {
  const p = rec.planned;
  const meta = {
    dataset: p.dataset,
    seriesUid: rec.seriesUid,
    label: p.label,
    bodyPart: p.bodyPart,
    patientId: p.patientId,
    studyUid: p.studyUid,
    modality: p.modality,
    ...(p.keep < p.imageCount ? { keep: p.keep } : {}),
  };
  return {
    collection: rec.collection,
    seriesUid: rec.seriesUid,
    dataset: p.dataset,
    inputSha256: rec.zipSha256,
    metaHash: sha256Hex(stableJson(meta)),
    sidecar: ctx.paths.stagingSidecar(rec.collection, rec.seriesUid),
    task: {
      source: { kind: 'zip', file: ctx.paths.rawZip(rec.collection, rec.seriesUid) },
      meta,
      config: s.config,
      out: ctx.paths.staging(rec.collection, rec.seriesUid),
      metadata: s.metadata,
    },
  };
}

export async function preprocess(options: PreprocessOptions, ctx: RunContext): Promise<PreprocessResult> {
  const settings = settingsOf(options);
  const { config, hash } = settings;
  const workers = resolveWorkers(options.workers);
  const maxRejectRate = validateRejectRate(options.maxRejectRate);
  const part = typeof options.partition === 'object' ? options.partition : parsePartition(options.partition);
  const collections = options.collections ? new Set(options.collections) : undefined;
  const uids = options.seriesUids ? new Set(options.seriesUids) : undefined;

  const jobs: PreprocessJob[] = [];
  let discarded = 0;
  for (const rec of listRawSeries(ctx)) {
    if (!inPartition(rec.seriesUid, part)) continue;
    if (collections && !collections.has(rec.collection)) continue;
    if (uids && !uids.has(rec.seriesUid)) continue;
    const job = jobOf(rec, settings, ctx);
    // `etl run --discard-raw` keeps the sidecar of a staged series and deletes its ZIP.
    if (!fs.existsSync(ctx.paths.rawZip(rec.collection, rec.seriesUid)) && !isUpToDate(job, hash)) discarded++;
    else jobs.push(job);
  }
  if (discarded > 0) {
    ctx.log.warn(`preprocess: ${discarded} verified series have no raw ZIP any more (discarded once staged)`, {
      hint: '`etl run` fetches them again; `etl preprocess` only works on ZIPs still in raw/',
    });
  }
  if (jobs.length === 0 && discarded === 0) {
    ctx.log.warn(`preprocess: no verified series in ${ctx.paths.rawRoot}${part.count > 1 ? ` for partition ${part.index}/${part.count}` : ''}`, {
      hint: 'run `etl fetch tcia` first (a series is verified once raw/<Collection>/<SeriesUID>.json exists)',
    });
  }
  ctx.log.info(`preprocess: ${jobs.length} verified series, size ${config.size}, fit ${config.fit}, normalize ${formatNormalize(config.normalize)}, ${workers} workers`);
  const r = await runPreprocessJobs(jobs, { workers, maxRejectRate, configHash: hash, label: 'preprocess' }, ctx);
  return { ...r, config };
}

/** Whether a verified series is staged already with this config from this very ZIP (whose bytes need not be on disk any more). */
export function stagedCheck(config: PreprocessConfig, ctx: RunContext): (rec: RawSeriesRecord) => boolean {
  const settings = settingsOf(config);
  return (rec) => isUpToDate(jobOf(rec, settings, ctx), settings.hash);
}

/**
 * Preprocess series as they are verified (`etl run` overlaps fetch and preprocess): `records` is read
 * only as fast as the pool takes work; `onSettled` hears when each series is staged, was already
 * staged, or failed (the caller frees its raw window slot, or deletes its ZIP).
 */
export async function preprocessStream(
  records: AsyncIterable<RawSeriesRecord>,
  options: Omit<PreprocessOptions, 'partition' | 'collections' | 'seriesUids'>,
  ctx: RunContext,
  onSettled: (rec: RawSeriesRecord, outcome: 'staged' | 'skipped' | 'failed') => Promise<void> | void,
): Promise<PreprocessResult> {
  const settings = settingsOf(options);
  const workers = resolveWorkers(options.workers);
  const maxRejectRate = validateRejectRate(options.maxRejectRate);
  const byJob = new Map<PreprocessJob, RawSeriesRecord>();
  async function* jobs(): AsyncIterable<PreprocessJob> {
    for await (const rec of records) {
      const job = jobOf(rec, settings, ctx);
      byJob.set(job, rec);
      yield job;
    }
  }
  ctx.log.info(`preprocess (as series are verified): size ${settings.config.size}, fit ${settings.config.fit}, normalize ${formatNormalize(settings.config.normalize)}, ${workers} workers`);
  const r = await runPreprocessJobs(
    jobs(),
    {
      workers, maxRejectRate, configHash: settings.hash, label: 'preprocess',
      onSettled: async (job, outcome) => {
        const rec = byJob.get(job)!;
        byJob.delete(job);
        await onSettled(rec, outcome);
      },
    },
    ctx,
  );
  return { ...r, config: settings.config };
}

/** One frame's output for the classifier: the staged image and its reject, if any. */
export interface PreprocessedDicom {
  header: DicomHeader;
  /** One per usable frame, provenance filled from the header (dataset/label from `info`). */
  samples: StagedSample[];
  /** Frames that could not be used (constant image…). */
  rejected: Array<{ frame: number; code: string; message: string }>;
}

/**
 * Preprocess one DICOM file in memory exactly as `etl preprocess` stages it. Throws DicomError for
 * files that cannot be decoded (isSkip(err) for non-image objects).
 */
export async function preprocessDicomBytes(
  bytes: Uint8Array,
  config: PreprocessConfigInput | PreprocessConfig = {},
  info: { dataset?: string; label?: string; bodyPart?: string } = {},
): Promise<PreprocessedDicom> {
  const cfg = resolvePreprocessConfig(config);
  // The decoders load here, not with `etl preprocess` (whose main thread only schedules workers).
  const [{ decodeDicom }, { frameToImage, needsInversion }] = await Promise.all([import('./decode/index.ts'), import('./toImage.ts')]);
  const { header: h, frames } = await decodeDicom(bytes, { colour: cfg.colour });
  const label = info.label ?? DEFAULT_CLASS_MAP[h.modality] ?? h.modality;
  const invert = needsInversion(h.photometric, h.presentationLutShape);
  const samples: StagedSample[] = [];
  const rejected: PreprocessedDicom['rejected'] = [];
  frames.forEach((fr, frame) => {
    try {
      const img = frameToImage(
        fr.values,
        fr.padding,
        { rows: h.rows, cols: h.columns, invert, modality: h.modality, label, bitsAllocated: h.bitsAllocated, pixelRepresentation: h.pixelRepresentation, slope: fr.slope, intercept: fr.intercept },
        cfg,
      );
      samples.push({
        image: img.image, dataset: info.dataset ?? '', patientId: h.patientId, studyUid: h.studyUid, seriesUid: h.seriesUid,
        sopUid: h.sopInstanceUid, frame, modality: h.modality, label, bodyPart: info.bodyPart ?? (h.bodyPart || 'UNKNOWN'),
        rows: h.rows, cols: h.columns, normLo: img.normLo, normHi: img.normHi, pixelHash: img.pixelHash,
      });
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      rejected.push({ frame, code: err.code, message: err.message });
    }
  });
  return { header: h, samples, rejected };
}
