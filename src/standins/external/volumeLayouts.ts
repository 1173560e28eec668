import fs from 'node:fs';
import path from 'node:path';
import { encodeNifti, encodeNpy } from './encode.ts';
import { mrVolume, toUint8 } from './images.ts';
import type { GeneratedExternal, GenerateOptions } from './types.ts';

/**
 * The volume datasets' layouts: MRNet (.npy per exam and plane), BraTS 2020 (.nii.gz per case and
 * sequence, plus the seg label map), and generic NIfTI / .npy folders exercising the formats'
 * variants (NIfTI-2, big-endian, scl_slope, .npy v2/v3, Fortran order, int16/float32).
 * With `bad`: a truncated .npy, an .npy with a malformed header, a .nii.gz that is not gzip.
 */

function write(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

const count = (o: GenerateOptions, base: number) => Math.max(1, Math.round(base * o.scale));

export function generateMrnet(out: string, o: GenerateOptions): GeneratedExternal {
  const root = path.join(out, 'MRNet-v1.0');
  const r: GeneratedExternal = { format: 'mrnet', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 256;
  let exam = 0;
  for (const split of ['train', 'valid']) {
    const exams = split === 'train' ? count(o, 2) : 1;
    const labels: string[] = [];
    for (let e = 0; e < exams; e++, exam++) {
      const id = String(split === 'train' ? exam : 1130 + e).padStart(4, '0');
      r.patients.push(id);
      labels.push(`${id},${e % 2}`);
      for (const plane of ['axial', 'coronal', 'sagittal']) {
        const slices = 3 + (exam % 3);
        const vol = toUint8(mrVolume('knee', plane === 'axial' ? 'PD' : 'T2', size, slices, 0, o.seed, id, plane));
        write(path.join(root, split, plane, `${id}.npy`), encodeNpy(vol, [slices, size, size], '|u1'));
        r.images += slices;
      }
    }
    for (const task of ['abnormal', 'acl', 'meniscus']) write(path.join(root, `${split}-${task}.csv`), labels.join('\n') + '\n');
  }
  if (o.bad) {
    const good = encodeNpy(new Uint8Array(3 * size * size), [3, size, size], '|u1');
    write(path.join(root, 'train/axial/0900.npy'), good.subarray(0, good.length - 1000));
    r.bad.push({ file: 'train/axial/0900.npy', code: 'NPY_TRUNCATED' });
    const broken = Buffer.from(good);
    broken.write("{'descr': '<u1', 'fortran_order': Maybe", 10, 'latin1');
    write(path.join(root, 'train/coronal/0901.npy'), broken);
    r.bad.push({ file: 'train/coronal/0901.npy', code: 'NPY_MALFORMED' });
  }
  return r;
}

const SEQUENCES = [['t1', 'T1'], ['t1ce', 'T1'], ['t2', 'T2'], ['flair', 'FLAIR']] as const;

export function generateBrats(out: string, o: GenerateOptions): GeneratedExternal {
  const root = path.join(out, 'MICCAI_BraTS2020_TrainingData');
  const r: GeneratedExternal = { format: 'brats20', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 240;
  const slices = 4;
  const empty = 1;
  const nz = slices + 2 * empty;
  for (let c = 1; c <= count(o, 2); c++) {
    const id = `BraTS20_Training_${String(c).padStart(3, '0')}`;
    r.patients.push(id);
    for (const [seq, contrast] of SEQUENCES) {
      const vol = mrVolume('brain', contrast, size, slices, empty, o.seed, id, seq);
      // BraTS ships int16 (flair/t1/t2) and float32 volumes; one of each here.
      const datatype = seq === 't1ce' ? 16 : 4;
      const values = datatype === 4 ? vol.map((v) => Math.min(32767, Math.round(v))) : vol;
      write(path.join(root, id, `${id}_${seq}.nii.gz`), encodeNifti(values, [size, size, nz], { datatype }));
      r.images += slices;
    }
    const seg = new Uint8Array(size * size * nz);
    seg.fill(1, size * size * (empty + 1), size * size * (empty + 1) + size * 8);
    write(path.join(root, id, `${id}_seg.nii.gz`), encodeNifti(seg, [size, size, nz], { datatype: 2 }));
  }
  write(path.join(root, 'name_mapping.csv'), 'Grade,BraTS_2017_subject_ID,BraTS_2018_subject_ID,BraTS_2019_subject_ID,BraTS_2020_subject_ID\n');
  if (o.bad) {
    const id = 'BraTS20_Training_999';
    write(path.join(root, id, `${id}_flair.nii.gz`), 'plain text, not gzip\n');
    r.bad.push({ file: `${id}/${id}_flair.nii.gz`, code: 'NIFTI_NOT_GZIP' });
  }
  return r;
}

/** Generic NIfTI volumes: NIfTI-1 and -2, gzip and not, big-endian, scl_slope/scl_inter, uint16. */
export function generateNiftiFolder(out: string, o: GenerateOptions): GeneratedExternal {
  const root = path.join(out, 'nifti-volumes');
  const r: GeneratedExternal = { format: 'nifti', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 48;
  const variants = [
    { name: 'sub-01/anat/sub-01_T1w.nii.gz', opts: { datatype: 4 as const } },
    { name: 'sub-02/anat/sub-02_T2w.nii', opts: { datatype: 512 as const, version: 2 as const, gzip: false } },
    { name: 'sub-03/anat/sub-03_T1w.nii.gz', opts: { datatype: 4 as const, littleEndian: false, sclSlope: 0.5, sclInter: -10 } },
  ];
  for (const [k, v] of variants.entries()) {
    const vol = mrVolume('brain', k === 1 ? 'T2' : 'T1', size, 3, 0, o.seed, v.name);
    write(path.join(root, v.name), encodeNifti(vol.map((x) => Math.min(32767, Math.round(x))), [size, size, 3], v.opts));
    r.patients.push(v.name.split('/')[0]!);
    r.images += 3;
  }
  if (o.bad) {
    write(path.join(root, 'sub-04/anat/sub-04_T1w.nii.gz'), 'not gzip');
    r.bad.push({ file: 'sub-04/anat/sub-04_T1w.nii.gz', code: 'NIFTI_NOT_GZIP' });
  }
  return r;
}

/** Generic .npy: 2-D and 3-D, versions 1–3, C and Fortran order, int16 big-endian and float32. */
export function generateNpyFolder(out: string, o: GenerateOptions): GeneratedExternal {
  const root = path.join(out, 'npy-volumes');
  const r: GeneratedExternal = { format: 'npy', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 48;
  const vol = mrVolume('knee', 'PD', size, 3, 0, o.seed, 'npy');
  const files: Array<[string, Buffer, number]> = [
    ['case01/volume.npy', encodeNpy(vol.map(Math.round), [3, size, size], '<i2'), 3],
    ['case02/volume.npy', encodeNpy(vol, [3, size, size], '<f4', { version: 2, fortran: true }), 3],
    ['case03/volume.npy', encodeNpy(vol.map(Math.round), [3, size, size], '>i2', { version: 3 }), 3],
    ['case04/slice.npy', encodeNpy(vol.subarray(0, size * size), [size, size], '<f8'), 1],
  ];
  for (const [name, bytes, n] of files) {
    write(path.join(root, name), bytes);
    r.patients.push(name.split('/')[0]!);
    r.images += n;
  }
  if (o.bad) {
    const b = files[0]![1];
    write(path.join(root, 'case05/volume.npy'), b.subarray(0, b.length >> 1));
    r.bad.push({ file: 'case05/volume.npy', code: 'NPY_TRUNCATED' });
  }
  return r;
}
