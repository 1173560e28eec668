import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, DataError, InputError, isEtlError, messageOf } from '../core/errors.ts';
import { sha256Bytes, sha256Hex } from '../core/hash.ts';
import { inPartition, parsePartition, type Partition } from '../core/partition.ts';
import { safeSegment } from '../core/paths.ts';
import { DEFAULT_CLASSES } from '../core/types.ts';
import { classOf } from '../core/classMap.ts';
import { readDicomHeader, type DicomHeader } from './decode/index.ts';
import { isImageName } from './imageFile.ts';
import { canonicalConfig, configHash, resolvePreprocessConfig, type PreprocessConfig, type PreprocessConfigInput } from './preprocessConfig.ts';
import { resolveWorkers } from './pool.ts';
import type { SeriesMeta } from './preprocessSeries.ts';
import { STAGE, runPreprocessJobs, validateRejectRate, type PreprocessJob, type JobRunResult } from './jobRunner.ts';
import { folderFiles } from './zipSource.ts';

/**
 * `etl import folder DIR --dataset NAME`: stage a local folder like TCIA series, into
 * `staging/<NAME>/<SeriesUID>.arrow`, through the same worker pool, rejects and skip-if-unchanged.
 *
 * - DICOM files (any layout, NBIA Data Retriever's `<Collection>/<PatientID>/<study>/<series>/1-001.dcm`
 *   included; DICOMDIR skipped) are grouped by SeriesInstanceUID; patient, study and body part come
 *   from their headers (`--location` overrides the body part).
 * - PNG/JPEG files (CheXpert, MURA, RSNA bone age) are grouped by parent folder, at most
 *   IMAGE_SERIES_MAX per series (sorted by name), with synthetic UIDs `2.25.<decimal of the first
 *   128 bits of sha256(dataset, folder[, chunk])>`. Patient rule: the nearest folder (walking up from
 *   the file, inside DIR) whose name starts with "patient" (CheXpert `patient00001`, MURA
 *   `patient11185`), else the series folder itself (its path relative to DIR, "." for DIR).
 * - Label: `--label`, else the class of `--modality` (DEFAULT_CLASS_MAP; a class name maps to
 *   itself), else — DICOM only — the class of each series' Modality (unmapped series are skipped as
 *   UNMAPPED_MODALITY). PNG/JPEG need `--label` or `--modality`.
 * - inputSha256 of a series: sha256 over its files' relative paths, sizes and mtimes plus its
 *   label and body part, so touching, adding or relabelling files re-stages it.
 */

export const IMAGE_SERIES_MAX = 1000;
/** Bytes read per file to find its series (headers are small; longer ones are read whole). */
const SCAN_PREFIX = 64 * 1024;
/** Extensions that are never DICOM (kept quiet instead of rejected). */
const NOT_DICOM_EXT = new Set(['.txt', '.csv', '.json', '.xml', '.md', '.html', '.pdf', '.zip', '.gz', '.tsv', '.xlsx', '.py', '.log']);

export interface ImportFolderOptions extends PreprocessConfigInput {
  dir: string;
  dataset: string;
  /** DICOM modality (or class) of PNG/JPEG files; label source when --label is absent. */
  modality?: string;
  /** Body location for every image (default: DICOM BodyPartExamined, else UNKNOWN). */
  location?: string;
  label?: string;
  workers?: number;
  maxRejectRate?: number;
  partition?: string | Partition;
}

export interface ImportFolderResult extends JobRunResult {
  config: PreprocessConfig;
  dicomFiles: number;
  /** PNG/JPEG files found. */
  pictureFiles: number;
  ignoredFiles: number;
}

interface FileInfo {
  path: string;
  rel: string;
  size: number;
  mtimeMs: number;
}

/** 2.25.<decimal of the first 128 bits of sha256(parts)>: a valid UID (≤ 44 characters). */
export function syntheticUid(...parts: string[]): string {
  const h = sha256Bytes(parts.join('\u0000'));
  return `2.25.${BigInt('0x' + h.subarray(0, 16).toString('hex')).toString(10)}`;
}

