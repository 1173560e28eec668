import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tf from '@tensorflow/tfjs';
import { ConfigError, messageOf } from '../core/errors.ts';
import { installGradKernels } from './gradKernels.ts';

/**
 * tfjs backend selection (training.md). `auto` tries, in order: tfjs-node-gpu, tfjs-node (both
 * optional, loaded by dynamic import because their install step downloads libtensorflow), WebGPU
 * through the `webgpu` (Dawn) package when an adapter exists, wasm, cpu. Every choice says why.
 */

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendRequest = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendRequest, 'auto'>;

export interface BackendAttempt {
  candidate: string;
  ok: boolean;
  detail: string;
}

/** What Dawn reports about the WebGPU adapter (`train doctor` prints it). */
export interface WebGpuAdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  /** Driver / API description, e.g. "OpenGL ES 3.2 Mesa 22.3.6" or the Vulkan driver name + version. */
  description: string;
  /** Dawn backend flags in use (`MEDIMG_WEBGPU_FLAGS`) and the feature level asked for. */
  flags: string[];
  featureLevel: 'core' | 'compatibility';
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader, softpipe) or Dawn's fallback adapter. */
  software: boolean;
  limits: Record<string, number>;
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|softpipe|software rasterizer/i;
const REPORTED_LIMITS = [
  'maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage',
] as const;

interface DawnAdapter {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
  limits?: Record<string, number>;
}

/** Adapter facts from Dawn's GPUAdapter (info + a few limits that bound tfjs kernels). */
export function describeAdapter(adapter: DawnAdapter, flags: string[], compat: boolean): WebGpuAdapterReport {
  const i = adapter.info ?? {};
  const text = [i.vendor, i.architecture, i.device, i.description].filter(Boolean).join(' ');
  const limits: Record<string, number> = {};
  for (const k of REPORTED_LIMITS) {
    const v = adapter.limits?.[k];
    if (typeof v === 'number') limits[k] = v;
  }
  return {
    vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '',
    flags, featureLevel: compat ? 'compatibility' : 'core',
    software: SOFTWARE_ADAPTER.test(text) || i.isFallbackAdapter === true || adapter.isFallbackAdapter === true,
    limits,
  };
}

export interface BackendSelection {
  /** tfjs backend name now active. */
  backend: BackendName;
  /** npm package providing it (for tensorflow: tfjs-node-gpu or tfjs-node). */
  provider: string;
  /** Whether compute runs on a GPU (`unknown` when the library cannot tell). */
  gpu: boolean | 'unknown';
  /** One line: which backend runs and why the earlier candidates were not used. */
  reason: string;
  attempts: BackendAttempt[];
  /** Our Conv2D gradient kernels are registered for this backend (wasm, cpu). */
  gradKernels: boolean;
  /** The WebGPU adapter Dawn found (whether or not webgpu was chosen). */
  adapter?: WebGpuAdapterReport;
}

const provided = new Map<string, () => Promise<unknown>>();

/**
 * For single-file bundles (bench/gpu-check.sh) that contain an optional package themselves: it must
 * share the bundle's tfjs-core, which a plain `import(name)` from node_modules would not.
 */
export function provideOptionalModule(name: string, load: () => Promise<unknown>): void {
  provided.set(name, load);
}

/** Import a package that may be absent without TypeScript resolving its types. */
async function importOptional(name: string): Promise<Record<string, unknown>> {
  const load = provided.get(name);
  return (load ? await load() : await import(name)) as Record<string, unknown>;
}

function shortError(err: unknown): string {
  const msg = messageOf(err).split('\n')[0] ?? '';
  const code = (err as { code?: string })?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)/.test(msg)) return 'not installed';
  return msg.length > 160 ? msg.slice(0, 157) + '...' : msg;
}

/** CUDA 11 user-space libraries libtensorflow 2.9.1 (tfjs-node-gpu 4.22) dlopens; missing ones mean silent CPU fallback. */
export const CUDA11_LIBS = ['libcudart.so.11.0', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.11', 'libcudnn.so.8'];

/** Which of `libs` the dynamic loader can find (ldconfig cache or LD_LIBRARY_PATH). */
export function findSharedLibs(libs: readonly string[], env: NodeJS.ProcessEnv = process.env): Record<string, string | null> {
  let cache = '';
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      cache = execFileSync(bin, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      break;
    } catch {
      /* try the next location */
    }
  }
  const dirs = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  const out: Record<string, string | null> = {};
  for (const lib of libs) {
    const inDir = dirs.map((d) => path.join(d, lib)).find((p) => fs.existsSync(p));
    const m = cache.match(new RegExp(`^\\s*${lib.replace(/\./g, '\\.')} .*=> (\\S+)`, 'm'));
    out[lib] = inDir ?? m?.[1] ?? null;
  }
  return out;
}

let webgpuInstalled: Promise<BackendAttempt & { adapter?: WebGpuAdapterReport }> | undefined;

