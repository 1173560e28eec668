import type { ReportData } from '../../src/report/model.ts';

/** A report with every section filled, shaped like a small paper-style run. */
export function fixtureReport(): ReportData {
  const counts: ReportData['dataset'] = {
    name: 'demo',
    version: 'v0003',
    path: '/data/datasets/demo/v0003',
    classes: ['CT', 'MR', 'PT', 'XR'],
    shards: 9,
    bytes: 48_000_000,
    batch: 32,
    imageSize: 64,
    counts: [
      { split: 'train', label: 'CT', location: 'chest', dataset: 'SYN-CT-CHEST', images: 1200 },
      { split: 'train', label: 'CT', location: 'abdomen', dataset: 'SYN-CT-ABD', images: 800 },
      { split: 'train', label: 'MR', location: 'brain', dataset: 'SYN-MR-BRAIN', images: 1500 },
      { split: 'train', label: 'MR', location: 'knee', dataset: 'SYN-MR-KNEE', images: 400 },
      { split: 'train', label: 'PT', location: 'whole body', dataset: 'SYN-PT-WB', images: 600 },
      { split: 'train', label: 'XR', location: 'chest', dataset: 'SYN-XR-CHEST', images: 900 },
      { split: 'validate', label: 'CT', location: 'chest', dataset: 'SYN-CT-CHEST2', images: 300 },
      { split: 'validate', label: 'MR', location: 'brain', dataset: 'SYN-MR-BRAIN2', images: 350 },
      { split: 'validate', label: 'PT', location: 'whole body', dataset: 'SYN-PT-WB2', images: 150 },
      { split: 'validate', label: 'XR', location: 'hand', dataset: 'SYN-XR-HAND', images: 200 },
      { split: 'test', label: 'CT', location: 'abdomen', dataset: 'SYN-CT-ABD2', images: 250 },
      { split: 'test', label: 'MR', location: 'knee', dataset: 'SYN-MR-KNEE2', images: 220 },
      { split: 'test', label: 'PT', location: 'whole body', dataset: 'SYN-PT-WB3', images: 120 },
      { split: 'test', label: 'XR', location: 'chest', dataset: 'SYN-XR-CHEST2', images: 180 },
    ],
  };
  return {
    title: 'medimg-etl report — demo',
    generatedAt: '2026-11-22T14:00:00.000Z',
    dataDir: '/data',
    dataset: counts,
    caps: {
      plan: '/data/plans/demo.json',
      rows: [
        { dataset: 'SYN-CT-CHEST', label: 'CT', series: 12, images: 1200, cappedFrom: 3100 },
        { dataset: 'SYN-MR-BRAIN', label: 'MR', series: 20, images: 1500, cappedFrom: 1500 },
        { dataset: 'SYN-XR-CHEST', label: 'XR', series: 900, images: 900, cappedFrom: 900 },
      ],
    },
    rejects: {
      file: '/data/rejects.jsonl',
      total: 7,
      reasons: [
        { stage: 'preprocess', code: 'CONSTANT_IMAGE', count: 4, examples: [{ key: 'SYN-CT-CHEST/1.2.3/1.2.3.4#0', reason: 'image is constant (all pixels 0)' }] },
        { stage: 'fetch', code: 'ZIP_SHORT', count: 2, examples: [{ key: '1.2.3.9', reason: 'ZIP has 3 images, ImageCount says 40' }] },
        { stage: 'preprocess', code: 'UNSUPPORTED_TRANSFER_SYNTAX', count: 1, examples: [{ key: 'SYN-MR-KNEE/1.5/1.5.1#0', reason: 'transfer syntax 1.2.840.10008.1.2.4.100 (MPEG2) is not supported' }] },
      ],
    },
    timing: {
      pipeline: 'demo',
      startedAt: '2026-11-22T13:55:00.000Z',
      totalSeconds: 312.4,
      status: 'ok',
      logFile: '/data/logs/pipeline-demo-2026-11-22T13-55-00-000Z.jsonl',
      steps: [
        { step: 'catalog', status: 'ran', seconds: 0.4, counts: { collections: 12, series: 160 } },
        { step: 'plan', status: 'ran', seconds: 0.1, counts: { series: 150, images: 9000 } },
        { step: 'fetch', status: 'ran', seconds: 21.5, counts: { series: 150, images: 9000, bytes: 90_000_000 } },
        { step: 'preprocess', status: 'ran', seconds: 48.2, counts: { series: 150, images: 8993 } },
        { step: 'split', status: 'ran', seconds: 0.3, counts: { datasets: 14 } },
        { step: 'shard', status: 'ran', seconds: 5.1, counts: { images: 8993, shards: 9 } },
        { step: 'verify', status: 'ran', seconds: 1.2, counts: { shards: 9 } },
        { step: 'publish', status: 'ran', seconds: 0.01, counts: {} },
        { step: 'train', status: 'ran', seconds: 210.0, counts: { epochs: 4, images: 23_200 } },
        { step: 'evaluate', status: 'ran', seconds: 12.0, counts: { images: 770 } },
        { step: 'report', status: 'skipped', seconds: 0, counts: {}, reason: 'up to date' },
      ],
    },
    training: {
      runId: 'demo-resnet18',
      dir: '/data/runs/demo-resnet18',
      config: { arch: 'resnet18', width: 0.25, imageSize: 64, epochs: 4, batch: 32, lr: 0.1, backend: 'cpu' },
      epochs: [
        { epoch: 1, trainLoss: 1.1, trainAcc: 0.55, valLoss: 0.9, valAcc: 0.62, valBalancedAcc: 0.6, lr: 0.1, imagesPerSecond: 110, seconds: 52 },
        { epoch: 2, trainLoss: 0.6, trainAcc: 0.8, valLoss: 0.5, valAcc: 0.83, valBalancedAcc: 0.81, lr: 0.1, imagesPerSecond: 112, seconds: 51 },
        { epoch: 3, trainLoss: 0.3, trainAcc: 0.91, valLoss: 0.35, valAcc: 0.9, valBalancedAcc: 0.89, lr: 0.01, imagesPerSecond: 113, seconds: 51 },
        { epoch: 4, trainLoss: 0.2, trainAcc: 0.95, valLoss: 0.28, valAcc: 0.93, valBalancedAcc: 0.92, lr: 0.01, imagesPerSecond: 114, seconds: 50 },
      ],
    },
    evaluation: {
      split: 'test',
      classes: ['CT', 'MR', 'PT', 'XR'],
      accuracy: 0.935,
      balancedAccuracy: 0.912,
      images: 770,
      confusion: [
        [240, 6, 4, 0],
        [10, 205, 5, 0],
        [3, 2, 110, 5],
        [0, 0, 15, 165],
      ],
      perClass: [
        { label: 'CT', images: 250, recall: 0.96, precision: 0.95 },
        { label: 'MR', images: 220, recall: 0.93, precision: 0.96 },
        { label: 'PT', images: 120, recall: 0.92, precision: 0.82 },
        { label: 'XR', images: 180, recall: 0.92, precision: 0.97 },
      ],
      perDataset: [
        { dataset: 'SYN-CT-ABD2', label: 'CT', location: 'abdomen', images: 250, correct: 240, accuracy: 0.96 },
        { dataset: 'SYN-MR-KNEE2', label: 'MR', location: 'knee', images: 220, correct: 205, accuracy: 0.932 },
        { dataset: 'SYN-PT-WB3', label: 'PT', location: 'whole body', images: 120, correct: 110, accuracy: 0.917 },
        { dataset: 'SYN-XR-CHEST2', label: 'XR', location: 'chest', images: 180, correct: 165, accuracy: 0.917 },
      ],
      seconds: 12,
    },
    notes: [],
  };
}