/** Files under `dir`; a folder or file that cannot be listed or stat'ed is reported to `unreadable` and skipped. */
function walk(dir: string, root: string, out: FileInfo[], unreadable: (rel: string, err: unknown) => void): void {
  const rel = (p: string) => path.relative(root, p).split(path.sep).join('/');
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (dir === root) throw err;
    return unreadable(rel(dir) + '/', err);
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.name.startsWith('.')) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, root, out, unreadable);
    else if (e.isFile()) {
      try {
        const st = fs.statSync(p);
        out.push({ path: p, rel: rel(p), size: st.size, mtimeMs: st.mtimeMs });
      } catch (err) {
        unreadable(rel(p), err);
      }
    }
  }
}

/** A file system error on input (permissions, I/O): a reject with the system's reason, never a bug. */
function unreadableError(rel: string, err: unknown): DataError {
  const code = (err as { code?: unknown }).code;
  return new DataError('FILE_UNREADABLE', `${rel} cannot be read: ${typeof code === 'string' ? `${code} ` : ''}${messageOf(err)}`);
}

export function labelFor(modality: string | undefined): string | undefined {
  if (!modality) return undefined;
  const m = modality.trim().toUpperCase();
  return classOf(m) ?? ((DEFAULT_CLASSES as readonly string[]).includes(m) ? m : undefined);
}

/** Patient of an image file: nearest "patient*" folder above it, else its series folder. */
export function imagePatient(rel: string): string {
  const dirs = rel.split('/').slice(0, -1);
  for (let i = dirs.length - 1; i >= 0; i--) if (/^patient/i.test(dirs[i]!)) return dirs[i]!;
  return dirs.length ? dirs.join('/') : '.';
}

function digest(files: FileInfo[], extra: string[]): string {
  const lines = files.map((f) => `${f.rel}\t${f.size}\t${Math.round(f.mtimeMs)}`).sort();
  return sha256Hex([...extra, ...lines].join('\n'));
}

/** The checked options of one import: what every step below needs. */
interface ImportPlan {
  config: PreprocessConfig;
  /** configHash(config) and the staging files' schema metadata. */
  hash: string;
  metadata: Record<string, string>;
  workers: number;
  maxRejectRate: number;
  part: Partition;
  dataset: string;
  /** `--label`, else the class of `--modality`: the label of every PNG/JPEG file. */
  fixedLabel: string | undefined;
  root: string;
}

/** Counts and rejects found before the pool runs (the reject budget's base), and how to record one. */
interface PriorFindings {
  prior: { files: number; imageFiles: number; rejects: Array<{ code: string; skip: boolean }> };
  reject: (rel: string, err: DataError) => void;
}

function checkOptions(options: ImportFolderOptions): ImportPlan {
  const config = resolvePreprocessConfig(options);
  const workers = resolveWorkers(options.workers);
  const maxRejectRate = validateRejectRate(options.maxRejectRate);
  const part = typeof options.partition === 'object' ? options.partition : parsePartition(options.partition);
  const dataset = options.dataset?.trim();
  if (!dataset || safeSegment(dataset) !== dataset) {
    throw new ConfigError(`\`dataset\` must be a plain name (got "${options.dataset ?? ''}")`, { hint: 'e.g. `dataset` CheXpert; no slashes' });
  }
  if (options.modality !== undefined && options.label === undefined && !labelFor(options.modality)) {
    throw new ConfigError(`\`modality\` ${options.modality} maps to no class`, { hint: 'use CT, MR, PT, CR, DX, MG or XR, or give `label`' });
  }
  const root = path.resolve(options.dir);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    throw new InputError('FOLDER_NOT_FOUND', `${options.dir} is not a folder`, { hint: 'give the folder holding the DICOM or PNG/JPEG files' });
  }
  const hash = configHash(config);
  const metadata = { configHash: hash, preprocessConfig: canonicalConfig(config) };
  return { config, hash, metadata, workers, maxRejectRate, part, dataset, fixedLabel: options.label ?? labelFor(options.modality), root };
}

function priorFindings(dataset: string, ctx: RunContext): PriorFindings {
  const prior = { files: 0, imageFiles: 0, rejects: [] as Array<{ code: string; skip: boolean }> };
  const reject = (rel: string, err: DataError) => {
    prior.files++;
    prior.imageFiles++;
    prior.rejects.push({ code: err.code, skip: false });
    ctx.rejects.record({ stage: STAGE, key: `${dataset}/${rel}`, dataset, file: rel, error: err });
  };
  return { prior, reject };
}

