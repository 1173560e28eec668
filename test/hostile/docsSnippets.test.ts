import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardDataset } from '../../src/shards/build.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

/**
 * Every Python snippet in docs/ runs against a small published dataset named as the docs name it
 * (`data/datasets/paper-2021`), in a folder where `python/` is the repository's package. A snippet
 * whose modules are not installed here (pyarrow, polars, torch…) is skipped, naming them.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const docs = path.join(root, 'docs');

interface Snippet { file: string; index: number; code: string; modules: string[] }

function snippets(): Snippet[] {
  const out: Snippet[] = [];
  for (const f of fs.readdirSync(docs).filter((n) => n.endsWith('.md')).sort()) {
    const blocks = [...fs.readFileSync(path.join(docs, f), 'utf8').matchAll(/^```python\n([\s\S]*?)^```/gm)];
    blocks.forEach((b, i) => {
      const code = b[1]!;
      const modules = new Set<string>();
      for (const m of code.matchAll(/^\s*(?:import\s+([\w., ]+?)(?:\s+as\s+\w+)?\s*$|from\s+([\w.]+)\s+import)/gm)) {
        for (const name of (m[1] ?? m[2] ?? '').split(',')) {
          const top = name.trim().split(/\s+/)[0]!.split('.')[0]!;
          if (top && top !== 'medimg_shards') modules.add(top);
        }
      }
      out.push({ file: f, index: i + 1, code, modules: [...modules].sort() });
    });
  }
  return out;
}

// A pyenv/venv python3 on PATH may shadow Debian's, which is where .ci/run installs numpy and torch.
const pythons = (process.env.MEDIMG_PYTHON ? [process.env.MEDIMG_PYTHON] : ['python3', '/usr/bin/python3']).filter(
  (p) => spawnSync(p, ['-c', 'pass']).status === 0,
);
const missingOf = (py: string, mods: string[]) => mods.filter((m) => spawnSync(py, ['-c', `import ${m}`]).status !== 0);
/** The first Python that has every module of a snippet, else the modules the first one lacks. */
function pythonFor(mods: string[]): { py?: string; missing: string[] } {
  if (pythons.length === 0) return { missing: ['python3'] };
  for (const py of pythons) if (missingOf(py, mods).length === 0) return { py, missing: [] };
  return { missing: pythons.map((py) => missingOf(py, mods)).sort((a, b) => a.length - b.length)[0]! };
}
const all = snippets();
let sandbox: string;

beforeAll(async () => {
  sandbox = tempDataDir('medimg-docs-');
  const data = path.join(sandbox, 'data');
  await stageSeries(data, [{ dataset: 'A', label: 'CT', images: 24 }, { dataset: 'B', label: 'MR', images: 24 }, { dataset: 'C', label: 'PT', images: 8 }], 16);
  const mf = writeManifest(path.join(sandbox, 'm.json'), 'paper-2021', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }, { name: 'C', split: 'test' }]);
  await shardDataset({ name: 'paper-2021', batch: 8, manifest: mf, seed: 1 }, quietContext(data));
  fs.symlinkSync(path.join(root, 'python'), path.join(sandbox, 'python'));
});
afterAll(() => fs.rmSync(sandbox, { recursive: true, force: true }));

describe('Python snippets in docs/', () => {
  it('are found (the interop guide has several)', () => {
    expect(all.filter((s) => s.file === 'interop.md').length).toBeGreaterThanOrEqual(3);
  });

  for (const s of all) {
    const { py, missing } = pythonFor(s.modules);
    const why = missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed here)` : '';
    it.skipIf(missing.length > 0)(`${s.file} snippet ${s.index} [${s.modules.join(', ')}] runs${why}`, () => {
      // Training snippets loop for epochs: one epoch and no loader workers are enough to prove they run.
      const code = s.code.replace(/range\(10\)/g, 'range(1)').replace(/num_workers=\d+/g, 'num_workers=0');
      const r = spawnSync(py!, ['-c', code], { cwd: sandbox, encoding: 'utf8', timeout: 600_000 });
      expect(r.stderr).not.toMatch(/Traceback/);
      expect(r.status).toBe(0);
    });
  }
});
