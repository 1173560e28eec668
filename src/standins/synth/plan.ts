import { DEFAULT_CLASS_MAP } from '../../core/types.ts';
import type { TsName } from './dicom.ts';
import { MR_SCANNERS, type MrContrast } from './phantoms/mr.ts';
import { Rng, seedOf } from './random.ts';
import { uid } from './uid.ts';
import type { CollectionSpec, CorruptKind, ImageModality, Location, NonImageKind } from './presets.ts';

/**
 * Expands collection specs into concrete series: every UID, date, description, scanner and
 * storage choice is fixed here from (seed, names), so generation is a pure function of a plan.
 */

export interface Scanner {
  manufacturer: string;
  model: string;
  software: string;
}

export type SeriesParams =
  | { type: 'CT'; padding: boolean; contrast: boolean; kernel: string; kvp: number }
  | { type: 'MR'; contrast: MrContrast; scanner: number; fieldStrength: number }
  | { type: 'PT' }
  | { type: 'XR'; bitsStored: number; photometric: 'MONOCHROME1' | 'MONOCHROME2'; views: string[]; laterality?: 'L' | 'R'; burnIn: boolean };

export interface ImageRef {
  seriesUid: string;
  sopClassUid: string;
  sopUids: string[];
  rows: number;
  cols: number;
  frameOfReferenceUid: string;
  /** ImagePositionPatient z of each referenced instance. */
  positions: number[];
  pixelSpacing: number;
}

export interface SeriesPlan {
  kind: 'image' | NonImageKind;
  collection: string;
  label: string;
  location: Location;
  modality: string;
  seed: number;
  /** Relative folder: Collection/PatientID/StudyUID/SeriesUID. */
  dir: string;
  patientId: string;
  patientSex: 'M' | 'F';
  patientAge: string;
  patientWeight: number;
  studyUid: string;
  studyDate: string;
  studyTime: string;
  studyDescription: string;
  studyId: string;
  accessionNumber: string;
  seriesUid: string;
  seriesNumber: number;
  seriesDescription: string;
  protocolName: string;
  bodyPart: string;
  scanner: Scanner;
  institution: string;
  ts: TsName;
  /** Encapsulated frames split into several fragments (else one fragment per frame). */
  fragmented: boolean;
  rows: number;
  cols: number;
  instances: number;
  /** Slice range of the phantom volume this series covers. */
  z0: number;
  z1: number;
  sliceThickness: number;
  pixelSpacing: number;
  frameOfReferenceUid: string;
  params?: SeriesParams;
  corrupt: CorruptKind[];
  ref?: ImageRef;
  dateReleased: string;
  maxSubmissionTimestamp: string;
}

export function sopUid(seed: number, seriesUid: string, instanceNumber: number): string {
  return uid(seed, 'sop', seriesUid, instanceNumber);
}

const BODY_PART: Record<Location, string> = {
  chest: 'CHEST', abdomen: 'ABDOMEN', head: 'HEAD', neck: 'NECK', brain: 'BRAIN', knee: 'KNEE', extremity: 'EXTREMITY', breast: 'BREAST', pelvis: 'PELVIS',
};

const SCANNERS: Record<Exclude<ImageModality, 'MR'>, Scanner[]> = {
  CT: [
    { manufacturer: 'GE MEDICAL SYSTEMS', model: 'LightSpeed VCT', software: '07MW18.4' },
    { manufacturer: 'SIEMENS', model: 'SOMATOM Definition AS+', software: 'syngo CT 2012B' },
    { manufacturer: 'TOSHIBA', model: 'Aquilion', software: 'V4.51ER010' },
    { manufacturer: 'Philips', model: 'Brilliance 64', software: '3.5.5' },
  ],
  PT: [
    { manufacturer: 'GE MEDICAL SYSTEMS', model: 'Discovery STE', software: '40.04' },
    { manufacturer: 'SIEMENS', model: 'Biograph40', software: 'VG50A' },
    { manufacturer: 'Philips Medical Systems', model: 'GEMINI TF TOF 16', software: '3.3.0' },
  ],
  CR: [
    { manufacturer: 'FUJIFILM Corporation', model: 'FCR CAPSULA-2', software: 'A06' },
    { manufacturer: 'KODAK', model: 'CR 975', software: '5.2' },
    { manufacturer: 'Agfa', model: 'CR 85-X', software: 'NX 2.0' },
  ],
  DX: [
    { manufacturer: 'GE Healthcare', model: 'Definium 8000', software: 'DM_Platform_Release_Version 11.3' },
    { manufacturer: 'Carestream Health', model: 'DRX-Evolution', software: '5.7.412' },
  ],
  MG: [
    { manufacturer: 'HOLOGIC, Inc.', model: 'Selenia Dimensions', software: '1.7.4.4' },
    { manufacturer: 'GE MEDICAL SYSTEMS', model: 'Senograph DS ADS_43.10.1', software: 'ADS_43.10.1' },
  ],
};