interface DicomScan {
  series: Map<string, { header: DicomHeader; files: FileInfo[] }>;
  dicomFiles: number;
  ignored: number;
}

/** DICOM: read each header (a prefix of the file) to group the files by series. */
async function scanDicom(all: FileInfo[], dataset: string, found: PriorFindings, ctx: RunContext): Promise<DicomScan> {
  const scan: DicomScan = { series: new Map(), dicomFiles: 0, ignored: 0 };
  const { prior, reject } = found;
  const progress = ctx.progress('import: scan', all.filter((f) => !isImageName(f.rel)).length, 'files');
  for (const f of all) {
    if (isImageName(f.rel)) continue;
    progress.tick();
    const base = path.basename(f.rel);
    const ext = path.extname(base).toLowerCase();
    if (base.toUpperCase() === 'DICOMDIR' || NOT_DICOM_EXT.has(ext)) {
      scan.ignored++;
      continue;
    }
    let header: DicomHeader;
    try {
      header = await headerOfFile(f);
    } catch (err) {
      if (!isEtlError(err) || err.code === 'FILE_UNREADABLE') {
        reject(f.rel, isEtlError(err) ? (err as DataError) : unreadableError(f.rel, err));
        continue;
      }
      const looksDicom = ext === '.dcm' || ext === '.dicom' || isDicmMagic(f.path);
      if (!looksDicom) {
        scan.ignored++;
        continue;
      }
      prior.files++;
      prior.imageFiles++;
      const code = isEtlError(err) ? err.code : 'NOT_DICOM';
      prior.rejects.push({ code, skip: false });
      ctx.rejects.record({ stage: STAGE, key: `${dataset}/${f.rel}`, dataset, file: f.rel, code, error: messageOf(err) });
      continue;
    }
    scan.dicomFiles++;
    const uid = header.seriesUid || syntheticUid(dataset, 'dicom-folder', path.dirname(f.rel));
    const s = scan.series.get(uid);
    if (s) s.files.push(f);
    else scan.series.set(uid, { header, files: [f] });
  }
  progress.stop();
  return scan;
}

async function headerOfFile(f: FileInfo): Promise<DicomHeader> {
  const file = folderFiles([{ path: f.path, name: f.rel, size: f.size }]).files[0]!;
  const prefix = await file.readPrefix(SCAN_PREFIX);
  try {
    return readDicomHeader(prefix);
  } catch (err) {
    if (prefix.length >= f.size) throw err;
    return readDicomHeader(await file.read());
  }
}

/** One job: the series' files, read in place, staged under the dataset's name. */
function jobOf(plan: ImportPlan, seriesUid: string, meta: SeriesMeta, files: FileInfo[], format: 'dicom' | 'image', ctx: RunContext): PreprocessJob {
  return {
    collection: plan.dataset,
    seriesUid,
    dataset: plan.dataset,
    inputSha256: digest(files, [format, meta.label, meta.bodyPart ?? '', meta.modality ?? '']),
    sidecar: ctx.paths.stagingSidecar(plan.dataset, seriesUid),
    task: {
      source: { kind: 'files', format, files: files.map((f) => ({ path: f.path, name: f.rel, size: f.size })) },
      meta,
      config: plan.config,
      out: ctx.paths.staging(plan.dataset, seriesUid),
      metadata: plan.metadata,
    },
  };
}

/** A job per DICOM series of this partition; series whose modality maps to no class are skipped (UNMAPPED_MODALITY). */
function dicomJobs(plan: ImportPlan, options: ImportFolderOptions, scan: DicomScan, prior: PriorFindings['prior'], ctx: RunContext): PreprocessJob[] {
  const { dataset } = plan;
  const jobs: PreprocessJob[] = [];
  for (const [uid, s] of [...scan.series.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!inPartition(uid, plan.part)) continue;
    const label = options.label ?? labelFor(options.modality ?? s.header.modality);
    if (!label) {
      prior.rejects.push({ code: 'UNMAPPED_MODALITY', skip: true });
      ctx.rejects.record({
        stage: STAGE, key: `${dataset}/${uid}`, dataset, seriesUid: uid, code: 'UNMAPPED_MODALITY',
        error: `series ${uid} (${s.files.length} files): modality ${s.header.modality || '(none)'} maps to no class; skipped (give \`label\` to keep it)`,
      });
      continue;
    }
    const meta: SeriesMeta = {
      dataset, seriesUid: uid, label, bodyPart: options.location ?? null,
      patientId: s.header.patientId, studyUid: s.header.studyUid, modality: s.header.modality,
    };
    jobs.push(jobOf(plan, uid, meta, s.files, 'dicom', ctx));
  }
  return jobs;
}

