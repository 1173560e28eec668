import * as tf from '@tensorflow/tfjs';

/**
 * Replacement Conv2D gradient kernels for the wasm and cpu backends (training.md §2/§3).
 *
 * - wasm has no `Conv2DBackpropFilter` at all (tensorflow/tfjs#8474), so a convnet cannot train there;
 * - cpu has one, but it is a naive 7-deep loop that takes 94 % of a ResNet step.
 *
 * Both gradients are rewritten as a few large matrix products (which wasm runs through XNNPACK) plus
 * pads/slices: one product per filter tap. No `transposeA/B` flags: wasm's transposed matmul takes a
 * slow non-XNNPACK path, so operands are transposed once explicitly instead.
 */

type Conv2DInfo = tf.backend_util.Conv2DInfo;

function infoOf(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: { strides: [number, number] | number; pad: tf.backend_util.ExplicitPadding | 'same' | 'valid' | number; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil' },
): Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') throw new Error(`conv2d gradient shim supports NHWC only, got ${attrs.dataFormat}`);
  return tf.backend_util.computeConv2DInfo(xShape, filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
}

/** Largest im2col block (floats) the filter gradient builds at once: 128 MB. */
const MAX_BLOCK = 32 * 2 ** 20;

/**
 * dW[kh,kw,ci,co] = Σ_{b,oh,ow} xpad[b, oh·s+kh, ow·s+kw, ci] · dy[b,oh,ow,co].
 *
 * x is transposed once to channel-major [Ci·N, H, W] (for stride s, also split into s×s phases:
 * [s·s·Ci·N, H/s, W/s]), so every tap is a plain rank-3 slice whose inner runs are whole rows
 * (wasm's Slice copies innermost runs one by one: NHWC slices with Ci = 1 copy single floats, and
 * its StridedSlice is slower still). Taps are stacked into blocks of at least 64 rows, so the stem
 * (Ci = 1, 49 taps) is one matrix product instead of 49 that each re-read dy:
 * [G·Ci, M] × dy[M, Co] → rows of dW in [KH, KW, Ci, Co] order.
 */
export function conv2dFilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const { batchSize: n, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
    const p = info.padInfo;
    // Pad to the convolution's padding, plus zeros up to a multiple of the stride (never read by a tap).
    const hp = Math.ceil((h + p.top + p.bottom) / sh) * sh;
    const wp = Math.ceil((w + p.left + p.right) / sw) * sw;
    const extra = [hp - h - p.top, wp - w - p.left];
    const xp = p.top || extra[0] || p.left || extra[1] ? tf.pad(x, [[0, 0], [p.top, extra[0]!], [p.left, extra[1]!], [0, 0]]) : x;
    const hq = hp / sh;
    const wq = wp / sw;
    const rows = ci * n;
    // [sh, sw, Ci, N, HQ, WQ] → [sh·sw·Ci·N, HQ, WQ]
    const phases =
      sh === 1 && sw === 1
        ? tf.reshape(tf.transpose(xp, [3, 0, 1, 2]), [rows, hp, wp])
        : tf.reshape(tf.transpose(tf.reshape(xp, [n, hq, sh, wq, sw, ci]), [2, 4, 5, 0, 1, 3]), [sh * sw * rows, hq, wq]);
    const m = n * oh * ow;
    const dy2 = tf.reshape(dy, [m, co]);
    const taps: Array<[number, number]> = [];
    for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push([i, j]);
    const group = Math.max(1, Math.min(taps.length, Math.ceil(64 / ci), Math.floor(MAX_BLOCK / (ci * m))));
    const blocks: tf.Tensor2D[] = [];
    for (let g = 0; g < taps.length; g += group) {
      const cols = taps.slice(g, g + group).map(([i, j]) => {
        const phase = (i % sh) * sw + (j % sw);
        return tf.reshape(tf.slice(phases, [phase * rows, Math.floor(i / sh), Math.floor(j / sw)], [rows, oh, ow]), [ci, m]);
      });
      blocks.push(tf.matMul(cols.length === 1 ? cols[0]! : tf.concat(cols, 0), dy2)); // [G·Ci, Co]
    }
    return tf.reshape(blocks.length === 1 ? blocks[0]! : tf.concat(blocks, 0), [kh, kw, ci, co]);
  });
}

/**
 * dX: per tap, G_tap = dy[M, Co] × W_tapᵀ[Co, Ci], added into the padded input at (oh·s+kh, ow·s+kw).
 * Strided convolutions are split into s×s output phases (taps with kh ≡ ph mod s land on rows
 * ph + s·(oh + ⌊kh/s⌋)), so no zero-dilated dy is ever convolved (4× fewer FLOPs at stride 2).
 */
