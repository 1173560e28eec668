import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import pLimit from 'p-limit';
import { InputError } from '../../core/errors.ts';
import type { PreprocessJob } from '../jobRunner.ts';
import type { FileMeta } from '../preprocessSeries.ts';
import { csvRows, type CsvRow } from './csvRows.ts';
import { chunks, type ImportRun } from './importRun.ts';
import { statFile, type FoundFile } from './walk.ts';

/**
 * Datasets whose CSV is the list of images (CheXpert, NIH ChestX-ray14, RSNA bone age). The CSV is
 * streamed; every ROWS_PER_SERIES rows become one staged series (its id: dataset, CSV name, chunk
 * number — stable for the same CSV), each image keeping its own patient and study from the CSV or
 * its path. A row naming a file that does not exist is a reject; the rest import.
 */

export const ROWS_PER_SERIES = 256;
/**
 * File lookups in flight: stat runs on libuv's thread pool, which the workers' file reads share;
 * a whole chunk at once would queue their reads behind 256 stats.
 */
const STAT_CONCURRENCY = 8;

interface RowTarget {
  /** Where the file may be, most likely first. */
  candidates: string[];
  /** How the row names the file (for rejects). */
  named: string;
  meta: FileMeta & { patientId: string };
  /** Told which candidate held the file. */
  hit?: (candidate: number) => void;
}

async function locate(run: ImportRun, target: RowTarget): Promise<FoundFile | undefined> {
  for (const [i, c] of target.candidates.entries()) {
    const f = await statFile(run.root, c);
    if (f) {
      target.hit?.(i);
      return f;
    }
  }
  return undefined;
}

/** Series jobs from the rows of one CSV; `target` says where a row's file is and whose it is. */
async function* csvSeries(
  run: ImportRun,
  csv: string,
  required: string[],
  target: (row: CsvRow) => RowTarget | string,
): AsyncGenerator<PreprocessJob> {
  const csvName = path.basename(csv);
  const limit = pLimit(STAT_CONCURRENCY);
  let index = 0;
  for await (const batch of chunks(csvRows(csv, required), ROWS_PER_SERIES)) {
    const targets = batch.map((row) => ({ row, t: target(row) }));
    const located = await Promise.all(targets.map(({ t }) => (typeof t === 'string' ? undefined : limit(() => locate(run, t)))));
    const files: FoundFile[] = [];
    const fileMeta: Record<string, FileMeta> = {};
    targets.forEach(({ row, t }, i) => {
      const where = `${csvName} line ${row.line}`;
      if (typeof t === 'string') return run.reject(`${csvName}:${row.line}`, 'CSV_ROW_INVALID', `${where}: ${t}`);
      const f = located[i];
      if (!f) return run.reject(t.named, 'FILE_MISSING', `${where} names ${t.named}, which is not in ${run.root}`);
      if (fileMeta[f.rel]) return; // listed twice: stage once
      files.push(f);
      fileMeta[f.rel] = t.meta;
    });
    const first = files[0] ? fileMeta[files[0].rel]! : undefined;
    const job = first && run.job(`${csvName}#${index}`, 'image', files, { patientId: first.patientId ?? "", fileMeta });
    index++;
    if (job) yield job;
  }
}

/** The header line of a CSV (its first 4 KiB suffice; the rest is never read here). */
function firstLine(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n).toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  } finally {
    fs.closeSync(fd);
  }
}

function existing(root: string, names: string[]): string[] {
  return names.map((n) => path.join(root, n)).filter((f) => fs.existsSync(f));
}

function noCsv(root: string, expected: string, hint: string): InputError {
  return new InputError('LAYOUT_NOT_FOUND', `${root} holds no ${expected}`, { hint });
}