/**
 * Node 20 has no `navigator`: expose Dawn's `navigator.gpu`, register tfjs-backend-webgpu, and work
 * around tfjs 4.22 pushing `['bgra8unorm-storage']` (a nested array) into `requiredFeatures`.
 * Env `MEDIMG_WEBGPU_FLAGS` (comma list, e.g. `backend=opengles`) and `MEDIMG_WEBGPU_COMPAT=1`
 * (compatibility feature level) select Dawn's GL path for a software test bed.
 */
async function setupWebGpu(): Promise<BackendAttempt & { adapter?: WebGpuAdapterReport }> {
  const candidate = 'webgpu (Dawn, package `webgpu`)';
  const flags = (process.env.MEDIMG_WEBGPU_FLAGS ?? '').split(',').filter(Boolean);
  // Dawn's Vulkan path needs the loader; without it (and without explicit Dawn flags) there is no
  // adapter to find, and probing would only print Dawn's native warning.
  if (flags.length === 0 && process.platform === 'linux' && !findSharedLibs(['libvulkan.so.1'])['libvulkan.so.1']) {
    return { candidate, ok: false, detail: 'no Vulkan loader (libvulkan.so.1 not found; apt-get install libvulkan1 + the GPU vendor ICD)' };
  }
  let mod: Record<string, unknown>;
  try {
    mod = await importOptional('webgpu');
  } catch (err) {
    return { candidate, ok: false, detail: shortError(err) };
  }
  try {
    const create = mod.create as (flags: string[]) => { requestAdapter(o?: object): Promise<unknown> };
    const gpu = create(flags);
    Object.assign(globalThis, mod.globals as object);
    const compat = process.env.MEDIMG_WEBGPU_COMPAT === '1';
    const requestAdapter = gpu.requestAdapter.bind(gpu);
    const patched = {
      async requestAdapter(options: object = {}) {
        const adapter = (await requestAdapter(compat ? { ...options, featureLevel: 'compatibility' } : options)) as {
          requestDevice(d?: { requiredFeatures?: unknown[] }): Promise<unknown>;
        } | null;
        if (!adapter) return adapter;
        const requestDevice = adapter.requestDevice.bind(adapter);
        return new Proxy(adapter, {
          get(target, prop) {
            if (prop === 'requestDevice') {
              return (d: { requiredFeatures?: unknown[] } = {}) =>
                requestDevice({ ...d, ...(d.requiredFeatures ? { requiredFeatures: d.requiredFeatures.flat() } : {}) });
            }
            const v = Reflect.get(target, prop, target) as unknown;
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
          },
        });
      },
      getPreferredCanvasFormat: () => 'rgba8unorm',
    };
    const adapter = await patched.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { candidate, ok: false, detail: 'no adapter (no Vulkan driver/GPU visible; needs libvulkan1 + the GPU vendor ICD)' };
    const nav = (globalThis as { navigator?: Record<string, unknown> }).navigator;
    if (nav) Object.defineProperty(nav, 'gpu', { value: patched, configurable: true });
    else Object.defineProperty(globalThis, 'navigator', { value: { gpu: patched }, configurable: true, writable: true });
    await importOptional('@tensorflow/tfjs-backend-webgpu');
    const report = describeAdapter(adapter as DawnAdapter, flags, compat);
    const name = [report.vendor, report.architecture, report.device, report.description].filter(Boolean).join(' ') || 'adapter';
    return { candidate, ok: true, detail: name + (report.software ? ' (software adapter)' : ''), adapter: report };
  } catch (err) {
    return { candidate, ok: false, detail: shortError(err) };
  }
}

async function tryTensorflow(pkg: '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node', attempts: BackendAttempt[]): Promise<boolean> {
  try {
    await importOptional(pkg);
    await tf.setBackend('tensorflow');
    await tf.ready();
    attempts.push({ candidate: pkg, ok: true, detail: 'loaded' });
    return true;
  } catch (err) {
    attempts.push({ candidate: pkg, ok: false, detail: shortError(err) });
    return false;
  }
}

/** Whether the active tensorflow backend runs on a GPU (tfjs-node-gpu without CUDA 11 libs silently uses the CPU). */
function tensorflowUsesGpu(): boolean | 'unknown' {
  const b = tf.backend() as unknown as { isUsingGpuDevice?: boolean | (() => boolean) };
  if (typeof b.isUsingGpuDevice === 'function') return b.isUsingGpuDevice();
  if (typeof b.isUsingGpuDevice === 'boolean') return b.isUsingGpuDevice;
  return 'unknown';
}

let wasmRegistered = false;
async function tryWasm(attempts: BackendAttempt[]): Promise<boolean> {
  try {
    if (!wasmRegistered) {
      // Importing registers 'wasm' with priority 2 (above cpu); we always set the backend explicitly.
      await importOptional('@tensorflow/tfjs-backend-wasm');
      wasmRegistered = true;
    }
    installGradKernels('wasm');
    await tf.setBackend('wasm');
    await tf.ready();
    attempts.push({ candidate: 'wasm', ok: true, detail: 'SIMD, single thread (Node has no wasm threads), own Conv2D gradient kernels' });
    return true;
  } catch (err) {
    attempts.push({ candidate: 'wasm', ok: false, detail: shortError(err) });
    return false;
  }
}

