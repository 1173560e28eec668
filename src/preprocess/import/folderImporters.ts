import path from 'node:path';
import { isImageName } from '../imageFile.ts';
import type { PreprocessJob } from '../jobRunner.ts';
import type { ImportRun } from './importRun.ts';
import { walkFiles, walkFolders, type FoundFile } from './walk.ts';

/**
 * Datasets whose folder layout is the metadata (MURA, MRNet, BraTS 2020, and anyone's NIfTI/.npy
 * volumes). Folders are walked as a stream; a series is a unit the layout defines (a MURA study, one
 * volume file), so its identity does not depend on the order the file system lists entries in.
 */

const isNifti = (name: string) => /\.nii(\.gz)?$/i.test(name);
const isNpy = (name: string) => name.toLowerCase().endsWith('.npy');

function segments(rel: string): string[] {
  return rel.split('/');
}

/** MURA-v1.1/{train,valid}/XR_<BODYPART>/patientNNNNN/studyN_{positive,negative}/imageN.png */
export async function* muraJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  for await (const folder of walkFolders(run.root, isImageName)) {
    const parts = segments(folder.rel);
    const body = parts.find((p) => /^XR_/i.test(p));
    const patient = parts.find((p) => /^patient\d+/i.test(p));
    if (!body || !patient) {
      for (const f of folder.files) run.reject(f.rel, 'LAYOUT_UNEXPECTED', `${f.rel} is not under XR_<BODYPART>/patientNNNNN/ (MURA layout); skipped`, true);
      continue;
    }
    const location = body.slice(3).toLowerCase();
    // MURA numbers patients across body parts: patient11185 of XR_HAND and of XR_WRIST is one person.
    const job = run.job(`${folder.rel}#${folder.part}`, 'image', folder.files, {
      patientId: patient,
      studyUid: run.sopUid(`study:${folder.rel}`),
      bodyPart: run.location(location),
    });
    if (job) yield job;
  }
}

/** One volume file → one series (a slice per sample), patient from `patientOf`. */
async function* volumeJobs(
  run: ImportRun,
  format: 'npy' | 'nifti',
  accept: (name: string) => boolean,
  patientOf: (f: FoundFile) => { patientId: string; study: string } | string,
): AsyncGenerator<PreprocessJob> {
  for await (const f of walkFiles(run.root, accept)) {
    const who = patientOf(f);
    if (typeof who === 'string') {
      run.reject(f.rel, who.startsWith('skip:') ? 'NOT_AN_IMAGE' : 'LAYOUT_UNEXPECTED', who.replace(/^skip:\s*/, ''), true);
      continue;
    }
    const job = run.job(f.rel, format, [f], { patientId: who.patientId, studyUid: run.sopUid(`study:${who.study}`) });
    if (job) yield job;
  }
}

/** MRNet-v1.0/{train,valid}/{axial,coronal,sagittal}/NNNN.npy, uint8 (slices, 256, 256); patient = exam. */
export function mrnetJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  return volumeJobs(run, 'npy', isNpy, (f) => {
    const parts = segments(f.rel);
    const plane = parts.at(-2)?.toLowerCase();
    const exam = path.basename(f.rel, '.npy');
    if (!plane || !['axial', 'coronal', 'sagittal'].includes(plane)) return `${f.rel} is not under an axial/, coronal/ or sagittal/ folder (MRNet layout); skipped`;
    // The three planes of an exam are one knee of one patient; MRNet's exam ids are unique across train and valid.
    return { patientId: exam, study: exam };
  });
}

/** BraTS20_Training_NNN/BraTS20_Training_NNN_{t1,t1ce,t2,flair}.nii.gz; `_seg` label maps are skipped. */
export function bratsJobs(run: ImportRun): AsyncGenerator<PreprocessJob> {
  return volumeJobs(run, 'nifti', isNifti, (f) => {
    const base = path.basename(f.rel).replace(/\.nii(\.gz)?$/i, '');
    if (/_seg$/i.test(base)) return `skip: ${f.rel} is a segmentation label map, not an image`;
    const parts = segments(f.rel);
    const caseDir = parts.length > 1 ? parts.at(-2)! : base.replace(/_(t1|t1ce|t2|flair)$/i, '');
    return { patientId: caseDir, study: caseDir };
  });
}

/** Patient of a generic volume: nearest folder named patient*, sub-* or case*, else its folder, else the file. */
function genericPatient(f: FoundFile): { patientId: string; study: string } {
  const dirs = segments(f.rel).slice(0, -1);
  const named = [...dirs].reverse().find((d) => /^(patient|sub-|case)/i.test(d));
  const id = named ?? (dirs.length > 0 ? dirs.join('/') : f.rel.replace(/\.(npy|nii(\.gz)?)$/i, ''));
  return { patientId: id, study: dirs.join('/') || id };
}

export const niftiJobs = (run: ImportRun) => volumeJobs(run, 'nifti', isNifti, genericPatient);
export const npyJobs = (run: ImportRun) => volumeJobs(run, 'npy', isNpy, genericPatient);
