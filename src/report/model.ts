/**
 * What a report shows, independent of where it was read from: the collectors fill this from the
 * data directory, the renderers turn it into HTML and Markdown. Every section is optional; a missing
 * one is rendered as a sentence saying what is missing and how to get it.
 */

export interface CountRow {
  split: string;
  label: string;
  location: string;
  dataset: string;
  images: number;
}

export interface DatasetSection {
  name: string;
  version?: string;
  path?: string;
  classes?: string[];
  counts: CountRow[];
  /** Totals per split as the dataset manifest states them (cross-check for `counts`). */
  totals?: Record<string, number>;
  shards?: number;
  bytes?: number;
  batch?: number;
  imageSize?: number;
}

export interface CapRow {
  dataset: string;
  label: string;
  series: number;
  images: number;
  cappedFrom: number;
}

export interface RejectReason {
  stage: string;
  code: string;
  count: number;
  examples: Array<{ key: string; reason: string }>;
}

export interface StepTiming {
  step: string;
  status: string;
  seconds: number;
  counts: Record<string, number | string>;
  reason?: string;
}

export interface TimingSection {
  pipeline: string;
  startedAt: string;
  totalSeconds: number;
  status: string;
  logFile: string;
  steps: StepTiming[];
}

export interface EpochRow {
  epoch: number;
  trainLoss?: number;
  trainAcc?: number;
  valLoss?: number;
  valAcc?: number;
  valBalancedAcc?: number;
  lr?: number;
  seconds?: number;
  imagesPerSecond?: number;
}

export interface TrainingSection {
  runId: string;
  dir: string;
  config?: Record<string, unknown>;
  epochs: EpochRow[];
}

export interface PerDatasetRow {
  dataset: string;
  label: string;
  images: number;
  correct: number;
  accuracy: number;
  location?: string;
  /** Train has no image of this class at this location (from the evaluation; absent: unknown). */
  unseenInTrain?: boolean;
}

export interface EvaluationSection {
  split: string;
  classes: string[];
  accuracy: number;
  balancedAccuracy: number;
  images: number;
  /** confusion[true][predicted]. */
  confusion: number[][];
  perClass?: Array<{ label: string; images: number; recall: number; precision: number }>;
  perDataset: PerDatasetRow[];
  seconds?: number;
  /** The paper's Table 3 and headline beside this run (eval JSON `paper`; percentages). */
  paper?: PaperSection;
}

export interface PaperSection {
  headline: { arch: string; accuracy: number; balancedAccuracy: number; source?: string } | null;
  ours: { arch: string; accuracy: number | null; balancedAccuracy: number | null };
  rows: Array<{ dataset: string; location: string; modality: string; paper: number | null; ours: number | null; images: number }>;
}

export interface ReportData {
  title: string;
  generatedAt: string;
  dataDir: string;
  dataset?: DatasetSection;
  caps?: { plan: string; rows: CapRow[] };
  rejects?: { file: string; total: number; reasons: RejectReason[] };
  timing?: TimingSection;
  training?: TrainingSection;
  evaluation?: EvaluationSection;
  /** The same run on the validate split (shown next to the test split). */
  validation?: EvaluationSection;
  /** Sentences about what could not be read (shown at the top). */
  notes: string[];
}
