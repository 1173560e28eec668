import { deriveSeed, seededRandom } from '../core/hash.ts';
import { ConfigError } from '../core/errors.ts';

/**
 * Training-time augmentation of uint8 images (pure kernels on typed arrays, no tfjs): random resized
 * crop, flips, intensity/contrast jitter and Gaussian noise. Every image's draw comes from
 * (seed, epoch, shard, batch, row), never from arrival order or micro-batch size, so the same seed
 * gives the same batches and a resumed run continues with exactly the images it would have seen.
 * Hand-written because the steps run on the host before upload, where no image library's
 * resampling is both seedable per image and this cheap at 64².
 */

export interface Augment {
  /** Random resized crop: smallest area fraction kept (torchvision's scale[0]); aspect 3/4–4/3. 0 = off. */
  crop: number;
  /** Horizontal and vertical flips, each with probability ½. */
  flip: boolean;
  /** Transpose with probability ½ (with flips: all eight 90° rotations and mirrorings), so an anatomy's orientation (upright head, wide chest) says nothing about the class. Absent in older runs = off. */
  rot90?: boolean;
  /** Intensity jitter: gamma in [1/(1+a), 1+a], contrast ×[1−a, 1+a] about the mean, brightness ±a/2. 0 = off. */
  intensity: number;
  /** Additive Gaussian noise, standard deviation as a fraction of full scale. 0 = off. */
  noise: number;
}

export const NO_AUGMENT: Augment = { crop: 0, flip: false, rot90: false, intensity: 0, noise: 0 };
/** `--augment default`: what the demo uses. */
export const DEFAULT_AUGMENT: Augment = { crop: 0.4, flip: true, rot90: true, intensity: 0.25, noise: 0.02 };

export const isAugmenting = (a: Augment | undefined): a is Augment => !!a && (a.crop > 0 || a.flip || !!a.rot90 || a.intensity > 0 || a.noise > 0);

/**
 * Parses `none`, `default`, or a comma list of `crop[=minArea]`, `flip`, `rot90`, `intensity[=a]`, `noise[=sd]`
 * (bare names take the default's value), e.g. `crop=0.5,flip,noise=0.03`.
 */
export function parseAugment(text: string): Augment {
  const t = text.trim();
  if (t === '' || t === 'none') return { ...NO_AUGMENT };
  if (t === 'default') return { ...DEFAULT_AUGMENT };
  const out: Augment = { ...NO_AUGMENT };
  for (const part of t.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [name, raw] = part.split('=', 2) as [string, string | undefined];
    const num = (lo: number, hi: number, dflt: number) => {
      const v = raw === undefined ? dflt : Number(raw);
      if (!Number.isFinite(v) || v < lo || v > hi) {
        throw new ConfigError(`\`augment\` ${name} must be a number in [${lo}, ${hi}], got "${raw}"`, { hint: 'e.g. `augment` crop=0.5,flip,intensity=0.2,noise=0.02' });
      }
      return v;
    };
    if (name === 'crop') out.crop = num(0.05, 1, DEFAULT_AUGMENT.crop);
    else if (name === 'flip') {
      if (raw !== undefined) throw new ConfigError(`\`augment\` flip takes no value, got "${part}"`);
      out.flip = true;
    } else if (name === 'rot90') {
      if (raw !== undefined) throw new ConfigError(`\`augment\` rot90 takes no value, got "${part}"`);
      out.rot90 = true;
    } else if (name === 'intensity') out.intensity = num(0, 0.9, DEFAULT_AUGMENT.intensity);
    else if (name === 'noise') out.noise = num(0, 0.5, DEFAULT_AUGMENT.noise);
    else throw new ConfigError(`\`augment\`: unknown augmentation "${name}"`, { hint: 'use none, default, or a list of crop[=minArea], flip, rot90, intensity[=a], noise[=sd]' });
  }
  return out;
}

/** Seed of one row of one shard batch in one epoch. */
export function rowSeed(seed: number, epoch: number, shard: number, batchIndex: number, row: number): number {
  return deriveSeed('augment', seed, epoch, shard, batchIndex, row);
}

/** Box of a random resized crop (x, y, w, h in pixels) of a size×size image. */
function cropBox(size: number, minArea: number, rnd: () => number): [number, number, number, number] {
  if (minArea >= 1) return [0, 0, size, size];
  for (let tries = 0; tries < 10; tries++) {
    const area = size * size * (minArea + (1 - minArea) * rnd());
    const ratio = Math.exp(Math.log(3 / 4) + (Math.log(4 / 3) - Math.log(3 / 4)) * rnd());
    const w = Math.sqrt(area * ratio);
    const h = Math.sqrt(area / ratio);
    if (w <= size && h <= size) return [rnd() * (size - w), rnd() * (size - h), w, h];
  }
  return [0, 0, size, size];
}

