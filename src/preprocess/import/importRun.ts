import type { RunContext } from '../../core/context.ts';
import { sha256Hex } from '../../core/hash.ts';
import { inPartition, type Partition } from '../../core/partition.ts';
import { syntheticUid } from '../importFolder.ts';
import type { FileFormat, FileMeta, SeriesMeta } from '../preprocessSeries.ts';
import { canonicalConfig, configHash, type PreprocessConfig } from '../preprocessConfig.ts';
import { STAGE, type PreprocessJob } from '../jobRunner.ts';
import type { FoundFile } from './walk.ts';

/**
 * What every external importer shares: the dataset, label and defaults, the series jobs it hands to
 * the stage runner (same staging files, sidecars and skip-if-unchanged as `etl preprocess`), and
 * the rejects it finds itself (a CSV row naming a missing file, a label map that is not an image).
 */

export interface ImportDefaults {
  dataset: string;
  label: string;
  /** Modality written on every sample (DICOM term where known, else the class). */
  modality: string;
  /** Body location unless a format derives one per file (MURA) and --location is absent. */
  location: string;
  /** --location was given: it wins over per-file locations. */
  locationFixed: boolean;
}

export class ImportRun {
  /** Counted by the stage runner as they grow (files looked at outside the pool, and their rejects). */
  readonly prior = { files: 0, imageFiles: 0, rejects: [] as Array<{ code: string; skip: boolean }> };
  readonly configHash: string;
  private readonly metadata: Record<string, string>;

  constructor(
    readonly ctx: RunContext,
    readonly root: string,
    readonly defaults: ImportDefaults,
    readonly config: PreprocessConfig,
    private readonly part: Partition,
  ) {
    this.configHash = configHash(config);
    this.metadata = { configHash: this.configHash, preprocessConfig: canonicalConfig(config) };
  }

  get dataset(): string {
    return this.defaults.dataset;
  }

  /** A file that was meant to be imported but cannot be: rejects.jsonl, and the reject budget unless `skip`. */
  reject(file: string, code: string, error: string, skip = false): void {
    this.prior.files++;
    if (!skip) this.prior.imageFiles++;
    this.prior.rejects.push({ code, skip });
    this.ctx.rejects.record({ stage: STAGE, key: `${this.dataset}/${file}`, dataset: this.dataset, file, code, error });
  }

  /** Location of a file: --location, else what the format derived, else the format's default. */
  location(derived?: string): string {
    return this.defaults.locationFixed ? this.defaults.location : derived ?? this.defaults.location;
  }

  sopUid(rel: string): string {
    return syntheticUid(this.dataset, rel);
  }

  /**
   * One series job, or undefined when the series is outside this partition. Its input digest covers
   * the files (path, size, mtime) and every label and provenance field, so touching, adding or
   * relabelling files re-stages it and nothing else.
   */
  job(
    seriesKey: string,
    format: FileFormat,
    files: FoundFile[],
    meta: { patientId: string; studyUid?: string; bodyPart?: string; fileMeta?: Record<string, FileMeta> },
  ): PreprocessJob | undefined {
    const uid = syntheticUid(this.dataset, seriesKey);
    if (!inPartition(uid, this.part)) return undefined;
    const d = this.defaults;
    const seriesMeta: SeriesMeta = {
      dataset: d.dataset,
      seriesUid: uid,
      label: d.label,
      bodyPart: meta.bodyPart ?? d.location,
      patientId: meta.patientId,
      studyUid: meta.studyUid ?? syntheticUid(d.dataset, 'study', meta.patientId),
      modality: d.modality,
      sopUids: Object.fromEntries(files.map((f) => [f.rel, this.sopUid(f.rel)])),
      ...(meta.fileMeta ? { fileMeta: meta.fileMeta } : {}),
    };
    const lines = files.map((f) => `${f.rel}\t${f.size}\t${Math.round(f.mtimeMs)}`).sort();
    const described = JSON.stringify([format, d.label, d.modality, seriesMeta.bodyPart, seriesMeta.patientId, seriesMeta.studyUid, meta.fileMeta ?? null]);
    return {
      collection: d.dataset,
      seriesUid: uid,
      dataset: d.dataset,
      inputSha256: sha256Hex([described, ...lines].join('\n')),
      sidecar: this.ctx.paths.stagingSidecar(d.dataset, uid),
      task: {
        source: { kind: 'files', format, files: files.map((f) => ({ path: f.path, name: f.rel, size: f.size })) },
        meta: seriesMeta,
        config: this.config,
        out: this.ctx.paths.staging(d.dataset, uid),
        metadata: this.metadata,
      },
    };
  }
}

/** Groups of up to `n` items of a stream. */
export async function* chunks<T>(items: AsyncIterable<T>, n: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const it of items) {
    batch.push(it);
    if (batch.length >= n) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}
