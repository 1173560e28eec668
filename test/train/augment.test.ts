import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { augmentBatch, augmentImage, DEFAULT_AUGMENT, NO_AUGMENT, parseAugment } from '../../src/train/augment.ts';
import { balancedClassWeights } from '../../src/train/classWeights.ts';
import { memoryBatchSource, syntheticSamples } from '../../src/train/data.ts';
import { hostBatches } from '../../src/train/hostBatches.ts';
import { trainModality, type TrainOptions } from '../../src/train/loop.ts';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-augment-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const ctxWith = (signal?: AbortSignal): RunContext =>
  createRunContext({ dataDir: root, rejectsInMemory: true, tty: false, logger: memoryLogger(), ...(signal ? { signal } : {}) });

const SIZE = 32;
const gradient = () => Uint8Array.from({ length: SIZE * SIZE }, (_, i) => (i % SIZE) * 4 + Math.floor(i / SIZE));

describe('augmentation kernels', () => {
  it('is the identity when everything is off, and flips are exact mirror images', () => {
    const src = gradient();
    const dst = new Uint8Array(src.length);
    augmentImage(src, dst, SIZE, NO_AUGMENT, 1);
    expect(dst).toEqual(src);
    // Find seeds whose draw is a horizontal-only and a vertical-only flip; the pixels must be mirrored exactly.
    let sawH = false;
    let sawV = false;
    for (let seed = 0; seed < 64 && !(sawH && sawV); seed++) {
      augmentImage(src, dst, SIZE, { ...NO_AUGMENT, flip: true }, seed);
      const h = Uint8Array.from(src, (_, i) => src[Math.floor(i / SIZE) * SIZE + (SIZE - 1 - (i % SIZE))]!);
      const v = Uint8Array.from(src, (_, i) => src[(SIZE - 1 - Math.floor(i / SIZE)) * SIZE + (i % SIZE)]!);
      if (Buffer.from(dst).equals(Buffer.from(h))) sawH = true;
      if (Buffer.from(dst).equals(Buffer.from(v))) sawV = true;
    }
    expect(sawH && sawV).toBe(true);
  });

  it('rot90 transposes exactly, about half the time, and no image comes out otherwise', () => {
    const src = gradient();
    const dst = new Uint8Array(src.length);
    const t = Uint8Array.from(src, (_, i) => src[(i % SIZE) * SIZE + Math.floor(i / SIZE)]!);
    let transposed = 0;
    for (let seed = 0; seed < 40; seed++) {
      augmentImage(src, dst, SIZE, { ...NO_AUGMENT, rot90: true }, seed);
      if (Buffer.from(dst).equals(Buffer.from(t))) transposed++;
      else expect(dst).toEqual(src);
    }
    expect(transposed).toBeGreaterThan(8);
    expect(transposed).toBeLessThan(32);
  });

  it('draws from the seed only: same seed → same image, another seed → another image', () => {
    const src = gradient();
    const a = new Uint8Array(src.length);
    const b = new Uint8Array(src.length);
    const c = new Uint8Array(src.length);
    augmentImage(src, a, SIZE, DEFAULT_AUGMENT, 42);
    augmentImage(src, b, SIZE, DEFAULT_AUGMENT, 42);
    augmentImage(src, c, SIZE, DEFAULT_AUGMENT, 43);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    expect(a).not.toEqual(src);
  });

  it('augments a row the same whichever micro-batch it is in', () => {
    const imgs = new Uint8Array(4 * SIZE * SIZE);
    for (let r = 0; r < 4; r++) imgs.set(gradient().map((v) => (v + 17 * r) & 255), r * SIZE * SIZE);
    const whole = imgs.slice();
    augmentBatch(whole, 4, SIZE, DEFAULT_AUGMENT, { seed: 3, epoch: 1, shard: 0, batchIndex: 5, firstRow: 0 });
    const tail = imgs.slice(2 * SIZE * SIZE);
    augmentBatch(tail, 2, SIZE, DEFAULT_AUGMENT, { seed: 3, epoch: 1, shard: 0, batchIndex: 5, firstRow: 2 });
    expect(tail).toEqual(whole.subarray(2 * SIZE * SIZE));
  });

  it('parses --augment and rejects bad values with the option name', () => {
    expect(parseAugment('none')).toEqual(NO_AUGMENT);
    expect(parseAugment('default')).toEqual(DEFAULT_AUGMENT);
    expect(parseAugment('crop=0.5,flip,noise=0.03')).toEqual({ crop: 0.5, flip: true, rot90: false, intensity: 0, noise: 0.03 });
    expect(parseAugment('rot90').rot90).toBe(true);
    expect(() => parseAugment('rot90=1')).toThrow(/rot90 takes no value/);
    expect(() => parseAugment('crop=2')).toThrow(/`augment` crop must be a number in \[0.05, 1\]/);
    expect(() => parseAugment('rotate')).toThrow(/unknown augmentation "rotate"/);
  });

  it('balanced class weights equalise each class\'s share of the loss', () => {
    const w = balancedClassWeights({ CT: 300, MR: 100, XR: 200 }, ['CT', 'MR', 'PT', 'XR']);
    expect(w[0]).toBeCloseTo(2 / 3, 12);
    expect(w.slice(1)).toEqual([2, 1, 1]);
    expect(300 * w[0]!).toBeCloseTo(100 * w[1]!, 9);
  });
});

