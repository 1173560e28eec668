import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Probe and report logic of bench/gpu-check.sh (kept free of tfjs so tests can drive it): what the
 * machine has, and one row per check that either ran (with figures) or says why it did not.
 */

export interface Probes {
  nvidiaSmi: { found: boolean; detail: string };
  node: string;
  vulkanLoader: string | null;
  nvidiaIcd: string | null;
  python: { path: string | null; detail: string; torch: string | null; cuda: boolean; cudaDevice: string | null; cudaWhy: string | null; torchvision: string | null };
}

export type RowStatus = 'ok' | 'skipped' | 'failed';

export interface Row {
  check: string;
  status: RowStatus;
  /** Main figure(s), e.g. "412 img/s" or "loss 1.38 (cpu 1.38)". */
  result: string;
  /** Why it was skipped/failed, or the conditions it ran under. */
  note: string;
  data?: Record<string, unknown>;
}

export interface Report {
  format: 'medimg-gpu-check/1';
  startedAt: string;
  seconds: number;
  host: { cpus: number; loadAverage: number[]; platform: string };
  probes: Probes;
  rows: Row[];
}

const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

function run(cmd: string, args: string[], timeoutMs = 20_000): { ok: boolean; out: string; err: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  return { ok: r.status === 0, out: (r.stdout ?? '').trim(), err: ((r.stderr ?? '') + (r.error ? String(r.error.message) : '')).trim() };
}

export function findLibrary(name: string, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const d of (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean)) if (fs.existsSync(path.join(d, name))) return path.join(d, name);
  for (const bin of ['/sbin/ldconfig', '/usr/sbin/ldconfig', 'ldconfig']) {
    try {
      const cache = execFileSync(bin, ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
      const m = cache.match(new RegExp(`^\\s*${name.replace(/\./g, '\\.')} .*=> (\\S+)`, 'm'));
      return m?.[1] ?? null;
    } catch {
      /* next */
    }
  }
  return null;
}

const PY_PROBE = `
import json, sys
r = {"python": sys.version.split()[0], "torch": None, "cuda": False, "cudaDevice": None, "torchvision": None, "numpy": None}
try:
    import numpy; r["numpy"] = numpy.__version__
except Exception as e: r["numpyError"] = str(e)
try:
    import torch; r["torch"] = torch.__version__; r["cuda"] = bool(torch.cuda.is_available())
    if r["cuda"]: r["cudaDevice"] = torch.cuda.get_device_name(0)
    else: r["cudaWhy"] = "torch.cuda.is_available() is False" + ("" if torch.version.cuda else " (this torch is built without CUDA)")
except Exception as e: r["torchError"] = str(e)
try:
    import torchvision; r["torchvision"] = torchvision.__version__
except Exception: pass
print(json.dumps(r))
`;

export function probePython(candidates = [process.env.MEDIMG_PYTHON, 'python3', '/usr/bin/python3', 'python']): Probes['python'] {
  const tried: string[] = [];
  let firstOk: Probes['python'] | null = null;
  for (const p of [...new Set(candidates.filter(Boolean) as string[])]) {
    const r = run(p, ['-c', PY_PROBE], 120_000);
    if (!r.ok) {
      tried.push(`${p}: ${r.err.split('\n').at(-1) || 'not runnable'}`);
      continue;
    }
    const v = JSON.parse(r.out.split('\n').at(-1)!) as Record<string, string | boolean | null>;
    const info: Probes['python'] = {
      path: p, torch: (v.torch as string) ?? null, cuda: v.cuda === true, cudaDevice: (v.cudaDevice as string) ?? null, cudaWhy: (v.cudaWhy as string) ?? null, torchvision: (v.torchvision as string) ?? null,
      detail: `python ${v.python}, numpy ${v.numpy ?? 'missing'}, torch ${v.torch ?? `missing (${v.torchError ?? ''})`}, CUDA ${v.cuda ? `yes: ${v.cudaDevice}` : `no (${v.cudaWhy ?? 'torch missing'})`}, torchvision ${v.torchvision ?? 'missing'}`,
    };
    if (info.torch && v.numpy) return info;
    firstOk ??= info;
    tried.push(`${p}: ${info.detail}`);
  }
  return firstOk ?? { path: null, torch: null, cuda: false, cudaDevice: null, cudaWhy: null, torchvision: null, detail: `no Python found (${tried.join('; ')})` };
}

export function probeMachine(): Probes {
  const smi = run('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader']);
  const icd = ICD_DIRS.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).map((f) => path.join(d, f)) : [])).find((f) => /nvidia/i.test(path.basename(f)));
  return {
    nvidiaSmi: { found: smi.ok, detail: smi.ok ? smi.out : `not available (${smi.err.split('\n')[0] || 'nvidia-smi not found'})` },
    node: process.version,
    vulkanLoader: findLibrary('libvulkan.so.1'),
    nvidiaIcd: icd ?? null,
    python: probePython(),
  };
}

/** Why GPU work cannot run here, from the probes alone (null when nothing rules it out). */
export function gpuMissing(p: Probes): string | null {
  if (!p.nvidiaSmi.found) return `no NVIDIA GPU visible (nvidia-smi ${p.nvidiaSmi.detail})`;
  return null;
}

export function webgpuMissing(p: Probes): string | null {
  if (!p.vulkanLoader) return 'no Vulkan loader (libvulkan.so.1; apt-get install libvulkan1)';
  if (!p.nvidiaIcd && p.nvidiaSmi.found) return 'the NVIDIA Vulkan ICD (nvidia_icd.json) is missing: install the driver\'s Vulkan part / enable the "graphics" capability in the container';
  return null;
}

export function formatTable(r: Report): string {
  const head = ['check', 'status', 'result', 'note'];
  const rows = r.rows.map((x) => [x.check, x.status, x.result, x.note]);
  const w = head.map((h, i) => Math.min(i === 3 ? 200 : 60, Math.max(h.length, ...rows.map((row) => row[i]!.length))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(w[i]!))).join(' | ');
  const p = r.probes;
  return [
    `medimg-etl GPU check — ${r.startedAt}, ${r.seconds.toFixed(0)} s, ${r.host.cpus} CPUs, load ${r.host.loadAverage.map((x) => x.toFixed(2)).join(' ')}`,
    `GPU: ${p.nvidiaSmi.detail}`,
    `Node ${p.node}; Vulkan loader: ${p.vulkanLoader ?? 'missing'}; NVIDIA Vulkan ICD: ${p.nvidiaIcd ?? 'missing'}`,
    `Python: ${p.python.detail}`,
    '',
    line(head),
    w.map((n) => '-'.repeat(n)).join('-|-'),
    ...rows.map(line),
  ].join('\n');
}
