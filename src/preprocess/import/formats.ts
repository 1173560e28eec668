/** The external datasets `etl import <format>` reads: names, layouts, where they are published (a constant the CLI and pipeline need without loading the importers). */
export interface ExternalFormat {
  name: string;
  /** What the importer reads. */
  layout: string;
  /** Default modality (a class or DICOM term) and body location; --modality / --location override. */
  modality?: string;
  location?: string;
  /** Where the data is published. */
  url: string;
  registration: boolean;
}

export const EXTERNAL_FORMATS = {
  chexpert: {
    name: 'CheXpert', modality: 'XR', location: 'chest', registration: true,
    url: 'https://stanfordmlgroup.github.io/competitions/chexpert/',
    layout: 'train.csv, valid.csv (Path column) + train/patientNNNNN/studyN/viewN_{frontal,lateral}.jpg',
  },
  'rsna-bone-age': {
    name: 'RSNA Pediatric Bone Age', modality: 'XR', location: 'hand', registration: false,
    url: 'https://www.rsna.org/rsnai/ai-image-challenge/rsna-pediatric-bone-age-challenge-2017',
    layout: 'boneage-training-dataset.csv (id, boneage, male) + boneage-training-dataset/<id>.png (also the test set: Case ID)',
  },
  'nih-cxr14': {
    name: 'NIH ChestX-ray14', modality: 'XR', location: 'chest', registration: false,
    url: 'https://nihcc.app.box.com/v/ChestXray-NIHCC',
    layout: 'Data_Entry_2017.csv (Image Index, Patient ID, Follow-up #) + images_001/images/*.png … images_012/',
  },
  mrnet: {
    name: 'MRNet', modality: 'MR', location: 'knee', registration: true,
    url: 'https://stanfordmlgroup.github.io/competitions/mrnet/',
    layout: '{train,valid}/{axial,coronal,sagittal}/NNNN.npy, uint8 (slices, 256, 256); one sample per slice',
  },
  mura: {
    name: 'MURA', modality: 'XR', location: 'bone', registration: true,
    url: 'https://stanfordmlgroup.github.io/competitions/mura/',
    layout: 'MURA-v1.1/{train,valid}/XR_<BODYPART>/patientNNNNN/studyN_{positive,negative}/imageN.png; location = body part',
  },
  oai: {
    name: 'NDA Osteoarthritis Initiative', location: 'knee', registration: true,
    url: 'https://nda.nih.gov/oai',
    layout: 'knee X-ray DICOM in any folder layout (modality from the DICOM headers)',
  },
  brats20: {
    name: 'BraTS 2020', modality: 'MR', location: 'head', registration: true,
    url: 'https://www.med.upenn.edu/cbica/brats2020/data.html',
    layout: 'BraTS20_Training_NNN/BraTS20_Training_NNN_{t1,t1ce,t2,flair}.nii.gz (seg skipped); one sample per axial slice',
  },
  nifti: {
    name: 'NIfTI volumes', registration: false, url: '',
    layout: '*.nii / *.nii.gz anywhere below DIR (NIfTI-1 or -2); one sample per slice of the third axis; needs `modality`',
  },
  npy: {
    name: 'NumPy volumes', registration: false, url: '',
    layout: '*.npy anywhere below DIR, 2-D (rows, cols) or 3-D (slices, rows, cols); needs `modality`',
  },
} as const satisfies Record<string, ExternalFormat>;

export type ExternalFormatName = keyof typeof EXTERNAL_FORMATS;
export const EXTERNAL_FORMAT_NAMES = Object.keys(EXTERNAL_FORMATS) as ExternalFormatName[];