const source = memoryBatchSource({
  classNames: ['CT', 'MR', 'PT', 'XR'],
  size: SIZE,
  batchSize: 16,
  splits: { train: syntheticSamples(64, SIZE, 4, 11, 'a'), validate: syntheticSamples(16, SIZE, 4, 12, 'b') },
});

async function epochImages(opts: { seed: number; epoch: number; batch: number }): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of hostBatches(source, 'train', { ...opts, shuffle: true, startCursor: 0, skipChunks: 0, augment: { spec: DEFAULT_AUGMENT, seed: opts.seed } })) {
    parts.push(Buffer.from(b.images));
  }
  return Buffer.concat(parts);
}

describe('augmentation in the loader', () => {
  it('same seed and epoch → the same batches, independent of the micro-batch size; another epoch → other images', async () => {
    const a = await epochImages({ seed: 9, epoch: 0, batch: 16 });
    expect(await epochImages({ seed: 9, epoch: 0, batch: 16 })).toEqual(a);
    expect(await epochImages({ seed: 9, epoch: 0, batch: 4 })).toEqual(a);
    expect((await epochImages({ seed: 9, epoch: 1, batch: 16 })).equals(a)).toBe(false);
    expect((await epochImages({ seed: 10, epoch: 0, batch: 16 })).equals(a)).toBe(false);
  });

  it('resumes a run with augmentation, class weights and the cosine schedule on with exactly the losses of an uninterrupted run', async () => {
    const base: TrainOptions = {
      dataset: 'memory', arch: 'resnet18', width: 0.125, lr: 0.02, batch: 8, backend: 'wasm', seed: 5, checkpointMinutes: 0,
      epochs: 2, source, augment: 'default', classWeights: 'balanced', lrSchedule: 'cosine',
    };
    const full: number[] = [];
    const ran = await trainModality({ ...base, out: path.join(root, 'full'), onStep: (s) => full.push(s.loss) }, ctxWith());
    expect(ran.config.augment).toEqual(DEFAULT_AUGMENT);
    expect(ran.config.lossWeights).toEqual([1, 1, 1, 1]);
    expect(ran.metrics.map((m) => m.lr)).toEqual([0.02, 0.01]);
    const out = path.join(root, 'cut');
    const losses: number[] = [];
    const ac = new AbortController();
    const first = await trainModality({ ...base, out, onStep: (s) => { losses.push(s.loss); if (s.step === 11) ac.abort(); } }, ctxWith(ac.signal));
    expect(first.interrupted).toBe(true);
    // Resume takes augmentation and weights from the run's config.json, not from the options.
    const second = await trainModality({ ...base, augment: 'none', classWeights: 'none', lrSchedule: 'plateau', out, resume: true, onStep: (s) => losses.push(s.loss) }, ctxWith());
    expect(second.finished).toBe(true);
    expect(second.metrics.map((m) => m.lr)).toEqual([0.02, 0.01]);
    expect(losses).toEqual(full);
    // Without augmentation the same seed trains on other inputs, so the losses differ.
    const plain: number[] = [];
    await trainModality({ ...base, augment: 'none', epochs: 1, out: path.join(root, 'plain'), onStep: (s) => plain.push(s.loss) }, ctxWith());
    expect(plain.slice(1, 8)).not.toEqual(full.slice(1, 8));
  });
});