/** CheXpert: train.csv / valid.csv (`Path` column); patient and study from the path. */
export async function* chexpertJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  const csvs = existing(run.root, ['train.csv', 'valid.csv', 'test.csv']);
  if (csvs.length === 0) throw noCsv(run.root, 'train.csv or valid.csv', 'give the CheXpert-v1.0(-small) folder that holds train.csv, valid.csv, train/ and valid/');
  for (const csv of csvs) {
    yield* csvSeries(run, csv, ['Path'], (row) => {
      const p = row.fields.Path!.replace(/\\/g, '/');
      const patient = /(?:^|\/)(patient\d+)\//.exec(p)?.[1];
      const study = /(?:^|\/)(patient\d+\/study\d+)\//.exec(p)?.[1];
      if (!patient) return `Path ${p} has no patientNNNNN folder`;
      // Paths start with the archive's folder name (CheXpert-v1.0-small/train/…): try it under the
      // given folder, under its parent, and without that first folder.
      const rest = p.split('/').slice(1).join('/');
      return {
        candidates: [path.join(path.dirname(run.root), p), path.join(run.root, rest), path.join(run.root, p)],
        named: p,
        meta: { patientId: patient, studyUid: run.sopUid(`study:${study ?? patient}`), bodyPart: run.location() },
      };
    });
  }
}

/** NIH ChestX-ray14: Data_Entry_2017*.csv (`Image Index`, `Patient ID`, `Follow-up #`) + images_*\/images/. */
export async function* nihJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  const names = (await fsp.readdir(run.root)).filter((n) => /^Data_Entry_2017.*\.csv$/i.test(n)).sort();
  if (names.length === 0) throw noCsv(run.root, 'Data_Entry_2017.csv', 'give the folder of the NIH ChestX-ray14 download (Data_Entry_2017.csv, images_001/ …)');
  // Image folders: images_001/images/ … (the Box download), or images/ (Kaggle); found once, few.
  const folders: string[] = [];
  for (const n of (await fsp.readdir(run.root)).sort()) {
    if (!/^images/i.test(n) || !fs.statSync(path.join(run.root, n)).isDirectory()) continue;
    const inner = path.join(run.root, n, 'images');
    folders.push(fs.existsSync(inner) ? inner : path.join(run.root, n));
  }
  let last = 0; // rows come in file order, so the folder of the previous hit is tried first
  yield* csvSeries(run, path.join(run.root, names[0]!), ['Image Index', 'Patient ID'], (row) => {
    const image = row.fields['Image Index']!;
    const patient = row.fields['Patient ID']!;
    if (!image || !patient) return 'empty Image Index or Patient ID';
    const order = [last, ...folders.keys()].filter((v, i, a) => a.indexOf(v) === i);
    return {
      candidates: order.map((i) => path.join(folders[i]!, image)),
      named: image,
      meta: { patientId: patient, studyUid: run.sopUid(`study:${patient}:${row.fields['Follow-up #'] ?? ''}`), bodyPart: run.location() },
      hit: (i) => {
        last = order[i]!;
      },
    };
  });
}

/** RSNA bone age: boneage-*.csv (`id` or `Case ID`) next to a folder of <id>.png of the same name. */
export async function* rsnaBoneAgeJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  const csvs = (await fsp.readdir(run.root)).filter((n) => n.toLowerCase().endsWith('.csv')).sort();
  let any = false;
  for (const name of csvs) {
    const header = firstLine(path.join(run.root, name));
    const cols = header.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
    const idCol = cols.find((c) => c === 'id' || c === 'Case ID');
    if (!idCol) continue;
    any = true;
    const stem = name.slice(0, -4);
    yield* csvSeries(run, path.join(run.root, name), [idCol], (row) => {
      const id = row.fields[idCol]!;
      if (!/^\w+$/.test(id)) return `${idCol} "${id}" is not an image id`;
      return {
        candidates: [path.join(run.root, stem, `${id}.png`), path.join(run.root, stem, stem, `${id}.png`), path.join(run.root, `${id}.png`)],
        named: `${stem}/${id}.png`,
        // Every radiograph is a different child: the image id is the patient.
        meta: { patientId: `${stem}:${id}`, bodyPart: run.location() },
      };
    });
  }
  if (!any) throw noCsv(run.root, 'CSV with an id or Case ID column', 'give the folder holding boneage-training-dataset.csv and boneage-training-dataset/');
}
