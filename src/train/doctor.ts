import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { CUDA11_LIBS, findSharedLibs, selectBackend, type BackendSelection } from './backend.ts';

/**
 * `train doctor`: what is installed, which backend `auto` picks and why, whether tfjs-node-gpu
 * really runs on the GPU, and how to fix what is missing. `GPU_HELP` is the text docs/gpu.md and
 * the README quote.
 */

export const OPTIONAL_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'webgpu',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
] as const;

export const GPU_HELP = `GPU training options (details: docs/gpu.md)

1. tfjs-node-gpu (CUDA; fastest). Not installed by default: its install step downloads libtensorflow.
   npm install --no-save @tensorflow/tfjs-node-gpu@4.22.0
   It bundles libtensorflow 2.9.1, built for CUDA 11 - CUDA 12 libraries do NOT load, and it then
   silently runs on the CPU. Needs: any current NVIDIA driver (R525+ runs CUDA 11 applications),
   the CUDA 11.8 runtime libraries (libcudart.so.11.0, libcublas/libcublasLt.so.11, libcufft.so.10,
   libcurand.so.10, libcusolver.so.11, libcusparse.so.11) and cuDNN 8.9.x for CUDA 11 (libcudnn.so.8;
   8.9 is the first cuDNN 8 listing Hopper/H100) on LD_LIBRARY_PATH. Also set
   TF_FORCE_GPU_ALLOW_GROWTH=true, and on H100 (sm_90, JIT from PTX; the first start can take
   30+ minutes) CUDA_CACHE_MAXSIZE=2147483648 so the JIT is paid once.
   Check: \`train doctor\` must report "tfjs-node-gpu uses the GPU: yes".
   Offline/mirror install: npm i --ignore-scripts @tensorflow/tfjs-node-gpu@4.22.0, then either
   set TFJS_NODE_CDN_STORAGE=https://<mirror>/ and
   npm_config_tfjs_binding_binary_host_mirror=https://<mirror>/tf-builds/pre-built-binary/ and run
   npm rebuild @tensorflow/tfjs-node-gpu, or untar libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz into
   node_modules/@tensorflow/tfjs-node-gpu/deps/ and the addon tarball (GPU-linux-4.22.0.tar.gz,
   napi-v8) into node_modules/@tensorflow/tfjs-node-gpu/lib/ - and never run its install script again.
2. tfjs-node (CPU libtensorflow, multi-threaded): npm install --no-save @tensorflow/tfjs-node@4.22.0
   (same download caveat). Much faster than wasm on many cores.
3. WebGPU through Dawn (the optional \`webgpu\` package, installed with this project when possible):
   needs libvulkan1 and the GPU vendor's Vulkan ICD (NVIDIA: the driver's nvidia_icd.json; in
   containers enable the "graphics" driver capability). Works without CUDA; speed is a fraction of
   tfjs-node-gpu (generic WGSL kernels, no cuDNN).
4. Without any of these, training runs on wasm (SIMD, one thread, our Conv2D gradient kernels):
   about 8 img/s for ResNet-18 at 64x64 and 0.8 img/s at 224x224 on one core - fine for demos,
   not for the paper's 4 million images.`;

export interface DoctorReport {
  node: string;
  platform: string;
  cpus: number;
  memoryGiB: number;
  packages: Record<string, string | null>;
  nvidiaSmi: string | null;
  cudaLibs: Record<string, string | null>;
  vulkan: string | null;
  selection: BackendSelection;
  /** tfjs-node-gpu loaded and runs on the GPU. */
  tensorflowGpu: boolean | 'unknown' | null;
  /** One training step of a tiny convnet on the chosen backend (checks the gradient kernels). */
  smokeTest: { ok: boolean; detail: string };
  advice: string[];
}

function packageVersion(name: string): string | null {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(name) ?? []) {
    const pj = path.join(dir, name, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        return (JSON.parse(fs.readFileSync(pj, 'utf8')) as { version?: string }).version ?? 'unknown';
      } catch {
        return 'unreadable';
      }
    }
  }
  return null;
}

function nvidiaSmi(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return null;
  }
}

async function smokeTest(): Promise<{ ok: boolean; detail: string }> {
  const t0 = performance.now();
  try {
    const loss = tf.tidy(() => {
      const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1);
      const w = tf.variable(tf.randomNormal([3, 3, 1, 4], 0, 0.1, 'float32', 2));
      const f = () => tf.mean(tf.square(tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 2, 'same'))) as tf.Scalar;
      const { value, grads } = tf.variableGrads(f, [w]);
      const g = grads[w.name]!;
      const out = tf.stack([value, tf.sum(tf.abs(g))]);
      w.dispose();
      return out;
    });
    const [v, g] = await loss.data();
    loss.dispose();
    if (!Number.isFinite(v!) || !(g! > 0)) return { ok: false, detail: `bad gradient (loss ${v}, |grad| ${g})` };
    return { ok: true, detail: `conv2d forward+backward OK in ${(performance.now() - t0).toFixed(0)} ms` };
  } catch (err) {
    return { ok: false, detail: String((err as Error).message ?? err) };
  }
}