const DAY = 86_400_000;
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(date + 'T00:00:00Z') + days * DAY).toISOString().slice(0, 10);
}
export const dicomDate = (iso: string) => iso.replaceAll('-', '');

function descriptions(modality: ImageModality, location: Location, params: SeriesParams, r: Rng): [study: string, series: string, protocol: string] {
  switch (params.type) {
    case 'CT': {
      const body = { chest: 'CHEST', abdomen: 'ABD/PELVIS', head: 'HEAD', neck: 'NECK', knee: 'KNEE' }[location as 'chest'] ?? 'BODY';
      const c = params.contrast ? 'W CONTRAST' : 'WO CONTRAST';
      return [`CT ${body} ${c}`, `${r.pick(['5.0', '2.5', '1.25', '3.0'])}mm ${params.kernel}`, `${body} ${r.pick(['ROUTINE', 'STANDARD', 'LOW DOSE'])}`];
    }
    case 'MR': {
      const plane = location === 'knee' ? r.pick(['SAG', 'COR']) : 'AX';
      const name = `${plane} ${params.contrast}${params.contrast === 'PD' ? ' FS' : ''}`;
      const body = { brain: 'MRI BRAIN W/WO CONTRAST', knee: 'MRI KNEE WO CONTRAST', abdomen: 'MRI ABDOMEN W/WO', chest: 'MRI CHEST WO', pelvis: 'MRI PELVIS WO' }[location as 'brain'] ?? 'MRI';
      return [body, name, `${name.replaceAll(' ', '_')}_${r.int(1, 9)}`];
    }
    case 'PT':
      return location === 'head' ? ['PET BRAIN FDG', 'PET Brain 3D AC', 'BRAIN_FDG'] : ['PET-CT WB FDG', r.pick(['PET WB AC', 'WB 3D MAC', 'PET AC 2D']), 'WB_FDG'];
    case 'XR': {
      if (modality === 'MG') return ['MAMMO SCREENING BILATERAL', `${params.laterality} ${params.views[0]}`, 'Screening'];
      if (location === 'chest') return ['XR CHEST 2 VIEWS', `CHEST ${params.views.join('/')}`, 'Chest PA/LAT'];
      const part = location === 'head' ? 'SKULL' : location === 'pelvis' ? 'PELVIS' : r.pick(['KNEE', 'ANKLE', 'FOREARM', 'LEG']);
      return [`XR ${part} 3 VIEWS`, `${part} ${params.views[0]}`, `${part}`];
    }
  }
}

function seriesParams(spec: CollectionSpec, r: Rng, seriesIndexInStudy: number): SeriesParams {
  switch (spec.modality) {
    case 'CT':
      return {
        type: 'CT',
        padding: r.chance(0.3),
        contrast: spec.location !== 'head' && spec.location !== 'knee' && r.chance(0.5),
        kernel: r.pick(['B30f', 'STANDARD', 'FC10', 'B']),
        kvp: r.pick([100, 120, 120, 140]),
      };
    case 'MR': {
      const contrasts: MrContrast[] = spec.location === 'brain' ? ['T1', 'T2', 'FLAIR'] : spec.location === 'knee' ? ['PD', 'T1', 'T2'] : ['T2', 'T1', 'PD'];
      return { type: 'MR', contrast: contrasts[seriesIndexInStudy % contrasts.length]!, scanner: r.int(0, MR_SCANNERS.length - 1), fieldStrength: r.pick([1.5, 3]) };
    }
    case 'PT':
      return { type: 'PT' };
    case 'CR':
    case 'DX':
    case 'MG': {
      const bitsStored = spec.modality === 'MG' ? 12 : r.int(12, 14);
      const photometric = spec.modality === 'MG' ? (r.chance(0.2) ? 'MONOCHROME1' : 'MONOCHROME2') : r.chance(0.45) ? 'MONOCHROME1' : 'MONOCHROME2';
      if (spec.modality === 'MG') {
        const view = ['CC', 'MLO'][seriesIndexInStudy % 2]!;
        return { type: 'XR', bitsStored, photometric, views: [view], laterality: seriesIndexInStudy < 2 ? 'R' : 'L', burnIn: r.chance(0.5) };
      }
      const views = spec.location === 'chest' || spec.location === 'head' ? ['PA', 'LL'] : spec.location === 'pelvis' ? ['AP'] : ['AP', 'LAT', 'OBL'];
      // Most CR/DX carry burned-in text (site, date, lead markers); the header says so.
      return { type: 'XR', bitsStored, photometric, views, burnIn: r.chance(0.75) };
    }
  }
}

