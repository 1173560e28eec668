/**
 * Entry of bench/gpu-check.sh (bundled with esbuild into one .mjs): probes the machine, makes a
 * small 224² shard set, runs tfjs WebGPU ResNet-18 training and the PyTorch loader/training over it,
 * prints one table and writes JSON. Every check that cannot run says why; nothing ends in a stack.
 *   node gpu-check.mjs [--out DIR] [--budget-s 420] [--images 1536]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../../src/core/context.ts';
import { createLogger } from '../../src/core/log.ts';
import { provideOptionalModule } from '../../src/train/backend.ts';
import { trainModality } from '../../src/train/loop.ts';
import { makeShardSet } from '../loaders.ts';
import { formatTable, gpuMissing, probeMachine, webgpuMissing, type Report, type Row } from './report.ts';

provideOptionalModule('@tensorflow/tfjs-backend-webgpu', () => import('@tensorflow/tfjs-backend-webgpu'));

const self = fileURLToPath(import.meta.url);
const here = path.dirname(self);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const t0 = performance.now();
const budget = Number(arg('budget-s', '420'));
const left = () => budget - (performance.now() - t0) / 1000;
const msg = (e: unknown) => String((e as Error)?.message ?? e).split('\n')[0]!.slice(0, 300);

/** Child mode: does Dawn find an adapter with these flags? One JSON line. */
async function probeWebGpuChild(): Promise<void> {
  const flags = JSON.parse(process.argv[3] ?? '[]') as string[];
  const compat = process.argv[4] === '1';
  try {
    const { create } = (await import('webgpu' as string)) as { create(f: string[]): { requestAdapter(o?: object): Promise<{ info?: Record<string, string> } | null> } };
    const a = await create(flags).requestAdapter(compat ? { featureLevel: 'compatibility' } : {});
    console.log('PROBE ' + JSON.stringify(a ? { ok: true, device: a.info?.device ?? '', description: a.info?.description ?? '' } : { ok: false }));
  } catch (e) {
    console.log('PROBE ' + JSON.stringify({ ok: false, error: msg(e) }));
  }
  process.exit(0);
}

/** Vulkan first; else Dawn's GL ES backend on a software rasteriser (functional row only). */
function chooseWebGpu(): { ok: boolean; env: Record<string, string>; detail: string; software: boolean } {
  const probe = (flags: string[], compat: boolean, env: Record<string, string>) => {
    const r = spawnSync(process.execPath, [self, '--probe-webgpu', JSON.stringify(flags), compat ? '1' : '0'], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('PROBE '));
    const v = line ? (JSON.parse(line.slice(6)) as { ok: boolean; device?: string; description?: string; error?: string }) : { ok: false, error: `probe exited ${r.status}` };
    const why = (r.stderr ?? '').match(/Warning: ([^\n]+)/)?.[1];
    return { ok: v.ok, detail: v.ok ? `${v.device}, ${v.description}` : v.error ?? `no adapter${why ? ` (${why})` : ''}` };
  };
  const vk = probe([], false, {});
  const soft = (d: string) => /llvmpipe|lavapipe|swiftshader|softpipe/i.test(d);
  if (vk.ok) return { ok: true, env: {}, detail: `Vulkan: ${vk.detail}`, software: soft(vk.detail) };
  const env = { EGL_PLATFORM: 'surfaceless', MEDIMG_WEBGPU_FLAGS: 'backend=opengles', MEDIMG_WEBGPU_COMPAT: '1' };
  const gl = probe(['backend=opengles'], true, { EGL_PLATFORM: 'surfaceless' });
  if (gl.ok) return { ok: true, env, detail: `OpenGL ES: ${gl.detail} (Vulkan: ${vk.detail})`, software: soft(gl.detail) };
  return { ok: false, env: {}, detail: `Vulkan: ${vk.detail}; OpenGL ES: ${gl.detail}`, software: false };
}