export function conv2dInputGrad(dy: tf.Tensor4D, filter: tf.Tensor4D, info: Conv2DInfo): tf.Tensor4D {
  return tf.tidy(() => {
    const { batchSize: n, inChannels: ci, outChannels: co, outHeight: oh, outWidth: ow, strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw, inHeight: h, inWidth: w } = info;
    const p = info.padInfo;
    const m = n * oh * ow;
    const dy2 = tf.reshape(dy, [m, co]);
    const wT = tf.transpose(filter, [0, 1, 3, 2]); // [KH, KW, Co, Ci]
    // Each phase image has rows q = oh + ⌊kh/s⌋; make it tall enough for every tap and for the padded input.
    const hq = Math.max(Math.ceil((h + p.top + p.bottom) / sh), oh + Math.floor((kh - 1) / sh));
    const wq = Math.max(Math.ceil((w + p.left + p.right) / sw), ow + Math.floor((kw - 1) / sw));
    const phaseRows: tf.Tensor[] = [];
    for (let ph = 0; ph < sh; ph++) {
      const phaseCols: tf.Tensor[] = [];
      for (let pw = 0; pw < sw; pw++) {
        const parts: tf.Tensor4D[] = [];
        for (let i = ph; i < kh; i += sh) {
          for (let j = pw; j < kw; j += sw) {
            const wTap = tf.reshape(tf.slice(wT, [i, j, 0, 0], [1, 1, co, ci]), [co, ci]);
            const g = tf.reshape(tf.matMul(dy2, wTap), [n, oh, ow, ci]) as tf.Tensor4D;
            const di = Math.floor(i / sh);
            const dj = Math.floor(j / sw);
            parts.push(tf.pad(g, [[0, 0], [di, hq - oh - di], [dj, wq - ow - dj], [0, 0]]));
          }
        }
        phaseCols.push(parts.length === 0 ? (tf.zeros([n, hq, wq, ci]) as tf.Tensor4D) : parts.length === 1 ? parts[0]! : tf.addN(parts));
      }
      // [N, HQ, WQ, sw, Ci]
      phaseRows.push(sw === 1 ? phaseCols[0]! : tf.stack(phaseCols, 3));
    }
    // [N, HQ, sh, WQ, sw, Ci] → [N, HQ·sh, WQ·sw, Ci]: interleave the phases back into pixel order.
    const full = sh === 1 && sw === 1 ? phaseRows[0]! : tf.reshape(sh === 1 ? phaseRows[0]! : tf.stack(phaseRows, 2), [n, hq * sh, wq * sw, ci]);
    return tf.slice(full, [0, p.top, p.left, 0], [n, h, w, ci]) as tf.Tensor4D;
  });
}

const FILTER = 'Conv2DBackpropFilter';
const INPUT = 'Conv2DBackpropInput';

/**
 * Wrap a kernel input as a Tensor. `makeTensorFromTensorInfo` does not raise the backend's reference
 * count, yet disposing the wrapper lowers it; without the `incRef` the tidy below would free the
 * caller's tensor.
 */
function asTensor(info: tf.TensorInfo): tf.Tensor {
  const engine = tf.engine();
  const t = engine.makeTensorFromTensorInfo(info);
  engine.backend.incRef(info.dataId);
  return t;
}

const filterKernel: tf.KernelFunc = ({ inputs, attrs }) => {
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const xi = inputs.x as tf.TensorInfo;
  const dyi = inputs.dy as tf.TensorInfo;
  const info = infoOf(xi.shape as [number, number, number, number], a.filterShape, a);
  return tf.tidy(() => conv2dFilterGrad(asTensor(xi) as tf.Tensor4D, asTensor(dyi) as tf.Tensor4D, info));
};

const inputKernel: tf.KernelFunc = (args) => {
  const { inputs, attrs, backend } = args;
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const dyi = inputs.dy as tf.TensorInfo;
  const fi = inputs.filter as tf.TensorInfo;
  // Large kernels (the 7×7 stem, whose input gradient training never needs) are faster in the stock
  // kernel where one exists: the per-tap pads dominate.
  const key = `${INPUT}/${tf.getBackend()}`;
  const stock = saved.get(key);
  if (stock && (fi.shape[0] ?? 0) * (fi.shape[1] ?? 0) > 9) {
    // A kernel unregistered before its backend initialised never ran its setup (wasm binds its C++ entry there).
    if (!setUp.has(key)) {
      stock.setupFunc?.(backend);
      setUp.add(key);
    }
    return stock.kernelFunc(args);
  }
  const info = infoOf(a.inputShape, fi.shape as [number, number, number, number], a);
  return tf.tidy(() => conv2dInputGrad(asTensor(dyi) as tf.Tensor4D, asTensor(fi) as tf.Tensor4D, info));
};

/**
 * Which kernels replace the stock ones, per backend (measured, bench/train.ts and training.md §3):
 * wasm has no filter gradient and a slow input gradient (ours is 2.5-4× faster on 3×3 layers);
 * cpu's filter gradient is pathological, but its stock input gradient beats ours (2-6×), so it stays.
 */
export const SHIMS: Record<string, readonly string[]> = {
  wasm: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  cpu: ['Conv2DBackpropFilter'],
};

const saved = new Map<string, tf.KernelConfig | undefined>();
const setUp = new Set<string>();

/**
 * Register our Conv2D gradient kernels for `backendName` (idempotent). The stock kernel, if any, is
 * kept so `uninstallGradKernels` can restore it (tests compare against it). `which` overrides the
 * per-backend choice (tests run both kernels everywhere).
 */
export function installGradKernels(backendName: string, which: readonly string[] = SHIMS[backendName] ?? [FILTER, INPUT]): void {
  for (const [name, fn] of [
    [FILTER, filterKernel],
    [INPUT, inputKernel],
  ] as const) {
    if (!which.includes(name)) continue;
    const key = `${name}/${backendName}`;
    if (saved.has(key)) continue;
    const stock = tf.getKernel(name, backendName);
    saved.set(key, stock);
    if (stock) tf.unregisterKernel(name, backendName);
    tf.registerKernel({ kernelName: name, backendName, kernelFunc: fn });
  }
}

export function uninstallGradKernels(backendName: string): void {
  for (const name of [FILTER, INPUT]) {
    const key = `${name}/${backendName}`;
    if (!saved.has(key)) continue;
    const stock = saved.get(key);
    saved.delete(key);
    tf.unregisterKernel(name, backendName);
    if (stock) tf.registerKernel(stock);
  }
}

export function gradKernelsInstalled(backendName: string): boolean {
  return saved.has(`${FILTER}/${backendName}`);
}