async function useCpu(attempts: BackendAttempt[]): Promise<void> {
  installGradKernels('cpu');
  await tf.setBackend('cpu');
  await tf.ready();
  attempts.push({ candidate: 'cpu', ok: true, detail: 'plain JS, own Conv2D gradient kernels' });
}

async function tryWebGpu(attempts: BackendAttempt[], auto: boolean): Promise<{ ok: boolean; adapter?: WebGpuAdapterReport }> {
  webgpuInstalled ??= setupWebGpu();
  const { adapter, ...a } = await webgpuInstalled;
  if (a.ok && auto && adapter?.software) {
    // A CPU rasteriser runs tfjs's WGSL kernels slower than wasm: auto never picks it.
    attempts.push({ ...a, ok: false, detail: `${a.detail}: slower than wasm, not used by auto (force it with \`backend\` webgpu)` });
    return { ok: false, adapter };
  }
  if (a.ok) {
    try {
      await tf.setBackend('webgpu');
      await tf.ready();
      if (tf.getBackend() !== 'webgpu') throw new Error('tfjs did not activate webgpu');
    } catch (err) {
      attempts.push({ candidate: a.candidate, ok: false, detail: shortError(err) });
      return { ok: false, ...(adapter ? { adapter } : {}) };
    }
  }
  attempts.push(a);
  return { ok: a.ok, ...(adapter ? { adapter } : {}) };
}

/** Quiet tfjs's "install tfjs-node" banner and duplicate-kernel warnings: we report backends ourselves. */
function quietTfjs(): void {
  tf.env().set('PROD', true);
}

export async function selectBackend(request: BackendRequest = 'auto'): Promise<BackendSelection> {
  if (!(BACKEND_CHOICES as readonly string[]).includes(request)) {
    throw new ConfigError(`\`backend\` must be one of ${BACKEND_CHOICES.join(', ')}, got "${request}"`, { hint: 'use `backend` auto to pick the fastest available' });
  }
  quietTfjs();
  const attempts: BackendAttempt[] = [];
  let backend: BackendName | undefined;
  let provider = '';
  if (request === 'auto' || request === 'tensorflow') {
    if (await tryTensorflow('@tensorflow/tfjs-node-gpu', attempts)) {
      backend = 'tensorflow';
      provider = '@tensorflow/tfjs-node-gpu';
    } else if (await tryTensorflow('@tensorflow/tfjs-node', attempts)) {
      backend = 'tensorflow';
      provider = '@tensorflow/tfjs-node';
    } else if (request === 'tensorflow') {
      throw new ConfigError(`\`backend\` tensorflow: ${attempts.map((a) => `${a.candidate}: ${a.detail}`).join('; ')}`, {
        hint: 'install @tensorflow/tfjs-node-gpu (or -node) as docs/gpu.md describes, or use `backend` auto',
      });
    }
  }
  let adapter: WebGpuAdapterReport | undefined;
  if (!backend && (request === 'auto' || request === 'webgpu')) {
    const w = await tryWebGpu(attempts, request === 'auto');
    adapter = w.adapter;
    if (w.ok) {
      backend = 'webgpu';
      provider = '@tensorflow/tfjs-backend-webgpu + webgpu (Dawn)';
    } else if (request === 'webgpu') {
      throw new ConfigError(`\`backend\` webgpu: ${attempts.map((a) => `${a.candidate}: ${a.detail}`).join('; ')}`, {
        hint: 'install the optional `webgpu` package and libvulkan1 + the GPU vendor Vulkan ICD, or use `backend` auto',
      });
    }
  }
  if (!backend && (request === 'auto' || request === 'wasm')) {
    if (await tryWasm(attempts)) {
      backend = 'wasm';
      provider = '@tensorflow/tfjs-backend-wasm';
    } else if (request === 'wasm') {
      throw new ConfigError(`\`backend\` wasm: ${attempts.at(-1)?.detail}`, { hint: 'use `backend` cpu' });
    }
  }
  if (!backend) {
    await useCpu(attempts);
    backend = 'cpu';
    provider = '@tensorflow/tfjs (cpu)';
  }
  const gpu = backend === 'tensorflow' ? (provider.endsWith('-gpu') ? tensorflowUsesGpu() : false) : backend === 'webgpu' && !adapter?.software;
  const skipped = attempts.filter((a) => !a.ok).map((a) => `${a.candidate.replace('@tensorflow/', '')} ${a.detail}`);
  let reason = `backend ${backend} (${provider})`;
  if (backend === 'tensorflow' && provider.endsWith('-gpu') && gpu !== true) {
    const missing = Object.entries(findSharedLibs(CUDA11_LIBS)).filter(([, p]) => !p).map(([l]) => l);
    reason += gpu === false ? ' running on the CPU' : ' (GPU use unknown)';
    if (missing.length > 0) reason += `: CUDA 11 libraries missing (${missing.join(', ')}); see docs/gpu.md`;
  }
  if (skipped.length > 0) reason += `: ${skipped.join(', ')}`;
  return { backend, provider, gpu, reason, attempts, gradKernels: backend === 'wasm' || backend === 'cpu', ...(adapter ? { adapter } : {}) };
}
