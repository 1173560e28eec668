import fs from 'node:fs';
import path from 'node:path';
import { encodeJpeg, encodePng16, encodePng8 } from './encode.ts';
import { radiograph, tinted } from './images.ts';
import type { GeneratedExternal, GenerateOptions } from './types.ts';

/**
 * The X-ray datasets' layouts: CheXpert (JPEG + CSVs), NIH ChestX-ray14 (PNG + Data_Entry_2017.csv),
 * RSNA bone age (PNG + CSV of ids), MURA (PNG in XR_<BODYPART>/patient/study folders).
 * With `bad`: a CSV row naming a missing image, a file that is not an image; the 16-bit PNG and RGB
 * JPEG that real downloads contain are always there (they are images and must import).
 */

function write(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, bytes);
}

const count = (o: GenerateOptions, base: number) => Math.max(1, Math.round(base * o.scale));

export async function generateChexpert(out: string, o: GenerateOptions): Promise<GeneratedExternal> {
  const root = path.join(out, 'CheXpert-v1.0-small');
  const r: GeneratedExternal = { format: 'chexpert', dir: root, images: 0, patients: [], bad: [] };
  const header = 'Path,Sex,Age,Frontal/Lateral,AP/PA,No Finding,Cardiomegaly,Edema';
  for (const split of ['train', 'valid'] as const) {
    const rows = [header];
    const patients = split === 'train' ? count(o, 3) : 1;
    for (let p = 0; p < patients; p++) {
      const pid = `patient${String((split === 'train' ? 1 : 64541) + p).padStart(5, '0')}`;
      r.patients.push(pid);
      for (let s = 1; s <= (p % 2) + 1; s++) {
        for (const [v, view] of ['frontal', 'lateral'].entries()) {
          const rel = `${split}/${pid}/study${s}/view${v + 1}_${view}.jpg`;
          const { u8 } = radiograph('chest', o.size ?? 64, o.seed, rel);
          // One RGB JPEG per dataset: some exports are colour.
          const rgb = p === 0 && s === 1 && v === 0;
          write(path.join(root, rel), await encodeJpeg(rgb ? tinted(u8) : u8, o.size ?? 64, o.size ?? 64, rgb ? 3 : 1));
          rows.push(`CheXpert-v1.0-small/${rel},${p % 2 ? 'Female' : 'Male'},${40 + p},${view === 'frontal' ? 'Frontal' : 'Lateral'},${view === 'frontal' ? 'AP' : ''},1.0,,`);
          r.images++;
        }
      }
    }
    if (o.bad && split === 'train') {
      rows.push('CheXpert-v1.0-small/train/patient09999/study1/view1_frontal.jpg,Male,50,Frontal,PA,1.0,,');
      r.bad.push({ file: 'CheXpert-v1.0-small/train/patient09999/study1/view1_frontal.jpg', code: 'FILE_MISSING' });
      const rel = 'train/patient09998/study1/view1_frontal.jpg';
      write(path.join(root, rel), 'this is not a JPEG');
      rows.push(`CheXpert-v1.0-small/${rel},Male,51,Frontal,PA,1.0,,`);
      r.bad.push({ file: rel, code: 'IMAGE_UNREADABLE' });
    }
    write(path.join(root, `${split}.csv`), rows.join('\n') + '\n');
  }
  return r;
}

export async function generateNih(out: string, o: GenerateOptions): Promise<GeneratedExternal> {
  const root = path.join(out, 'NIH-ChestXray14');
  const r: GeneratedExternal = { format: 'nih-cxr14', dir: root, images: 0, patients: [], bad: [] };
  const rows = ['Image Index,Finding Labels,Follow-up #,Patient ID,Patient Age,Patient Gender,View Position,OriginalImage[Width,Height],OriginalImagePixelSpacing[x,y]'];
  const patients = count(o, 4);
  const size = o.size ?? 64;
  let n = 0;
  for (let p = 1; p <= patients; p++) {
    r.patients.push(String(p).padStart(5, '0'));
    for (let f = 0; f < (p % 3) + 1; f++) {
      const name = `${String(p).padStart(8, '0')}_${String(f).padStart(3, '0')}.png`;
      const folder = `images_${String(Math.floor(n++ / 4) + 1).padStart(3, '0')}/images`;
      const { u8, u16 } = radiograph('chest', size, o.seed, name);
      // One 16-bit PNG: real archives mix depths; its exact values must survive.
      write(path.join(root, folder, name), p === 1 && f === 0 ? encodePng16(u16, size, size) : await encodePng8(u8, size, size));
      rows.push(`${name},No Finding,${f},${String(p).padStart(5, '0')},${30 + p},M,PA,${size},${size},0.143,0.143`);
      r.images++;
    }
  }
  if (o.bad) {
    rows.push('99999999_000.png,No Finding,0,99999,40,F,PA,64,64,0.143,0.143');
    r.bad.push({ file: '99999999_000.png', code: 'FILE_MISSING' });
  }
  write(path.join(root, 'Data_Entry_2017.csv'), rows.join('\n') + '\n');
  write(path.join(root, 'README_ChestXray.pdf'), '%PDF-1.4 (stand-in)\n');
  return r;
}

