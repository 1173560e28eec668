import type { StagedSample } from '../core/types.ts';
import { EnvironmentError, isEtlError, messageOf } from '../core/errors.ts';
import { decodeDicomStored, isSkip, isStoredFrame, readDicomHeader, skipReason, type DicomHeader } from './decode/index.ts';
import type { PreprocessConfig } from './preprocessConfig.ts';
import { writeStaging } from './staging.ts';
import { frameToImage, needsInversion, storedFrameToImage, type FrameFacts } from './toImage.ts';
import { folderFiles, openSeriesZip, type SeriesFile, type SeriesFiles } from './zipSource.ts';
import { decodeImageFile } from './imageFile.ts';
import { readVolume, type VolumeFormat } from './import/readVolume.ts';

/**
 * One series → its staged samples: the unit of work of the worker pool. Reads the files in place
 * (ZIP entries or plain files), honours the plan's keep limit, decodes, normalises and resizes every
 * frame, writes `staging/<Collection>/<SeriesUID>.arrow`, and returns counts and per-file rejects
 * (plain data: it crosses a worker boundary; the caller records them and writes the sidecar).
 * 16-bit grey frames take the stored-integer path (decodeDicomStored → storedFrameToImage): the
 * same images as decodeDicom → frameToImage, about twice as fast.
 */

/** How the files of a series are read: DICOM, PNG/JPEG (one sample each), or volumes (one sample per slice). */
export type FileFormat = 'dicom' | 'image' | VolumeFormat;

/** Where a series' files are. */
export type SeriesSource =
  | { kind: 'zip'; file: string }
  | { kind: 'files'; format: FileFormat; files: Array<{ path: string; name: string; size: number }> };

/** Provenance of one imported file that differs between the files of a series (from the dataset's metadata). */
export interface FileMeta {
  patientId?: string;
  studyUid?: string;
  bodyPart?: string;
}

/** What the samples of the series are labelled with. */
export interface SeriesMeta {
  dataset: string;
  seriesUid: string;
  label: string;
  /** Body location; null: the file's BodyPartExamined, else UNKNOWN. */
  bodyPart: string | null;
  /** Instances to keep: the first `keep` by InstanceNumber (ties by SOPInstanceUID); undefined = all. */
  keep?: number;
  /** Fallbacks (and, for PNG/JPEG, the values) of provenance fields. */
  patientId?: string;
  studyUid?: string;
  modality?: string;
  /** PNG/JPEG/volumes: SOP UID per file name (synthetic, derived by the importer). */
  sopUids?: Record<string, string>;
  /** Imported files: per-file patient, study, body part where they vary within the series. */
  fileMeta?: Record<string, FileMeta>;
}

export interface SeriesTask {
  source: SeriesSource;
  meta: SeriesMeta;
  config: PreprocessConfig;
  /** Staging file to write (atomically). */
  out: string;
  /** Schema metadata of the staging file (configHash, canonical config). */
  metadata: Record<string, string>;
}

export interface FileReject {
  /** ZIP entry name or relative path. */
  file: string;
  sopUid?: string;
  frame?: number;
  code: string;
  message: string;
  /** A policy skip (non-image object, colour with --colour skip…): expected, outside the budget. */
  skip: boolean;
}

export interface SeriesOutcome {
  /** The whole series failed (unreadable ZIP, staging write failed): nothing was staged. */
  failed?: { code: string; message: string };
  /** Writing the staging file hit the environment (disk full, permissions): the stage must stop. */
  environment?: { sysCode: string; file: string | undefined };
  samples: number;
  /** Files looked at (after the keep limit). */
  files: number;
  /** Files that were meant to be images: files minus policy skips (the reject budget's base). */
  imageFiles: number;
  rejects: FileReject[];
  seconds: number;
}

/** Bytes read to pick instances by header (headers are a few KB; longer ones are read whole). */
const HEADER_PREFIX = 64 * 1024;
/** Frames decoded at a time from a multi-frame file: bounds memory (96 × 512² floats = 100 MB). */
const FRAME_CHUNK = 16;

function rejectOf(file: string, err: unknown, sopUid?: string, frame?: number): FileReject {
  const code = isEtlError(err) ? err.code : 'INTERNAL_ERROR';
  const message = isEtlError(err) ? err.message : `${messageOf(err)}${err instanceof Error && err.stack ? `\n${err.stack}` : ''}`;
  return { file, code, message, skip: isSkip(err), ...(sopUid ? { sopUid } : {}), ...(frame !== undefined ? { frame } : {}) };
}

async function headerOf(f: SeriesFile): Promise<DicomHeader> {
  const prefix = await f.readPrefix(HEADER_PREFIX);
  try {
    return readDicomHeader(prefix);
  } catch (err) {
    if (prefix.length >= f.size) throw err;
    return readDicomHeader(await f.read());
  }
}