/** PNG/JPEG: series = parent folder, in chunks of IMAGE_SERIES_MAX files. */
function imageJobs(plan: ImportPlan, options: ImportFolderOptions, images: FileInfo[], ctx: RunContext): { jobs: PreprocessJob[]; folders: number } {
  const { dataset } = plan;
  const folders = new Map<string, FileInfo[]>();
  for (const f of images) {
    const folder = path.posix.dirname(f.rel);
    const list = folders.get(folder);
    if (list) list.push(f);
    else folders.set(folder, [f]);
  }
  const jobs: PreprocessJob[] = [];
  for (const [folder, files] of [...folders.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    for (let c = 0; c * IMAGE_SERIES_MAX < files.length; c++) {
      const chunk = files.slice(c * IMAGE_SERIES_MAX, (c + 1) * IMAGE_SERIES_MAX);
      const uid = c === 0 ? syntheticUid(dataset, folder) : syntheticUid(dataset, folder, String(c));
      if (!inPartition(uid, plan.part)) continue;
      const label = plan.fixedLabel!;
      const meta: SeriesMeta = {
        dataset, seriesUid: uid, label, bodyPart: options.location ?? null,
        patientId: imagePatient(chunk[0]!.rel), studyUid: syntheticUid(dataset, 'study', folder),
        modality: options.modality?.trim().toUpperCase() ?? label,
        sopUids: Object.fromEntries(chunk.map((f) => [f.rel, syntheticUid(dataset, f.rel)])),
      };
      jobs.push(jobOf(plan, uid, meta, chunk, 'image', ctx));
    }
  }
  return { jobs, folders: folders.size };
}

export async function importFolder(options: ImportFolderOptions, ctx: RunContext): Promise<ImportFolderResult> {
  const plan = checkOptions(options);
  const found = priorFindings(plan.dataset, ctx);
  const all: FileInfo[] = [];
  try {
    walk(plan.root, plan.root, all, (rel, err) => found.reject(rel, unreadableError(rel, err)));
  } catch (err) {
    throw new InputError('FOLDER_UNREADABLE', `${options.dir} cannot be listed: ${messageOf(err)}`, { hint: 'check its permissions' });
  }
  const images = all.filter((f) => isImageName(f.rel));
  if (images.length > 0 && !plan.fixedLabel) {
    throw new ConfigError(`${options.dir} holds ${images.length} PNG/JPEG files, which carry no modality`, {
      hint: 'give `label` (e.g. XR) or `modality` (e.g. DX)',
    });
  }
  const scan = await scanDicom(all, plan.dataset, found, ctx);
  const dicom = dicomJobs(plan, options, scan, found.prior, ctx);
  const pictures = imageJobs(plan, options, images, ctx);
  const jobs = [...dicom, ...pictures.jobs];
  ctx.log.info(
    `import ${plan.dataset}: ${scan.series.size} DICOM series (${scan.dicomFiles} files), ${images.length} PNG/JPEG in ${pictures.folders} folders, ${scan.ignored} other files ignored`,
  );
  const { workers, maxRejectRate, hash, dataset } = plan;
  const r = await runPreprocessJobs(jobs, { workers, maxRejectRate, configHash: hash, label: `import ${dataset}`, prior: found.prior }, ctx);
  return { ...r, config: plan.config, dicomFiles: scan.dicomFiles, pictureFiles: images.length, ignoredFiles: scan.ignored };
}

function isDicmMagic(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(4);
    return fs.readSync(fd, b, 0, 4, 128) === 4 && b.toString('latin1') === 'DICM';
  } finally {
    fs.closeSync(fd);
  }
}
