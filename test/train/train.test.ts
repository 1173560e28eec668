import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { synthesize } from '../../src/standins/synth/index.ts';
import { classifyFiles } from '../../src/train/classify.ts';
import { openBatchSource } from '../../src/train/data.ts';
import { evaluateRun, type EvalReport } from '../../src/train/evaluate.ts';
import { trainModality, type EpochMetrics, type TrainOptions, type TrainResult } from '../../src/train/loop.ts';
import { buildSyntheticShards, LOCATIONS } from './fixtures.ts';

/**
 * End to end on the CPU (wasm backend + our Conv2D gradient kernels): generated staging → real
 * shards → ResNet-18 (width 0.125, 64² shards resized to 32² on the device) → evaluate → classify.
 */

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-train-'));
const ctxWith = (signal?: AbortSignal): RunContext =>
  createRunContext({ dataDir: root, rejectsInMemory: true, tty: false, logger: memoryLogger(), ...(signal ? { signal } : {}) });
const ctx = ctxWith();

const base: TrainOptions = { dataset: 'synthetic', arch: 'resnet18', width: 0.125, imageSize: 32, lr: 0.02, batch: 16, backend: 'wasm', seed: 5, checkpointMinutes: 0 };
const stepsA: Array<{ loss: number; numTensors: number }> = [];
let runA: TrainResult;

const stable = (m: EpochMetrics[]) => m.map(({ trainSeconds: _s, imagesPerSecond: _i, ...rest }) => rest);

