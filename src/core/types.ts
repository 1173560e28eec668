/**
 * Records that cross stage boundaries. Each stage's on-disk output is one of these, so stages
 * built separately agree on exactly one shape.
 */

/** The paper's classes, in label order. Configurable per pipeline; this is the default. */
export const DEFAULT_CLASSES = ['CT', 'MR', 'PT', 'XR'] as const;

/** DICOM Modality → class (paper: CR, DX, MG are XR; NM, XA, US and others are dropped). */
export const DEFAULT_CLASS_MAP: Readonly<Record<string, string>> = {
  CT: 'CT',
  MR: 'MR',
  PT: 'PT',
  CR: 'XR',
  DX: 'XR',
  MG: 'XR',
};

export const SPLITS = ['train', 'validate', 'test'] as const;
export type Split = (typeof SPLITS)[number];
/** The split `evaluate` and the report show when none is named. */
export const DEFAULT_EVAL_SPLIT: Split = 'test';

/** One series chosen by the plan (after modality filter and caps), in `plans/<name>.json`. */
export interface PlannedSeries {
  /** Dataset name (manifest entry; the TCIA collection name when no manifest is used). */
  dataset: string;
  collection: string;
  patientId: string;
  studyUid: string;
  seriesUid: string;
  /** DICOM Modality as TCIA lists it. */
  modality: string;
  /** Class label (e.g. CT, MR, PT, XR). */
  label: string;
  /** Body location: manifest location, else TCIA BodyPartExamined, else "UNKNOWN". */
  bodyPart: string;
  /** ImageCount from getSeries. */
  imageCount: number;
  /** Instances to keep: imageCount, or fewer when the series straddles the cap (first k by InstanceNumber). */
  keep: number;
  /** FileSize from getSeries (bytes of DICOM), when given. */
  fileSize?: number;
}

export interface Plan {
  version: 1;
  name: string;
  /** What the plan was made from: enough to tell whether it is still up to date. */
  inputs: {
    apiUrl: string;
    collections: string[];
    manifest?: string;
    modalities: string[];
    caps: Record<string, number>;
    capOrder: 'tcia' | 'spread';
    partition: string;
    catalogSha256: string;
  };
  series: PlannedSeries[];
  /** Images per dataset per class after caps, and what the caps cut. */
  summary: Array<{ dataset: string; label: string; series: number; images: number; cappedFrom: number }>;
}

/** Sidecar `raw/<Collection>/<SeriesUID>.json`: written after the ZIP verified, renamed into place last. */
export interface RawSeriesRecord {
  version: 1;
  collection: string;
  seriesUid: string;
  imageCount: number;
  /** Bytes of the ZIP as received. */
  zipBytes: number;
  zipSha256: string;
  /** Whether md5hashes.csv was present and every image matched it. */
  md5Verified: boolean;
  entries: Array<{ name: string; size: number; md5?: string }>;
  downloadedAt: string;
  apiUrl: string;
  /** Which archive served the series (absent: TCIA); for IDC, `apiUrl` is `<endpoint>/<bucket>/<prefix>`. */
  source?: 'tcia' | 'idc';
  /** The plan entry this series was fetched for (label, body part, instances to keep). */
  planned: PlannedSeries;
}

/** One preprocessed image (one frame of one DICOM instance), as stored in staging and shards. */
export interface StagedSample {
  /** size×size uint8, row-major. */
  image: Uint8Array;
  dataset: string;
  patientId: string;
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  frame: number;
  /** DICOM Modality of the file. */
  modality: string;
  label: string;
  bodyPart: string;
  rows: number;
  cols: number;
  /** Modality-value range mapped to [0, 1] by the normalisation. */
  normLo: number;
  normHi: number;
  /** SHA-256 (first 16 hex) of the output pixels, for duplicate detection across splits. */
  pixelHash: string;
}

/** Sidecar `staging/<Collection>/<SeriesUID>.json`. */
export interface StagingRecord {
  version: 1;
  collection: string;
  seriesUid: string;
  /** Hash of the preprocessing config: a change re-stages the series. */
  configHash: string;
  /** zipSha256 of the raw input (or a folder digest for imports). */
  inputSha256: string;
  /** Digest of the plan entry's labels (label, location, keep…) the series was staged under (fetched series). */
  metaHash?: string;
  size: number;
  samples: number;
  rejects: number;
  stagedAt: string;
}
