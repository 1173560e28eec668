import type { Split } from '../../core/types.ts';
import type { TsName } from './dicom.ts';
import { paperSpecs } from './paperPreset.ts';

export type SynthPreset = 'tiny' | 'demo' | 'bench' | 'paper';
export const SYNTH_PRESETS: readonly SynthPreset[] = ['tiny', 'demo', 'bench', 'paper'];

export type ImageModality = 'CT' | 'MR' | 'PT' | 'CR' | 'DX' | 'MG';
export type Location = 'chest' | 'abdomen' | 'head' | 'neck' | 'brain' | 'knee' | 'extremity' | 'breast' | 'pelvis';
export type NonImageKind = 'SEG' | 'RTSTRUCT' | 'SR';
export type CorruptKind = 'truncated' | 'random';

/** One synthetic collection: how many patients/studies/series/instances and how they are stored. */
export interface CollectionSpec {
  collection: string;
  modality: ImageModality;
  location: Location;
  split: Split;
  site: string;
  patients: number;
  /** Index of the first patient (default 0): specs sharing a collection take different patients. */
  firstPatient?: number;
  studiesPerPatient: readonly [number, number];
  seriesPerStudy: readonly [number, number];
  instances: readonly [number, number];
  /** [rows, cols] choices, cycled over the collection's image series. */
  matrices: ReadonlyArray<readonly [number, number]>;
  /** Transfer syntaxes, cycled over the collection's image series in order. */
  transferSyntaxes: readonly TsName[];
  /** Non-image series added to the first patients' first studies, one each. */
  nonImage?: readonly NonImageKind[];
  /** Corrupt files, each dropped into a different image series (as an extra file). */
  corrupt?: readonly CorruptKind[];
  /** First release date; series releases spread over the following ~2 years. */
  releaseFrom: string;
}

/** Tiny: seconds, for tests; every transfer syntax, non-image type and corrupt kind at least once. */
const TINY: CollectionSpec[] = [
  {
    collection: 'SYN-LungCT-Chest', modality: 'CT', location: 'chest', split: 'train', site: 'Synthetic Site A',
    patients: 2, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [3, 3], matrices: [[512, 512], [128, 128]],
    transferSyntaxes: ['explicit', 'jpegLossless'], nonImage: ['SEG', 'RTSTRUCT'], corrupt: ['truncated'], releaseFrom: '2019-03-01',
  },
  {
    collection: 'SYN-BrainMR', modality: 'MR', location: 'brain', split: 'train', site: 'Synthetic Site B',
    patients: 1, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [3, 3], matrices: [[96, 96], [128, 128]],
    transferSyntaxes: ['implicit', 'rle'], nonImage: ['SR'], releaseFrom: '2019-06-01',
  },
  {
    collection: 'SYN-PET-Chest', modality: 'PT', location: 'chest', split: 'train', site: 'Synthetic Site C',
    patients: 1, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [4, 4], matrices: [[64, 64]],
    transferSyntaxes: ['jpegLs'], corrupt: ['random'], releaseFrom: '2020-01-15',
  },
  {
    collection: 'SYN-ChestCR', modality: 'CR', location: 'chest', split: 'train', site: 'Synthetic Site D',
    patients: 2, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 2], matrices: [[128, 112]],
    transferSyntaxes: ['j2k', 'explicit'], releaseFrom: '2020-05-01',
  },
  {
    collection: 'SYN-Mammo-MG', modality: 'MG', location: 'breast', split: 'validate', site: 'Synthetic Site E',
    patients: 1, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [1, 1], matrices: [[128, 96]],
    transferSyntaxes: ['rle', 'explicit'], releaseFrom: '2020-09-01',
  },
  {
    collection: 'SYN-Extremity-DX', modality: 'DX', location: 'extremity', split: 'test', site: 'Synthetic Site G',
    patients: 1, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [2, 2], matrices: [[112, 96]],
    transferSyntaxes: ['jpegLossless'], releaseFrom: '2021-04-01',
  },
];

const CT512: ReadonlyArray<readonly [number, number]> = [[512, 512]];
const MRM: ReadonlyArray<readonly [number, number]> = [[256, 256], [256, 256], [512, 512]];
const PTM: ReadonlyArray<readonly [number, number]> = [[128, 128], [144, 144], [168, 168], [192, 192], [200, 200]];