interface Collected {
  sample: StagedSample;
  instance: number;
}

/** The files to decode: all, or the first `keep` images by InstanceNumber (then SOPInstanceUID). */
async function chooseFiles(files: SeriesFile[], keep: number | undefined, config: PreprocessConfig, rejects: FileReject[]): Promise<SeriesFile[]> {
  if (keep === undefined || keep >= files.length) return files;
  // Pass 1 reads headers only (a prefix of each entry); pass 2 decodes the chosen files.
  const images: Array<{ f: SeriesFile; h: DicomHeader }> = [];
  const others: SeriesFile[] = [];
  for (const f of files) {
    let h: DicomHeader;
    try {
      h = await headerOf(f);
    } catch (err) {
      rejects.push(rejectOf(f.name, err));
      continue;
    }
    if (skipReason(h, { colour: config.colour }) === null) images.push({ f, h });
    else others.push(f); // decoded anyway, so non-images are recorded as such
  }
  images.sort(
    (a, b) =>
      (a.h.instanceNumber ?? Infinity) - (b.h.instanceNumber ?? Infinity) ||
      (a.h.sopInstanceUid < b.h.sopInstanceUid ? -1 : a.h.sopInstanceUid > b.h.sopInstanceUid ? 1 : 0),
  );
  return [...images.slice(0, keep).map((x) => x.f), ...others];
}

async function dicomFile(f: SeriesFile, meta: SeriesMeta, config: PreprocessConfig, out: Collected[], rejects: FileReject[]): Promise<void> {
  const bytes = await f.read();
  const header = readDicomHeader(bytes);
  const frames = header.frames;
  const chunks: number[][] = [];
  if (frames <= FRAME_CHUNK) chunks.push([]);
  else for (let s = 0; s < frames; s += FRAME_CHUNK) chunks.push(Array.from({ length: Math.min(FRAME_CHUNK, frames - s) }, (_, i) => s + i));
  const sopUid = header.sopInstanceUid;
  const invert = needsInversion(header.photometric, header.presentationLutShape);
  for (const chunk of chunks) {
    const decoded = await decodeDicomStored(bytes, { colour: config.colour, ...(chunk.length > 0 ? { frames: chunk } : {}) });
    const h = decoded.header;
    decoded.frames.forEach((fr, k) => {
      const frame = chunk.length > 0 ? chunk[k]! : k;
      try {
        const facts: FrameFacts = {
          rows: h.rows, cols: h.columns, invert, modality: h.modality, label: meta.label,
          bitsAllocated: h.bitsAllocated, pixelRepresentation: h.pixelRepresentation, slope: fr.slope, intercept: fr.intercept,
        };
        const img = isStoredFrame(fr) ? storedFrameToImage(fr, facts, config) : frameToImage(fr.values, fr.padding, facts, config);
        out.push({
          instance: h.instanceNumber ?? Infinity,
          sample: {
            image: img.image,
            dataset: meta.dataset,
            patientId: h.patientId || meta.patientId || '',
            studyUid: h.studyUid || meta.studyUid || '',
            seriesUid: meta.seriesUid,
            sopUid,
            frame,
            modality: h.modality || meta.modality || '',
            label: meta.label,
            bodyPart: meta.bodyPart ?? (h.bodyPart || 'UNKNOWN'),
            rows: h.rows,
            cols: h.columns,
            normLo: img.normLo,
            normHi: img.normHi,
            pixelHash: img.pixelHash,
          },
        });
      } catch (err) {
        rejects.push(rejectOf(f.name, err, sopUid, frames > 1 ? frame : undefined));
      }
    });
  }
}

/** One grey image of an imported file (a PNG/JPEG, or one slice of a volume) → a staged sample. */
function importedSample(
  f: SeriesFile,
  frame: number,
  grey: { values: Float32Array; rows: number; cols: number; bitsAllocated: number; pixelRepresentation: 0 | 1 },
  meta: SeriesMeta,
  config: PreprocessConfig,
): StagedSample {
  const modality = meta.modality ?? meta.label;
  const { rows, cols } = grey;
  const img = frameToImage(
    grey.values,
    null,
    { rows, cols, invert: false, modality, label: meta.label, bitsAllocated: grey.bitsAllocated, pixelRepresentation: grey.pixelRepresentation, slope: 1, intercept: 0 },
    config,
  );
  const fm = meta.fileMeta?.[f.name];
  return {
    image: img.image,
    dataset: meta.dataset,
    patientId: fm?.patientId ?? meta.patientId ?? '',
    studyUid: fm?.studyUid ?? meta.studyUid ?? meta.seriesUid,
    seriesUid: meta.seriesUid,
    sopUid: meta.sopUids?.[f.name] ?? f.name,
    frame,
    modality,
    label: meta.label,
    bodyPart: fm?.bodyPart ?? meta.bodyPart ?? 'UNKNOWN',
    rows,
    cols,
    normLo: img.normLo,
    normHi: img.normHi,
    pixelHash: img.pixelHash,
  };
}