export async function generateRsnaBoneAge(out: string, o: GenerateOptions): Promise<GeneratedExternal> {
  const root = path.join(out, 'rsna-bone-age');
  const r: GeneratedExternal = { format: 'rsna-bone-age', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 64;
  const train = ['id,boneage,male'];
  for (let i = 0; i < count(o, 4); i++) {
    const id = 1377 + i;
    const { u8, u16 } = radiograph('extremity', size, o.seed, 'rsna', id);
    write(path.join(root, 'boneage-training-dataset', `${id}.png`), i === 1 ? encodePng16(u16, size, size) : await encodePng8(u8, size, size));
    train.push(`${id},${60 + 7 * i},${i % 2 ? 'True' : 'False'}`);
    r.patients.push(`boneage-training-dataset:${id}`);
    r.images++;
  }
  if (o.bad) {
    train.push('99999,100,True');
    r.bad.push({ file: 'boneage-training-dataset/99999.png', code: 'FILE_MISSING' });
  }
  write(path.join(root, 'boneage-training-dataset.csv'), train.join('\n') + '\n');
  const test = ['Case ID,Sex'];
  const id = 4360;
  const { u8 } = radiograph('extremity', size, o.seed, 'rsna-test', id);
  write(path.join(root, 'boneage-test-dataset', `${id}.png`), await encodePng8(u8, size, size));
  test.push(`${id},M`);
  r.patients.push(`boneage-test-dataset:${id}`);
  r.images++;
  write(path.join(root, 'boneage-test-dataset.csv'), test.join('\n') + '\n');
  return r;
}

const MURA_PARTS = ['XR_ELBOW', 'XR_FINGER', 'XR_FOREARM', 'XR_HAND', 'XR_HUMERUS', 'XR_SHOULDER', 'XR_WRIST'];

export async function generateMura(out: string, o: GenerateOptions): Promise<GeneratedExternal> {
  const root = path.join(out, 'MURA-v1.1');
  const r: GeneratedExternal = { format: 'mura', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 64;
  const paths: string[] = [];
  let pid = 1;
  for (const split of ['train', 'valid']) {
    for (const [k, part] of MURA_PARTS.slice(0, Math.max(2, Math.round(3 * o.scale))).entries()) {
      const patient = `patient${String(split === 'train' ? pid++ : 11185 + k).padStart(5, '0')}`;
      r.patients.push(patient);
      const study = `study1_${k % 2 ? 'positive' : 'negative'}`;
      for (let i = 1; i <= 2; i++) {
        const rel = `${split}/${part}/${patient}/${study}/image${i}.png`;
        const { u8 } = radiograph('extremity', size, o.seed, rel);
        // MURA's PNGs include RGB ones.
        write(path.join(root, rel), await encodePng8(i === 2 && k === 0 ? tinted(u8) : u8, size, size, i === 2 && k === 0 ? 3 : 1));
        paths.push(`MURA-v1.1/${rel}`);
        r.images++;
      }
    }
  }
  if (o.bad) {
    const rel = 'train/XR_HAND/patient09999/study1_negative/image1.png';
    write(path.join(root, rel), Buffer.from('\x89PNG\r\n\x1a\n truncated'));
    r.bad.push({ file: rel, code: 'IMAGE_UNREADABLE' });
  }
  write(path.join(root, 'train_image_paths.csv'), paths.filter((p) => p.includes('/train/')).join('\n') + '\n');
  write(path.join(root, 'valid_image_paths.csv'), paths.filter((p) => p.includes('/valid/')).join('\n') + '\n');
  return r;
}
