import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { shardDataset } from '../../src/shards/build.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

/**
 * pyarrow / Polars read the shards. Runs only where a Python with pyarrow exists: $MEDIMG_PYTHON,
 * else python3. (Set MEDIMG_PYTHON to a venv with pyarrow, numpy and polars to run it.)
 */
function findPython(module: string): string | undefined {
  for (const py of [process.env.MEDIMG_PYTHON, 'python3'].filter(Boolean) as string[]) {
    const r = spawnSync(py, ['-c', `import ${module}, numpy`], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return undefined;
}
const python = findPython('pyarrow');
const polars = python ? spawnSync(python, ['-c', 'import polars'], { encoding: 'utf8' }).status === 0 : false;
const examples = path.resolve('docs/examples');

describe.skipIf(!python)('interop (pyarrow, Polars)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDataDir();
    await stageSeries(dir, [{ dataset: 'A', label: 'CT', images: 30 }, { dataset: 'B', label: 'MR', images: 9 }], 16);
    const mf = writeManifest(path.join(dir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }]);
    await shardDataset({ name: 'py', batch: 8, manifest: mf, seed: 1, shardSizeMb: 0.005 }, quietContext(dir));
  });

  it('pyarrow reads every shard as file and as embedded stream, validates, and views images zero-copy', () => {
    const script = `
import glob, os, sys, json, pyarrow as pa, pyarrow.ipc as ipc
d = os.path.realpath(os.path.join(sys.argv[1], 'datasets', 'py', 'current'))
out = []
for f in sorted(glob.glob(os.path.join(d, '*.arrow'))):
    r = ipc.open_file(pa.memory_map(f))
    t = r.read_all(); t.validate(full=True)
    s = ipc.open_stream(open(f, 'rb').read()[8:]).read_all()
    out.append([os.path.basename(f), r.num_record_batches, t.num_rows, s.num_rows, str(t.schema.field('image').type), t.schema.metadata[b'medimg.format'].decode()])
print(json.dumps(out))
`;
    const r = spawnSync(python!, ['-c', script, dir], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const shards = JSON.parse(r.stdout) as Array<[string, number, number, number, string, string]>;
    expect(shards.reduce((a, s) => a + s[2], 0)).toBe(39);
    for (const s of shards) {
      expect(s[3]).toBe(s[2]);
      expect(s[4]).toBe('fixed_size_binary[256]');
      expect(s[5]).toBe('medimg-shard/1');
    }
    const ex = spawnSync(python!, [path.join(examples, 'read_pyarrow.py'), dir, 'py', 'train', '--verify'], { encoding: 'utf8' });
    expect(ex.stderr).toBe('');
    expect(JSON.parse(ex.stdout)).toEqual({ split: 'train', rows: 39, batches: 5, first_shape: [8, 16, 16], zero_copy: true, classes: { CT: 30, MR: 9 } });
  });

  it.skipIf(!polars)('Polars scans the shards (docs/examples/read_polars.py)', () => {
    const ex = spawnSync(python!, [path.join(examples, 'read_polars.py'), dir, 'py', 'train'], { encoding: 'utf8' });
    expect(ex.stderr).toBe('');
    expect(JSON.parse(ex.stdout)).toEqual({ split: 'train', per_dataset: { A: 30, B: 9 }, image_shape: [16, 16] });
  });
});
