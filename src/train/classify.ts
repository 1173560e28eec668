import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { RunContext } from '../core/context.ts';
import { ConfigError, messageOf } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fsAtomic.ts';
import { DEFAULT_CLASS_MAP } from '../core/types.ts';
import { isSkip, preprocessDicomBytes, type PreprocessConfigInput } from '../preprocess/index.ts';
import { selectBackend, type BackendRequest } from './backend.ts';
import { imagesToInput, loadModelDir } from './modelStore.ts';
import { DEFAULT_CLASSIFY_BATCH } from './defaults.ts';

/**
 * `etl classify`: DICOM files → the same preprocessing as training (the config recorded in the
 * model) → predicted class per frame, next to the class the header's Modality implies. Rows with
 * `mismatch=true` are the candidates for mislabelled series. Unreadable and non-image files get a
 * row with `error` set; nothing stops the run.
 */

export interface ClassifyOptions {
  paths: string[];
  model: string;
  out?: string;
  batch?: number;
  backend?: BackendRequest;
}

export interface PredictionRow {
  file: string;
  frame: number | null;
  predicted: string;
  confidence: number | null;
  modality: string;
  expected: string;
  mismatch: boolean | null;
  seriesUid: string;
  sopUid: string;
  /** Softmax per class, in model class order. */
  probabilities: number[];
  error: string;
}

export interface ClassifyResult {
  rows: PredictionRow[];
  outPath: string | null;
  files: number;
  frames: number;
  errors: number;
  nonImage: number;
  mismatches: number;
  classNames: string[];
  backend: string;
  seconds: number;
}

/** Every regular file under `p` (recursively, sorted), or `p` itself. Hidden entries are skipped. */
export async function listFiles(p: string): Promise<string[]> {
  const st = await fsp.stat(p);
  if (st.isFile()) return [p];
  if (!st.isDirectory()) return [];
  const out: string[] = [];
  for (const e of (await fsp.readdir(p, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.')) continue;
    const full = path.join(p, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

const CSV_COLUMNS = ['file', 'frame', 'predicted', 'confidence', 'modality', 'expected', 'mismatch', 'series_uid', 'sop_uid'];

function csvField(v: string | number | boolean | null): string {
  const s = v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function predictionsCsv(rows: PredictionRow[], classNames: string[]): string {
  const header = [...CSV_COLUMNS, ...classNames.map((c) => `p_${c}`), 'error'];
  const lines = [header.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.file,
        r.frame,
        r.predicted,
        r.confidence === null ? null : r.confidence.toFixed(4),
        r.modality,
        r.expected,
        r.mismatch,
        r.seriesUid,
        r.sopUid,
        ...classNames.map((_, i) => (r.probabilities[i] === undefined ? null : r.probabilities[i]!.toFixed(4))),
        r.error,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return lines.join('\n') + '\n';
}

export async function classifyFiles(options: ClassifyOptions, ctx: RunContext): Promise<ClassifyResult> {
  const t0 = performance.now();
  if (options.paths.length === 0) throw new ConfigError('etl classify needs at least one file or folder', { hint: 'e.g. etl classify scans/ --model data/runs/<id>' });
  const batch = options.batch ?? DEFAULT_CLASSIFY_BATCH;
  if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`\`batch\` must be a positive integer, got ${batch}`);
  for (const p of options.paths) {
    if (!fs.existsSync(p)) throw new ConfigError(`${p} does not exist`, { hint: 'pass DICOM files or folders' });
  }
  const files: string[] = [];
  for (const p of options.paths) files.push(...(await listFiles(p)));

  const selection = await selectBackend(options.backend ?? 'auto');
  ctx.log.info(selection.reason);
  const { model, meta } = await loadModelDir(options.model);
  const pre: PreprocessConfigInput = (meta.preprocess as PreprocessConfigInput | null) ?? { size: meta.input.sourceSize };
  if (!meta.preprocess) ctx.log.warn(`model records no preprocessing config; using the defaults at ${meta.input.sourceSize}²`);
  const classNames = meta.classNames;
  const pixels = meta.input.sourceSize * meta.input.sourceSize;

  const rows: PredictionRow[] = [];
  let pending: Array<{ row: PredictionRow; image: Uint8Array }> = [];
  let nonImage = 0;
  let errors = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    const n = pending.length;
    const buf = new Uint8Array(n * pixels);
    pending.forEach((p, i) => buf.set(p.image, i * pixels));
    const probsT = tf.tidy(() => tf.softmax(model.predict(imagesToInput(buf, n, meta.input)) as tf.Tensor2D));
    const probs = await probsT.data();
    probsT.dispose();
    const k = classNames.length;
    pending.forEach((p, i) => {
      const pr = Array.from(probs.subarray(i * k, (i + 1) * k));
      const best = pr.reduce((b, v, c) => (v > pr[b]! ? c : b), 0);
      p.row.predicted = classNames[best]!;
      p.row.confidence = pr[best]!;
      p.row.probabilities = pr;
      p.row.mismatch = p.row.expected ? p.row.expected !== p.row.predicted : null;
    });
    pending = [];
  };

  const progress = ctx.progress('classify', files.length, 'files');
  try {
    for (const file of files) {
      if (ctx.signal.aborted) break;
      const base: PredictionRow = { file, frame: null, predicted: '', confidence: null, modality: '', expected: '', mismatch: null, seriesUid: '', sopUid: '', probabilities: [], error: '' };
      try {
        const bytes = await fsp.readFile(file);
        const res = await preprocessDicomBytes(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), pre);
        const h = res.header;
        const common = { modality: h.modality, expected: DEFAULT_CLASS_MAP[h.modality] ?? '', seriesUid: h.seriesUid, sopUid: h.sopInstanceUid };
        for (const s of res.samples) {
          if (s.image.length !== pixels) throw new Error(`preprocessed image has ${s.image.length} pixels, the model expects ${pixels}`);
          const row = { ...base, ...common, frame: s.frame };
          rows.push(row);
          pending.push({ row, image: s.image });
        }
        for (const r of res.rejected) {
          errors++;
          rows.push({ ...base, ...common, frame: r.frame, error: `${r.code}: ${r.message}` });
        }
      } catch (err) {
        if (isSkip(err)) nonImage++;
        else errors++;
        const code = (err as { code?: string }).code;
        rows.push({ ...base, error: `${code ? code + ': ' : ''}${messageOf(err).split('\n')[0]}` });
      }
      if (pending.length >= batch) await flush();
      progress.tick();
    }
    await flush();
  } finally {
    progress.stop();
    model.dispose();
  }
  const outPath = options.out ? path.resolve(options.out) : null;
  if (outPath) await writeFileAtomic(outPath, predictionsCsv(rows, classNames));
  const predicted = rows.filter((r) => r.predicted);
  return {
    rows,
    outPath,
    files: files.length,
    frames: predicted.length,
    errors,
    nonImage,
    mismatches: predicted.filter((r) => r.mismatch === true).length,
    classNames,
    backend: selection.backend,
    seconds: (performance.now() - t0) / 1000,
  };
}