beforeAll(async () => {
  await buildSyntheticShards(ctx, { size: 64, perClass: { train: 64, validate: 16, test: 16 }, batch: 32 });
  runA = await trainModality({ ...base, epochs: 3, out: path.join(root, 'runs', 'a'), onStep: (s) => stepsA.push(s) }, ctx);
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('train modality (wasm, real shard reader)', () => {
  it('trains a small ResNet-18 to validation accuracy well above chance (0.25)', () => {
    expect(runA.backend.backend).toBe('wasm');
    expect(runA.finished).toBe(true);
    expect(runA.metrics).toHaveLength(3);
    expect(runA.steps).toBe(48); // 256 images / batch 16 × 3 epochs (shard batches of 32 split in two)
    expect(Math.max(...runA.metrics.map((m) => m.valAccuracy ?? 0))).toBeGreaterThanOrEqual(0.6);
    expect(runA.metrics.at(-1)!.trainLoss).toBeLessThan(runA.metrics[0]!.trainLoss);
    for (const f of ['config.json', 'metrics.jsonl', 'model/model.json', 'model/weights.bin', 'model/medimg.json', 'checkpoints/latest.json']) {
      expect(fs.existsSync(path.join(runA.runDir, f)), f).toBe(true);
    }
    expect(fs.readFileSync(path.join(runA.runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(3);
    const meta = JSON.parse(fs.readFileSync(path.join(runA.runDir, 'model/medimg.json'), 'utf8'));
    expect(meta.input).toMatchObject({ sourceSize: 64, imageSize: 32, resize: 'area' });
    expect(meta.preprocess).toMatchObject({ size: 64 });
  });

  it('keeps the tensor count constant across steps (no leaks)', () => {
    const counts = new Set(stepsA.slice(1).map((s) => s.numTensors));
    expect(counts.size).toBe(1);
  });

  it('resumes after Ctrl-C mid-epoch with exactly the losses of an uninterrupted run', async () => {
    const out = path.join(root, 'runs', 'b');
    const losses: number[] = [];
    const ac = new AbortController();
    const first = await trainModality(
      { ...base, epochs: 2, out, onStep: (s) => { losses.push(s.loss); if (s.step === 21) ac.abort(); } },
      ctxWith(ac.signal),
    );
    expect(first.interrupted).toBe(true);
    expect(first.steps).toBe(21);
    expect(fs.existsSync(path.join(out, 'model'))).toBe(false);
    const second = await trainModality({ ...base, epochs: 2, out, resume: true, onStep: (s) => losses.push(s.loss) }, ctx);
    expect(second.finished).toBe(true);
    expect(losses).toEqual(stepsA.slice(0, 32).map((s) => s.loss));
    expect(stable(second.metrics)).toEqual(stable(runA.metrics.slice(0, 2)));
    await expect(trainModality({ ...base, epochs: 2, out }, ctx)).rejects.toThrow(/already holds a run/);
  });

  it('evaluates the test split into JSON, Markdown and PNG charts with per-dataset accuracy', async () => {
    const r = await evaluateRun({ runDir: runA.runDir, split: 'test', backend: 'wasm' }, ctx);
    const report = JSON.parse(fs.readFileSync(r.jsonPath, 'utf8')) as EvalReport;
    expect(report.images).toBe(64);
    expect(report.confusion.flat().reduce((a, b) => a + b, 0)).toBe(64);
    const diag = report.confusion.reduce((a, row, i) => a + row[i]!, 0);
    expect(report.accuracy).toBeCloseTo(diag / 64, 12);
    expect(report.groups).toHaveLength(4);
    for (const g of report.groups) expect(g.location).toBe(LOCATIONS[g.modality]);
    expect(r.accuracy).toBe(report.accuracy);
    const png = fs.readFileSync(path.join(runA.runDir, report.charts.confusionPng));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(fs.existsSync(path.join(runA.runDir, 'curves.png'))).toBe(true);
    expect(fs.readFileSync(r.markdownPath, 'utf8')).toContain('| CT |');
  });

  it('marks class × location pairs unseen in training, per dataset and per pair, with their own accuracy', async () => {
    const source = await openBatchSource(root, 'synthetic');
    try {
      expect(source.facts.trainPairs).toEqual(['CT chest', 'MR brain', 'PT abdomen', 'XR extremity']);
      // Move the test CT dataset to a body location train has no CT of.
      source.facts.locations['SYN-test-CT'] = 'knee';
      const r = await evaluateRun({ runDir: runA.runDir, split: 'test', backend: 'wasm', source }, ctx);
      const ct = r.report.groups.find((g) => g.dataset === 'SYN-test-CT')!;
      expect(ct).toMatchObject({ location: 'knee', unseenInTrain: true });
      expect(r.report.groups.filter((g) => g.unseenInTrain)).toHaveLength(1);
      expect(r.report.pairs.map((p) => [p.modality, p.location, p.unseenInTrain])).toEqual([
        ['CT', 'knee', true], ['MR', 'brain', false], ['PT', 'abdomen', false], ['XR', 'extremity', false],
      ]);
      expect(r.report.unseen).toEqual({ pairs: ['CT knee'], images: ct.images, accuracy: ct.accuracy, balancedAccuracy: ct.accuracy });
      expect(fs.readFileSync(r.markdownPath, 'utf8')).toMatch(/\| CT \| knee \| 1 \| 16 \| [0-9.]+ % \| yes \|/);
    } finally {
      await source.close();
    }
  });

  it('classifies DICOM files (and reports non-image and corrupt files) into a CSV', async () => {
    const dicomDir = path.join(root, 'synth');
    await synthesize({ preset: 'tiny', out: dicomDir });
    const out = path.join(root, 'predictions.csv');
    const r = await classifyFiles({ paths: [dicomDir], model: runA.runDir, out, batch: 8, backend: 'wasm' }, ctx);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('file,frame,predicted,confidence,modality,expected,mismatch,series_uid,sop_uid,p_CT,p_MR,p_PT,p_XR,error');
    const images = r.rows.filter((x) => x.predicted);
    expect(images.length).toBeGreaterThanOrEqual(20);
    for (const x of images) {
      expect(['CT', 'MR', 'PT', 'XR']).toContain(x.predicted);
      expect(x.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      expect(x.expected).toBe({ CT: 'CT', MR: 'MR', PT: 'PT', CR: 'XR', DX: 'XR', MG: 'XR' }[x.modality]);
      expect(x.mismatch).toBe(x.expected !== x.predicted);
    }
    expect(r.nonImage).toBeGreaterThanOrEqual(1); // SEG / RTSTRUCT / SR
    expect(r.errors).toBeGreaterThanOrEqual(1); // truncated and random files
    expect(r.rows.filter((x) => x.error)).toHaveLength(r.nonImage + r.errors);
    expect(lines.length - 1).toBe(r.rows.length);
  });
});