export async function runDoctor(): Promise<DoctorReport> {
  const packages: Record<string, string | null> = {};
  for (const p of OPTIONAL_PACKAGES) packages[p] = packageVersion(p);
  const smi = nvidiaSmi();
  const cudaLibs = findSharedLibs(CUDA11_LIBS);
  const vulkan = findSharedLibs(['libvulkan.so.1'])['libvulkan.so.1'] ?? null;
  const selection = await selectBackend('auto');
  const tensorflowGpu = selection.provider === '@tensorflow/tfjs-node-gpu' ? selection.gpu : null;
  const advice: string[] = [];
  const missingCuda = Object.entries(cudaLibs).filter(([, p]) => !p).map(([l]) => l);
  if (smi && !packages['@tensorflow/tfjs-node-gpu']) advice.push('an NVIDIA GPU is present but @tensorflow/tfjs-node-gpu is not installed: see option 1 below');
  if (packages['@tensorflow/tfjs-node-gpu'] && tensorflowGpu !== true) {
    advice.push(
      `tfjs-node-gpu is installed but does not use the GPU${missingCuda.length ? `; missing CUDA 11 libraries: ${missingCuda.join(', ')}` : ''}: install the CUDA 11.8 runtime + cuDNN 8.9 for CUDA 11 and put them on LD_LIBRARY_PATH`,
    );
  }
  if (smi && !vulkan) advice.push('libvulkan.so.1 not found: the WebGPU path needs `apt-get install libvulkan1` and the NVIDIA Vulkan ICD');
  if (smi && vulkan && packages.webgpu && selection.backend !== 'webgpu' && selection.backend !== 'tensorflow') {
    advice.push('Vulkan is present but Dawn found no adapter: check that the NVIDIA ICD (nvidia_icd.json) is installed and visible in the container');
  }
  if (!smi && (selection.backend === 'wasm' || selection.backend === 'cpu')) advice.push('no GPU visible (nvidia-smi not found): training runs on the CPU; use small --image-size/--width for demos');
  return {
    node: process.version,
    platform: `${os.platform()} ${os.arch()}`,
    cpus: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    packages,
    nvidiaSmi: smi,
    cudaLibs,
    vulkan,
    selection,
    tensorflowGpu,
    smokeTest: await smokeTest(),
    advice,
  };
}

/** The WebGPU adapter Dawn found: vendor, device, driver, limits, software or not. */
export function formatAdapter(sel: BackendSelection): string[] {
  const a = sel.adapter;
  if (!a) {
    const w = sel.attempts.find((x) => x.candidate.startsWith('webgpu'));
    return ['', `WebGPU adapter: none${w ? ` (${w.detail})` : ' (not probed: an earlier backend was chosen)'}`];
  }
  return [
    '',
    `WebGPU adapter (Dawn${a.flags.length ? ', ' + a.flags.join(',') : ''}, ${a.featureLevel}):`,
    `  vendor        ${a.vendor || '(not reported)'}`,
    `  architecture  ${a.architecture || '(not reported)'}`,
    `  device        ${a.device || '(not reported)'}`,
    `  driver        ${a.description || '(not reported)'}`,
    `  software      ${a.software ? 'yes (CPU rasteriser: functional tests only, slower than wasm)' : 'no'}`,
    `  limits        ${Object.entries(a.limits).map(([k, v]) => `${k}=${v}`).join(' ')}`,
  ];
}

export function formatDoctor(r: DoctorReport): string {
  const yes = (b: boolean | 'unknown' | null) => (b === null ? 'n/a' : b === 'unknown' ? 'unknown' : b ? 'yes' : 'no');
  const lines = [
    `node ${r.node} on ${r.platform}, ${r.cpus} CPUs, ${r.memoryGiB} GiB`,
    '',
    'packages:',
    ...Object.entries(r.packages).map(([p, v]) => `  ${p.padEnd(34)} ${v ?? 'not installed'}`),
    '',
    `GPU (nvidia-smi): ${r.nvidiaSmi ?? 'none found'}`,
    `Vulkan loader (libvulkan.so.1): ${r.vulkan ?? 'not found'}`,
    'CUDA 11 libraries for tfjs-node-gpu:',
    ...Object.entries(r.cudaLibs).map(([l, p]) => `  ${l.padEnd(20)} ${p ?? 'missing'}`),
    '',
    'backend candidates (auto order):',
    ...r.selection.attempts.map((a) => `  ${a.ok ? 'ok  ' : 'no  '} ${a.candidate}: ${a.detail}`),
    '',
    ...formatAdapter(r.selection),
    '',
    `auto picks: ${r.selection.reason}`,
    `tfjs-node-gpu uses the GPU: ${yes(r.tensorflowGpu)}`,
    `training smoke test: ${r.smokeTest.ok ? 'ok' : 'FAILED'} (${r.smokeTest.detail})`,
  ];
  if (r.advice.length) lines.push('', 'advice:', ...r.advice.map((a) => `  - ${a}`));
  lines.push('', GPU_HELP);
  return lines.join('\n');
}