/** Every series of one patient (index p) of a collection; independent of other patients. */
export function planPatient(spec: CollectionSpec, seed: number, p: number, opts: { releaseOverride?: string; seriesOverride?: number } = {}): SeriesPlan[] {
  const r = Rng.of(seed, spec.collection, 'patient', p);
  const label = DEFAULT_CLASS_MAP[spec.modality]!;
  const patientId = `${spec.collection}-${String(p + 1).padStart(3, '0')}`;
  const patientSex: 'M' | 'F' = spec.modality === 'MG' ? 'F' : r.chance(0.5) ? 'M' : 'F';
  const age = r.int(spec.modality === 'MG' ? 40 : 25, 85);
  const weight = Math.round(r.uniform(50, 110));
  const scanner = spec.modality === 'MR' ? undefined : r.pick(SCANNERS[spec.modality]);
  const out: SeriesPlan[] = [];
  const nStudies = r.int(spec.studiesPerPatient[0], spec.studiesPerPatient[1]);
  let studyDate = addDays('2003-01-01', r.int(0, 12 * 365));
  for (let s = 0; s < nStudies; s++) {
    const studyUid = uid(seed, spec.collection, patientId, 'study', s);
    studyDate = addDays(studyDate, s === 0 ? 0 : r.int(30, 400));
    const studyTime = `${String(r.int(7, 18)).padStart(2, '0')}${String(r.int(0, 59)).padStart(2, '0')}${String(r.int(0, 59)).padStart(2, '0')}`;
    const nSeries = opts.seriesOverride ?? r.int(spec.seriesPerStudy[0], spec.seriesPerStudy[1]);
    const frameOfReferenceUid = uid(seed, spec.collection, patientId, 'for', s);
    let studyDescription = '';
    for (let k = 0; k < nSeries; k++) {
      const sr = Rng.of(seed, spec.collection, patientId, s, 'series', k, opts.releaseOverride ?? '');
      const seriesUid = uid(seed, spec.collection, patientId, s, 'series', k, opts.releaseOverride ?? '');
      const params = seriesParams(spec, sr, k);
      const mr = params.type === 'MR' ? MR_SCANNERS[params.scanner]! : undefined;
      const [studyDesc, seriesDescription, protocolName] = descriptions(spec.modality, spec.location, params, sr);
      if (k === 0) studyDescription = studyDesc;
      const [rows, cols] = sr.pick(spec.matrices);
      let instances = sr.int(spec.instances[0], spec.instances[1]);
      if (params.type === 'XR' && spec.modality !== 'MG') params.views = params.views.slice(0, instances);
      if (params.type === 'XR') instances = Math.min(instances, params.views.length);
      const released = opts.releaseOverride ?? addDays(spec.releaseFrom, sr.int(0, 730));
      const z0 = sr.uniform(0, 0.15);
      const pixelSpacing =
        spec.modality === 'CT' ? sr.uniform(0.6, 0.95) * (512 / cols) : spec.modality === 'MR' ? sr.uniform(0.4, 0.9) * (256 / cols) : spec.modality === 'PT' ? sr.uniform(600, 700) / cols : sr.uniform(0.1, 0.2) * (1024 / cols);
      out.push({
        kind: 'image',
        collection: spec.collection,
        label,
        location: spec.location,
        modality: spec.modality,
        seed: seedOf(seed, seriesUid),
        dir: `${spec.collection}/${patientId}/${studyUid}/${seriesUid}`,
        patientId,
        patientSex,
        patientAge: `${String(age).padStart(3, '0')}Y`,
        patientWeight: weight,
        studyUid,
        studyDate,
        studyTime,
        studyDescription,
        studyId: String(r.int(1000, 99999)),
        accessionNumber: String(seedOf(seed, studyUid) % 100000000).padStart(8, '0'),
        seriesUid,
        seriesNumber: k + 1 + (spec.modality === 'PT' ? 600 : 0),
        seriesDescription,
        protocolName,
        bodyPart: BODY_PART[spec.location],
        scanner: mr ?? scanner!,
        institution: spec.site,
        ts: 'explicit',
        fragmented: false,
        rows,
        cols,
        instances,
        z0,
        z1: sr.uniform(0.85, 1),
        sliceThickness: spec.modality === 'CT' ? sr.pick([1.25, 2.5, 3, 5]) : spec.modality === 'MR' ? sr.pick([3, 4, 5, 6]) : 3.27,
        pixelSpacing: Number(pixelSpacing.toFixed(6)),
        frameOfReferenceUid,
        params,
        corrupt: [],
        dateReleased: released,
        maxSubmissionTimestamp: addDays(released, -sr.int(1, 40)),
      });
    }
    for (const o of out) if (o.studyUid === studyUid) o.studyDescription = studyDescription;
  }
  return out;
}