async function imageFile(f: SeriesFile, meta: SeriesMeta, config: PreprocessConfig, out: Collected[]): Promise<void> {
  const grey = await decodeImageFile(await f.read());
  const sample = importedSample(f, 0, { ...grey, bitsAllocated: grey.bits, pixelRepresentation: 0 }, meta, config);
  out.push({ instance: Infinity, sample });
}

/**
 * A volume file (.npy, NIfTI): one sample per slice. A constant slice (the empty slices above and
 * below a skull-stripped head) carries no image: it is a policy skip, not a broken file.
 */
async function volumeFile(f: SeriesFile, format: VolumeFormat, meta: SeriesMeta, config: PreprocessConfig, out: Collected[], rejects: FileReject[]): Promise<void> {
  const volume = await readVolume(format, await f.read(), f.name);
  const sopUid = meta.sopUids?.[f.name] ?? f.name;
  for (let s = 0; s < volume.slices; s++) {
    try {
      const sample = importedSample(f, s, { ...volume, values: volume.slice(s) }, meta, config);
      out.push({ instance: Infinity, sample });
    } catch (err) {
      const r = rejectOf(f.name, err, sopUid, s);
      if (r.code === 'CONSTANT_IMAGE') Object.assign(r, { code: 'CONSTANT_SLICE', skip: true });
      rejects.push(r);
    }
  }
}

/** Decode, normalise and resize every chosen file of `files` (does not write anything). */
export async function seriesSamples(
  files: SeriesFile[],
  format: FileFormat,
  meta: SeriesMeta,
  config: PreprocessConfig,
): Promise<{ samples: StagedSample[]; files: number; imageFiles: number; rejects: FileReject[] }> {
  const rejects: FileReject[] = [];
  const chosen = format === 'dicom' ? await chooseFiles(files, meta.keep, config, rejects) : files;
  const collected: Collected[] = [];
  for (const f of chosen) {
    try {
      if (format === 'dicom') await dicomFile(f, meta, config, collected, rejects);
      else if (format === 'image') await imageFile(f, meta, config, collected);
      else await volumeFile(f, format, meta, config, collected, rejects);
    } catch (err) {
      rejects.push(rejectOf(f.name, err, meta.sopUids?.[f.name]));
    }
  }
  // Deterministic order whatever the file order: instance, SOP UID, frame.
  collected.sort(
    (a, b) =>
      a.instance - b.instance ||
      (a.sample.sopUid < b.sample.sopUid ? -1 : a.sample.sopUid > b.sample.sopUid ? 1 : 0) ||
      a.sample.frame - b.sample.frame,
  );
  // Files looked at: the chosen ones plus those whose header could not be read while choosing.
  const chosenNames = new Set(chosen.map((c) => c.name));
  const looked = chosen.length + new Set(rejects.filter((r) => !chosenNames.has(r.file)).map((r) => r.file)).size;
  const skipFiles = new Set(rejects.filter((r) => r.skip).map((r) => r.file)).size;
  return { samples: collected.map((c) => c.sample), files: looked, imageFiles: looked - skipFiles, rejects };
}

/** Open the series' files, stage them, write the staging file. The worker pool's task. */
export async function runSeriesTask(task: SeriesTask): Promise<SeriesOutcome> {
  const start = performance.now();
  let src: SeriesFiles;
  try {
    src = task.source.kind === 'zip' ? await openSeriesZip(task.source.file) : folderFiles(task.source.files);
  } catch (err) {
    // Known data errors travel back as plain data (error classes do not survive a worker boundary).
    if (!isEtlError(err)) throw err;
    return { failed: { code: err.code, message: err.message }, samples: 0, files: 0, imageFiles: 0, rejects: [], seconds: (performance.now() - start) / 1000 };
  }
  try {
    const format = task.source.kind === 'zip' ? 'dicom' : task.source.format;
    const r = await seriesSamples(src.files, format, task.meta, task.config);
    await writeStaging(task.out, r.samples, task.config.size, task.metadata);
    return { samples: r.samples.length, files: r.files, imageFiles: r.imageFiles, rejects: r.rejects, seconds: (performance.now() - start) / 1000 };
  } catch (err) {
    // Error classes and their fields do not survive the worker boundary: send the facts.
    if (!(err instanceof EnvironmentError)) throw err;
    const file = err.details.file;
    return { environment: { sysCode: String(err.details.sysCode), file: typeof file === 'string' ? file : undefined }, samples: 0, files: 0, imageFiles: 0, rejects: [], seconds: 0 };
  } finally {
    src.close();
  }
}
