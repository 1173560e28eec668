import { spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Which Dawn adapter the WebGPU tests can use, probed in a child process before this process loads
 * any tfjs backend: Vulkan first (lavapipe or a real GPU), else Dawn's OpenGL ES backend on Mesa's
 * llvmpipe (EGL surfaceless, compatibility feature level). Debian 12's lavapipe (Mesa 22.3) lacks
 * `shaderUniform*ArrayDynamicIndexing`, which Dawn requires, so there the GL path is what runs.
 * `useWebGpuTestBed()` sets the env `src/train/backend.ts` reads; the skip reason says what is missing.
 */

export interface WebGpuTestBed {
  ok: boolean;
  /** `vulkan` or `opengles (llvmpipe)`; with the adapter's description. */
  label: string;
  env: Record<string, string>;
  skipReason: string;
}

const ROOT = path.resolve(import.meta.dirname, '../..');

const PROBE = `
import { create } from 'webgpu';
const flags = JSON.parse(process.env.PROBE_FLAGS);
const gpu = create(flags);
const a = await gpu.requestAdapter(process.env.PROBE_COMPAT === '1' ? { featureLevel: 'compatibility' } : {});
console.log('PROBE ' + JSON.stringify(a ? { ok: true, device: a.info?.device ?? '', description: a.info?.description ?? '' } : { ok: false }));
process.exit(0);
`;

function probe(flags: string[], compat: boolean, env: Record<string, string>): { ok: boolean; detail: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROBE], {
    cwd: ROOT, encoding: 'utf8', timeout: 60_000,
    env: { ...process.env, ...env, PROBE_FLAGS: JSON.stringify(flags), PROBE_COMPAT: compat ? '1' : '0' },
  });
  const line = r.stdout?.split('\n').find((l) => l.startsWith('PROBE '));
  if (!line) {
    const err = `${r.stderr ?? ''}${r.error ? String(r.error) : ''}`;
    return { ok: false, detail: /Cannot find package 'webgpu'/.test(err) ? 'the optional `webgpu` package is not installed' : err.trim().split('\n').slice(-2).join(' ') || `exit ${r.status}` };
  }
  const v = JSON.parse(line.slice(6)) as { ok: boolean; device?: string; description?: string };
  if (!v.ok) {
    const why = (r.stderr ?? '').match(/Warning: ([^\n]+)/)?.[1];
    return { ok: false, detail: `no adapter${why ? ` (${why})` : ''}` };
  }
  return { ok: true, detail: [v.device, v.description].filter(Boolean).join(', ') };
}

let cached: WebGpuTestBed | undefined;

export function webGpuTestBed(): WebGpuTestBed {
  if (cached) return cached;
  const vk = probe([], false, {});
  if (vk.ok) return (cached = { ok: true, label: `vulkan: ${vk.detail}`, env: {}, skipReason: '' });
  const glEnv = { EGL_PLATFORM: 'surfaceless', MEDIMG_WEBGPU_FLAGS: 'backend=opengles', MEDIMG_WEBGPU_COMPAT: '1' };
  const gl = probe(['backend=opengles'], true, { EGL_PLATFORM: 'surfaceless' });
  if (gl.ok) return (cached = { ok: true, label: `opengles: ${gl.detail} (Vulkan: ${vk.detail})`, env: glEnv, skipReason: '' });
  return (cached = {
    ok: false, label: 'none', env: {},
    skipReason: `no WebGPU adapter: Vulkan ${vk.detail}; OpenGL ES ${gl.detail} (apt-get install mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgles2)`,
  });
}

/** Probe, export the env for the chosen path into this process, and return the test bed. */
export function useWebGpuTestBed(): WebGpuTestBed {
  const bed = webGpuTestBed();
  Object.assign(process.env, bed.env);
  return bed;
}