async function trainRow(dataDir: string, backend: 'webgpu' | 'cpu', cfg: { imageSize: number; batch: number; width: number; steps: number; seconds: number }, out: string) {
  const ctl = new AbortController();
  const ctx = createRunContext({ dataDir, rejectsInMemory: true, tty: false, logger: createLogger({ level: 'error' }), signal: ctl.signal });
  const times: number[] = [];
  const losses: number[] = [];
  const timer = setTimeout(() => ctl.abort(), cfg.seconds * 1000);
  try {
    await trainModality({
      dataset: 'bench', arch: 'resnet18', backend, imageSize: cfg.imageSize, batch: cfg.batch, width: cfg.width, seed: 1, lr: 0.1,
      maxSteps: cfg.steps, epochs: 1, checkpointMinutes: 0, out, onStep: (s) => { times.push(performance.now()); losses.push(s.loss); },
    }, ctx);
  } finally {
    clearTimeout(timer);
  }
  const timed = times.length >= 3 ? (times.at(-1)! - times[0]!) / 1000 / (times.length - 1) : null; // step 1 = warm-up (shader compiles)
  return { steps: times.length, secondsPerStep: timed, imagesPerSecond: timed ? cfg.batch / timed : null, losses };
}

async function webgpuRows(dataDir: string, probes: ReturnType<typeof probeMachine>, rows: Row[]): Promise<void> {
  const missing = webgpuMissing(probes);
  const wg = chooseWebGpu();
  if (!wg.ok) {
    rows.push({ check: 'tfjs WebGPU ResNet-18 train', status: 'skipped', result: '-', note: `no WebGPU adapter: ${missing ?? wg.detail}` });
    rows.push({ check: 'tfjs WebGPU loss vs cpu', status: 'skipped', result: '-', note: 'no WebGPU adapter' });
    return;
  }
  Object.assign(process.env, wg.env);
  const full = { imageSize: 224, batch: 128, width: 1, steps: 6, seconds: Math.min(240, left() - 150) };
  const small = { imageSize: 64, batch: 8, width: 0.25, steps: 3, seconds: 90 };
  const cfg = wg.software ? small : full;
  const label = `${cfg.imageSize}², batch ${cfg.batch}, width ${cfg.width}`;
  try {
    if (cfg.seconds < 30) throw new Error(`time budget spent (${left().toFixed(0)} s left)`);
    const r = await trainRow(dataDir, 'webgpu', cfg, path.join(dataDir, 'runs', 'webgpu'));
    rows.push({
      check: 'tfjs WebGPU ResNet-18 train', status: r.imagesPerSecond ? 'ok' : 'failed',
      result: r.imagesPerSecond ? `${r.imagesPerSecond.toFixed(1)} img/s` : `${r.steps} step(s) in the time limit`,
      note: `${wg.detail}; ${label}; ${r.steps} steps (first = warm-up)${wg.software ? '; software adapter: reduced config, functional only' : ''}`,
      data: { adapter: wg.detail, software: wg.software, config: cfg, ...r },
    });
  } catch (e) {
    rows.push({ check: 'tfjs WebGPU ResNet-18 train', status: 'failed', result: '-', note: `${wg.detail}; ${label}: ${msg(e)}` });
  }
  // Loss after N steps vs the CPU reference, same seed, data and config (small: the cpu backend is slow).
  const ref = { imageSize: 32, batch: 8, width: 0.25, steps: 3, seconds: 120 };
  try {
    if (left() < 60) throw new Error(`time budget spent (${left().toFixed(0)} s left)`);
    const g = await trainRow(dataDir, 'webgpu', ref, path.join(dataDir, 'runs', 'ref-webgpu'));
    const c = await trainRow(dataDir, 'cpu', ref, path.join(dataDir, 'runs', 'ref-cpu'));
    const n = Math.min(g.losses.length, c.losses.length);
    const rel = (i: number) => Math.abs(g.losses[i]! - c.losses[i]!) / c.losses[i]!;
    rows.push({
      check: 'tfjs WebGPU loss vs cpu', status: n > 0 && rel(0) <= 1e-4 ? 'ok' : 'failed',
      result: n ? `step ${n}: ${g.losses[n - 1]!.toFixed(5)} vs ${c.losses[n - 1]!.toFixed(5)}` : '-',
      note: `32², batch 8, width 0.25, ${n} steps; step-1 relative difference ${n ? rel(0).toExponential(1) : '-'} (ok ≤ 1e-4; later steps drift: float32 rounding compounds)`,
      data: { webgpu: g.losses, cpu: c.losses },
    });
  } catch (e) {
    rows.push({ check: 'tfjs WebGPU loss vs cpu', status: 'failed', result: '-', note: msg(e) });
  }
}