/**
 * Demo: 22 collections, every class at 3–5 body locations overall and at ≥ 2 in train, and train's
 * body locations shared between classes (chest: CT, PT, XR; abdomen and knee: CT, MR; head: MR, PT,
 * XR; pelvis: MR, XR) or shaped like another class's (the round neck CT beside the MR and PET heads),
 * and MR in train at T1, T2 and PD outside the brain, so anatomy does not tell the class. Validate and test each hold class × location pairs train lacks
 * (CT head, XR breast; MR chest, PT abdomen) next to seen ones: their accuracy shows whether the
 * model learned modality or anatomy. Splits are by dataset.
 */
const DEMO: CollectionSpec[] = [
  // train: chest holds CT, PT, XR; abdomen and knee both CT and MR; the head MR, PT, XR (skull); pelvis MR, XR; the neck CT
  { collection: 'SYN-LungCT-Chest', modality: 'CT', location: 'chest', split: 'train', site: 'Synthetic Site A', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 2], instances: [24, 36], matrices: CT512, transferSyntaxes: ['explicit', 'jpegLs', 'implicit', 'jpegLossless'], nonImage: ['SEG'], corrupt: ['truncated'], releaseFrom: '2019-01-10' },
  { collection: 'SYN-AbdoCT', modality: 'CT', location: 'abdomen', split: 'train', site: 'Synthetic Site B', patients: 5, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [26, 36], matrices: CT512, transferSyntaxes: ['implicit', 'rle', 'jpegLs'], releaseFrom: '2019-04-02' },
  { collection: 'SYN-KneeCT', modality: 'CT', location: 'knee', split: 'train', site: 'Synthetic Site R', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [24, 32], matrices: CT512, transferSyntaxes: ['explicit', 'jpegLs', 'rle'], releaseFrom: '2020-12-01' },
  { collection: 'SYN-NeckCT', modality: 'CT', location: 'neck', split: 'train', site: 'Synthetic Site S', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [22, 30], matrices: CT512, transferSyntaxes: ['implicit', 'jpegLossless', 'explicit'], releaseFrom: '2020-07-07' },
  { collection: 'SYN-BrainMR', modality: 'MR', location: 'brain', split: 'train', site: 'Synthetic Site C', patients: 5, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [16, 24], matrices: MRM, transferSyntaxes: ['explicit', 'implicit', 'rle', 'jpegLs'], nonImage: ['SR'], releaseFrom: '2019-02-20' },
  { collection: 'SYN-KneeMR', modality: 'MR', location: 'knee', split: 'train', site: 'Synthetic Site D', patients: 5, studiesPerPatient: [1, 1], seriesPerStudy: [2, 3], instances: [16, 24], matrices: MRM, transferSyntaxes: ['explicit', 'j2k', 'implicit'], releaseFrom: '2019-08-15' },
  { collection: 'SYN-AbdoMR', modality: 'MR', location: 'abdomen', split: 'train', site: 'Synthetic Site J', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [16, 22], matrices: MRM, transferSyntaxes: ['implicit', 'explicit', 'jpegLossless'], releaseFrom: '2020-02-14' },
  { collection: 'SYN-PelvisMR', modality: 'MR', location: 'pelvis', split: 'train', site: 'Synthetic Site T', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [2, 3], instances: [12, 18], matrices: MRM, transferSyntaxes: ['explicit', 'jpegLs', 'implicit'], releaseFrom: '2020-05-20' },
  { collection: 'SYN-PET-Chest', modality: 'PT', location: 'chest', split: 'train', site: 'Synthetic Site E', patients: 5, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [35, 47], matrices: PTM, transferSyntaxes: ['explicit', 'j2k', 'implicit'], corrupt: ['random'], releaseFrom: '2019-05-05' },
  { collection: 'SYN-PET-Brain', modality: 'PT', location: 'head', split: 'train', site: 'Synthetic Site F', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [30, 40], matrices: PTM, transferSyntaxes: ['implicit', 'jpegLs'], releaseFrom: '2020-01-20' },
  { collection: 'SYN-ChestCR', modality: 'CR', location: 'chest', split: 'train', site: 'Synthetic Site G', patients: 120, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 2], matrices: [[800, 688], [768, 768], [832, 704]], transferSyntaxes: ['jpegLs', 'jpegLossless', 'explicit', 'rle', 'jpegLs'], releaseFrom: '2019-11-11' },
  { collection: 'SYN-Extremity-DX', modality: 'DX', location: 'extremity', split: 'train', site: 'Synthetic Site H', patients: 80, studiesPerPatient: [1, 1], seriesPerStudy: [1, 2], instances: [1, 1], matrices: [[768, 640], [704, 576]], transferSyntaxes: ['jpegLs', 'rle', 'jpegLossless', 'explicit'], releaseFrom: '2020-03-03' },
  { collection: 'SYN-SkullCR', modality: 'CR', location: 'head', split: 'train', site: 'Synthetic Site U', patients: 40, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 2], matrices: [[800, 672], [768, 640]], transferSyntaxes: ['jpegLossless', 'explicit', 'rle'], releaseFrom: '2020-08-08' },
  { collection: 'SYN-PelvisDX', modality: 'DX', location: 'pelvis', split: 'train', site: 'Synthetic Site V', patients: 50, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 1], matrices: [[704, 832], [640, 768]], transferSyntaxes: ['jpegLs', 'explicit', 'jpegLossless'], releaseFrom: '2021-02-02' },
  // validate: CT head (train has MR and PT heads, no CT) and XR breast are pairs train lacks
  { collection: 'SYN-HeadCT', modality: 'CT', location: 'head', split: 'validate', site: 'Synthetic Site I', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [24, 32], matrices: CT512, transferSyntaxes: ['explicit', 'j2k', 'jpegLs'], nonImage: ['RTSTRUCT'], releaseFrom: '2020-06-01' },
  { collection: 'SYN-GliomaMR', modality: 'MR', location: 'brain', split: 'validate', site: 'Synthetic Site N', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [16, 22], matrices: MRM, transferSyntaxes: ['explicit', 'jpegLs', 'implicit'], releaseFrom: '2021-01-05' },
  { collection: 'SYN-PET-WB', modality: 'PT', location: 'chest', split: 'validate', site: 'Synthetic Site K', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [30, 40], matrices: PTM, transferSyntaxes: ['explicit', 'rle'], releaseFrom: '2020-09-09' },
  { collection: 'SYN-Mammo-MG', modality: 'MG', location: 'breast', split: 'validate', site: 'Synthetic Site L', patients: 25, studiesPerPatient: [1, 1], seriesPerStudy: [4, 4], instances: [1, 1], matrices: [[896, 704], [832, 672]], transferSyntaxes: ['jpegLs', 'explicit', 'jpegLossless', 'rle'], releaseFrom: '2020-04-04' },
  // test: MR chest (train has CT, PT, XR chests, no MR) and PT abdomen are pairs train lacks
  { collection: 'SYN-NSCLC-CT', modality: 'CT', location: 'chest', split: 'test', site: 'Synthetic Site M', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [28, 36], matrices: CT512, transferSyntaxes: ['jpegLossless', 'explicit', 'jpegLs'], corrupt: ['truncated'], releaseFrom: '2020-10-10' },
  { collection: 'SYN-CardiacMR', modality: 'MR', location: 'chest', split: 'test', site: 'Synthetic Site Q', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [2, 2], instances: [14, 22], matrices: [[192, 192], [256, 256]], transferSyntaxes: ['implicit', 'jpegLossless', 'explicit'], releaseFrom: '2019-09-30' },
  { collection: 'SYN-PET-Abdomen', modality: 'PT', location: 'abdomen', split: 'test', site: 'Synthetic Site O', patients: 4, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [30, 40], matrices: PTM, transferSyntaxes: ['jpegLs', 'implicit', 'explicit'], releaseFrom: '2021-03-03' },
  { collection: 'SYN-ChestDX', modality: 'DX', location: 'chest', split: 'test', site: 'Synthetic Site P', patients: 80, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 1], matrices: [[832, 832], [800, 704]], transferSyntaxes: ['explicit', 'jpegLs', 'jpegLossless', 'rle'], releaseFrom: '2021-05-05' },
];

/** Bench: the demo collections with ~12× the patients (tens of thousands of images). */
const BENCH: CollectionSpec[] = DEMO.map((c) => ({ ...c, patients: c.patients * 12 }));

export function presetSpecs(preset: SynthPreset): CollectionSpec[] {
  if (preset === 'paper') return paperSpecs();
  return preset === 'tiny' ? TINY : preset === 'demo' ? DEMO : BENCH;
}