/** A non-image series (SEG, RTSTRUCT, SR) in the study of an image series, referencing it. */
export function planNonImage(kind: NonImageKind, img: SeriesPlan, seed: number): SeriesPlan {
  const seriesUid = uid(seed, img.collection, img.patientId, img.studyUid, kind);
  const sopClassUid = { CT: '1.2.840.10008.5.1.4.1.1.2', MR: '1.2.840.10008.5.1.4.1.1.4', PT: '1.2.840.10008.5.1.4.1.1.128' }[img.modality as 'CT'] ?? '1.2.840.10008.5.1.4.1.1.2';
  const r = Rng.of(seed, seriesUid);
  const released = addDays(img.dateReleased, r.int(0, 90));
  const desc = { SEG: 'Segmentation', RTSTRUCT: 'RTSTRUCT GTV', SR: 'Radiology report' }[kind];
  return {
    ...img,
    kind,
    modality: kind,
    seed: seedOf(seed, seriesUid),
    dir: `${img.collection}/${img.patientId}/${img.studyUid}/${seriesUid}`,
    seriesUid,
    seriesNumber: { SEG: 300, RTSTRUCT: 400, SR: 900 }[kind],
    seriesDescription: desc,
    protocolName: desc,
    scanner: { manufacturer: 'medimg-etl', model: 'synth', software: '1' },
    ts: 'explicit',
    fragmented: false,
    instances: 1,
    params: undefined,
    corrupt: [],
    ref: {
      seriesUid: img.seriesUid,
      sopClassUid,
      sopUids: Array.from({ length: img.instances }, (_, i) => sopUid(img.seed, img.seriesUid, i + 1)),
      rows: img.rows,
      cols: img.cols,
      frameOfReferenceUid: img.frameOfReferenceUid,
      positions: Array.from({ length: img.instances }, (_, i) => slicePosition(img, i)),
      pixelSpacing: img.pixelSpacing,
    },
    dateReleased: released,
    maxSubmissionTimestamp: addDays(released, -r.int(1, 20)),
  };
}

/** ImagePositionPatient z (mm) of instance i (0-based): slices run head-first, thickness apart. */
export function slicePosition(p: SeriesPlan, i: number): number {
  return Number((-100 - i * p.sliceThickness).toFixed(3));
}

/** The full plan of a collection: patients, then transfer syntaxes, non-image series and corrupt files. */
export function planCollection(spec: CollectionSpec, seed: number): SeriesPlan[] {
  const series: SeriesPlan[] = [];
  const first = spec.firstPatient ?? 0;
  for (let p = first; p < first + spec.patients; p++) series.push(...planPatient(spec, seed, p));
  assignStorage(spec, series, seed);
  const extra: SeriesPlan[] = [];
  (spec.nonImage ?? []).forEach((kind, i) => {
    const img = series[i % series.length]!;
    extra.push(planNonImage(kind, img, seed));
  });
  return [...series, ...extra];
}

/** Transfer syntaxes and matrices cycle over image series; corrupt files go to series spread over the collection. */
export function assignStorage(spec: CollectionSpec, series: SeriesPlan[], seed: number, offset = 0): void {
  series.forEach((s, i) => {
    s.ts = spec.transferSyntaxes[(i + offset) % spec.transferSyntaxes.length]!;
    // Every third series of the collection splits its encapsulated frames into fragments.
    s.fragmented = (i + offset) % 3 === 1;
    // Matrices cycle too, so a preset's smallest collection still shows every size it lists.
    const [rows, cols] = spec.matrices[(i + offset) % spec.matrices.length]!;
    s.pixelSpacing = Number(((s.pixelSpacing * s.cols) / cols).toFixed(6));
    s.rows = rows;
    s.cols = cols;
  });
  (spec.corrupt ?? []).forEach((kind, i) => {
    const idx = (seedOf(seed, spec.collection, 'corrupt', i) + i) % series.length;
    series[idx]!.corrupt.push(kind);
  });
}