/**
 * Bilinear taps along one axis, once per image rather than per pixel: for output index k, the source
 * coordinate in the crop box (flipped or not), clamped, as its two neighbours and the weight of the second.
 */
function axisTable(size: number, flip: boolean, start: number, scale: number): { i0: Int32Array; i1: Int32Array; w: Float64Array } {
  const last = size - 1;
  const i0 = new Int32Array(size);
  const i1 = new Int32Array(size);
  const w = new Float64Array(size);
  for (let k = 0; k < size; k++) {
    const u = start + ((flip ? last - k : k) + 0.5) * scale - 0.5;
    const v = u < 0 ? 0 : u > last ? last : u;
    const f = Math.floor(v);
    i0[k] = f;
    i1[k] = f < last ? f + 1 : f;
    w[k] = v - f;
  }
  return { i0, i1, w };
}

/** Standard normal from two uniforms (Box–Muller). */
function gauss(rnd: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * Augments one size×size image from `src` into `dst` (distinct buffers). Order: crop (bilinear
 * resample of the box back to size×size) with flips and the transpose folded into the sampling, then gamma, contrast
 * about the image mean, brightness, noise, rounding to uint8.
 */
export function augmentImage(src: Uint8Array, dst: Uint8Array, size: number, a: Augment, seed: number): void {
  const rnd = seededRandom(seed);
  const [bx, by, bw, bh] = a.crop > 0 ? cropBox(size, a.crop, rnd) : [0, 0, size, size];
  const fx = a.flip && rnd() < 0.5;
  const fy = a.flip && rnd() < 0.5;
  const tr = !!a.rot90 && rnd() < 0.5;
  const sx = bw / size;
  const sy = bh / size;
  const ax = axisTable(size, fx, bx, sx);
  const ay = axisTable(size, fy, by, sy);
  const f = new Float32Array(size * size);
  let sum = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Transposed: output row y reads source column y.
      const i = tr ? y : x;
      const j = tr ? x : y;
      const x0 = ax.i0[i]!;
      const x1 = ax.i1[i]!;
      const wx = ax.w[i]!;
      const y0 = ay.i0[j]!;
      const y1 = ay.i1[j]!;
      const wy = ay.w[j]!;
      const top = src[y0 * size + x0]! * (1 - wx) + src[y0 * size + x1]! * wx;
      const bot = src[y1 * size + x0]! * (1 - wx) + src[y1 * size + x1]! * wx;
      const p = (top * (1 - wy) + bot * wy) / 255;
      f[y * size + x] = p;
      sum += p;
    }
  }
  let gamma = 1;
  let contrast = 1;
  let bright = 0;
  if (a.intensity > 0) {
    gamma = Math.exp((2 * rnd() - 1) * Math.log(1 + a.intensity));
    contrast = 1 + (2 * rnd() - 1) * a.intensity;
    bright = (rnd() - 0.5) * a.intensity;
  }
  const mean = gamma === 1 ? sum / f.length : meanPow(f, gamma);
  const noiseRnd = a.noise > 0 ? seededRandom(deriveSeed(seed, 'noise')) : null;
  for (let i = 0; i < f.length; i++) {
    let p = gamma === 1 ? f[i]! : f[i]! ** gamma;
    p = (p - mean) * contrast + mean + bright;
    if (noiseRnd) p += a.noise * gauss(noiseRnd);
    const q = Math.round(p * 255);
    dst[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
}

function meanPow(f: Float32Array, g: number): number {
  let s = 0;
  for (let i = 0; i < f.length; i++) s += f[i]! ** g;
  return s / f.length;
}

/**
 * Augments rows [0, n) of a batch in place. `firstRow` is the batch row of images[0] (micro-batches
 * of a shard batch), so the draw of a row does not depend on how the shard batch was split.
 */
export function augmentBatch(
  images: Uint8Array,
  n: number,
  size: number,
  a: Augment,
  at: { seed: number; epoch: number; shard: number; batchIndex: number; firstRow: number },
): void {
  const pixels = size * size;
  const src = new Uint8Array(pixels);
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * pixels, (i + 1) * pixels);
    src.set(img);
    augmentImage(src, img, size, a, rowSeed(at.seed, at.epoch, at.shard, at.batchIndex, at.firstRow + i));
  }
}
