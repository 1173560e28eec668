import { describe, expect, it } from 'vitest';
import { formatTable, gpuMissing, probeMachine, probePython, webgpuMissing, type Probes, type Report } from '../../bench/gpu-check/report.ts';

/** bench/gpu-check.sh's probe and report logic (the whole script runs by hand: minutes, see docs/gpu.md). */

const noGpu: Probes = {
  nvidiaSmi: { found: false, detail: 'not available (spawnSync nvidia-smi ENOENT)' },
  node: 'v20.0.0',
  vulkanLoader: null,
  nvidiaIcd: null,
  python: { path: null, torch: null, cuda: false, cudaDevice: null, cudaWhy: null, torchvision: null, detail: 'no Python found (python3: not runnable)' },
};

describe('gpu-check probes and report', () => {
  it('probes this machine without throwing and says what is missing', () => {
    const p = probeMachine();
    expect(p.node).toBe(process.version);
    if (!p.nvidiaSmi.found) {
      expect(p.nvidiaSmi.detail).toMatch(/^not available/);
      expect(gpuMissing(p)).toMatch(/no NVIDIA GPU visible/);
    }
    if (p.python.path && p.python.torch && !p.python.cuda) expect(p.python.detail).toMatch(/CUDA no \(torch\.cuda\.is_available\(\) is False/);
  }, 120_000);

  it('reports a missing Python, Vulkan loader and ICD as reasons, not errors', () => {
    expect(probePython(['/nonexistent/python3']).path).toBeNull();
    expect(probePython(['/nonexistent/python3']).detail).toMatch(/^no Python found \(\/nonexistent\/python3: /);
    expect(webgpuMissing(noGpu)).toMatch(/no Vulkan loader/);
    expect(webgpuMissing({ ...noGpu, vulkanLoader: '/usr/lib/libvulkan.so.1', nvidiaSmi: { found: true, detail: 'H100' } })).toMatch(/NVIDIA Vulkan ICD/);
    expect(webgpuMissing({ ...noGpu, vulkanLoader: '/usr/lib/libvulkan.so.1' })).toBeNull();
  });

  it('prints one table with every row, its status and why it did not run', () => {
    const r: Report = {
      format: 'medimg-gpu-check/1', startedAt: '2026-01-01T00:00:00Z', seconds: 12, host: { cpus: 2, loadAverage: [1, 2, 3], platform: 'linux x64' }, probes: noGpu,
      rows: [
        { check: 'PyTorch loader-only', status: 'ok', result: '900 img/s (0.91× raw read)', note: 'ShardDataset, 0 workers' },
        { check: 'PyTorch ResNet-18 train (CUDA)', status: 'skipped', result: '-', note: 'no CUDA: torch.cuda.is_available() is False' },
      ],
    };
    const t = formatTable(r);
    expect(t).toContain('GPU: not available');
    expect(t).toContain('Vulkan loader: missing');
    expect(t).toMatch(/PyTorch ResNet-18 train \(CUDA\) \| skipped \| -\s+\| no CUDA: torch\.cuda\.is_available\(\) is False/);
    expect(t.split('\n').filter((l) => l.includes(' | '))).toHaveLength(3);
  });
});
