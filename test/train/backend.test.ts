import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { findSharedLibs, selectBackend } from '../../src/train/backend.ts';
import { formatDoctor, runDoctor } from '../../src/train/doctor.ts';
import { gradKernelsInstalled } from '../../src/train/gradKernels.ts';

const hasPackage = async (name: string) => import(name).then(() => true, () => false);

describe('backend selection', () => {
  it('auto picks the first available backend and says why the others were skipped', async () => {
    const s = await selectBackend('auto');
    expect(tf.getBackend()).toBe(s.backend);
    expect(s.reason).toMatch(new RegExp(`^backend ${s.backend} `));
    if (!(await hasPackage('@tensorflow/tfjs-node-gpu')) && !(await hasPackage('@tensorflow/tfjs-node'))) {
      expect(s.attempts[0]).toMatchObject({ candidate: '@tensorflow/tfjs-node-gpu', ok: false, detail: 'not installed' });
      expect(s.reason).toContain('tfjs-node-gpu not installed');
      expect(s.reason).toContain('tfjs-node not installed');
    }
    if (s.backend === 'wasm' || s.backend === 'cpu') {
      expect(s.gradKernels).toBe(true);
      expect(gradKernelsInstalled(s.backend)).toBe(true);
      expect(s.gpu).toBe(false);
    }
  });

  it('explicit cpu works and an unavailable explicit backend is a ConfigError, not a silent fallback', async () => {
    const s = await selectBackend('cpu');
    expect(s.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    if (!(await hasPackage('@tensorflow/tfjs-node'))) await expect(selectBackend('tensorflow')).rejects.toThrow(/`backend` tensorflow/);
    await expect(selectBackend('cuda' as never)).rejects.toThrow(/`backend` must be one of/);
  });

  it('looks up shared libraries in LD_LIBRARY_PATH', () => {
    const found = findSharedLibs(['libcudart.so.11.0'], { LD_LIBRARY_PATH: '/nonexistent' });
    expect(Object.keys(found)).toEqual(['libcudart.so.11.0']);
  });

  it('doctor reports packages, the auto choice, a passing training smoke test and the fix-it text', async () => {
    const r = await runDoctor();
    expect(r.packages['@tensorflow/tfjs']).toBe('4.22.0');
    expect(r.smokeTest.ok).toBe(true);
    const text = formatDoctor(r);
    expect(text).toContain('auto picks: backend');
    expect(text).toContain('cuDNN 8.9');
    expect(text).toContain('libcudart.so.11.0');
  });
});