function torchRows(root: string, probes: ReturnType<typeof probeMachine>, rows: Row[]): void {
  const py = probes.python;
  const script = path.join(here, 'torch_loader.py');
  const call = (mode: string, extra: string[], timeoutS: number) => {
    const r = spawnSync(py.path!, [script, mode, root, ...extra], { encoding: 'utf8', timeout: timeoutS * 1000 });
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error((r.stderr ?? '').trim().split('\n').pop() || `exit ${r.status ?? 'timeout'}`);
    return JSON.parse(line) as Record<string, number | string>;
  };
  if (!py.path || !py.torch) {
    for (const check of ['PyTorch loader-only', 'PyTorch ResNet-18 train (CUDA)']) rows.push({ check, status: 'skipped', result: '-', note: `no Python with torch + numpy: ${py.detail}` });
    return;
  }
  try {
    call('raw', [], 60);
    const raw = call('raw', [], 60);
    const workers = Math.min(4, Math.max(0, os.cpus().length - 1));
    const l0 = call('loader', ['--workers', '0'], 120);
    const lw = workers > 0 ? call('loader', ['--workers', String(workers)], 120) : null;
    const mbs = (r: Record<string, number | string>) => Number(r.bytes) / 2 ** 20 / Number(r.seconds);
    rows.push({
      check: 'PyTorch loader-only', status: 'ok',
      result: `${(Number(l0.images) / Number(l0.seconds)).toFixed(0)} img/s (${(mbs(l0) / mbs(raw)).toFixed(2)}× raw read)`,
      note: `ShardDataset, 0 workers; raw read ${mbs(raw).toFixed(0)} MB/s${lw ? `; ${workers} workers: ${(Number(lw.images) / Number(lw.seconds)).toFixed(0)} img/s` : ''}; page cache warm`,
      data: { raw, workers0: l0, workersN: lw },
    });
  } catch (e) {
    rows.push({ check: 'PyTorch loader-only', status: 'failed', result: '-', note: msg(e) });
  }
  const why = !py.cuda ? `no CUDA: ${py.cudaWhy ?? 'torch.cuda.is_available() is False'}${gpuMissing(probes) ? `; ${gpuMissing(probes)}` : ''}` : null;
  if (why) {
    rows.push({ check: 'PyTorch ResNet-18 train (CUDA)', status: 'skipped', result: '-', note: why });
    return;
  }
  try {
    const t = call('train', ['--steps', '30', '--workers', String(Math.min(6, os.cpus().length))], Math.max(30, Math.min(240, left() - 20)));
    rows.push({ check: 'PyTorch ResNet-18 train (CUDA)', status: t.skipped ? 'skipped' : 'ok', result: t.skipped ? '-' : `${Number(t.imagesPerSecond).toFixed(0)} img/s`, note: String(t.skipped ?? `${t.model} on ${t.device}, 224², batch ${t.batch}, ${t.steps} steps (2 warm-up); last loss ${Number(t.lastLoss).toFixed(3)}`), data: t });
  } catch (e) {
    rows.push({ check: 'PyTorch ResNet-18 train (CUDA)', status: 'failed', result: '-', note: msg(e) });
  }
}

async function main(): Promise<void> {
  const outDir = arg('out', process.env.OUT ?? process.cwd());
  const startedAt = new Date().toISOString();
  const probes = probeMachine();
  const rows: Row[] = [];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-gpu-check-'));
  try {
    let root: string | null = null;
    try {
      root = await makeShardSet(dataDir, Number(arg('images', '1024')));
      rows.push({ check: 'shard set', status: 'ok', result: `${arg('images', '1024')} images 224²`, note: `made on the spot in ${((performance.now() - t0) / 1000).toFixed(0)} s (etl shard, batch 128)` });
    } catch (e) {
      rows.push({ check: 'shard set', status: 'failed', result: '-', note: msg(e) });
    }
    if (root) {
      torchRows(root, probes, rows);
      await webgpuRows(dataDir, probes, rows);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const report: Report = {
    format: 'medimg-gpu-check/1', startedAt, seconds: (performance.now() - t0) / 1000,
    host: { cpus: os.cpus().length, loadAverage: os.loadavg(), platform: `${os.platform()} ${os.arch()}` }, probes, rows,
  };
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'gpu-check.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(formatTable(report));
  console.log(`\nJSON: ${path.join(outDir, 'gpu-check.json')}`);
}

if (process.argv[2] === '--probe-webgpu') await probeWebGpuChild();
else {
  await main().catch((e) => {
    console.log(`gpu-check could not finish: ${msg(e)}`);
    process.exitCode = 1;
  });
  process.exit(process.exitCode ?? 0); // Dawn keeps the loop alive
}
