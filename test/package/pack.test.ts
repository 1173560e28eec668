import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shardDataset } from '../../src/shards/build.ts';
import { openDataset } from '../../src/shards/reader.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

/**
 * The package as a user gets it: `npm pack` of a build, unpacked into a scratch project whose
 * node_modules links this checkout's dependencies (no network), then a shard set read through
 * `import { openDataset } from 'medimg-etl'` in a separate Node process, and the public types
 * checked by tsc. The build is a fresh tsc run into a temp folder (or the checkout's dist/ when it
 * is newer than every source), so the checkout's dist/ is never rewritten under other tests.
 */

/** Async, so the test worker's event loop keeps answering vitest while tsc and npm run. */
const run = async (cmd: string, args: string[], cwd = ROOT): Promise<string> => (await promisify(execFile)(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 })).stdout;

const ROOT = path.resolve(import.meta.dirname, '../..');
const NODE_MODULES = path.join(ROOT, 'node_modules');
const TSC = path.join(NODE_MODULES, 'typescript/bin/tsc');

let work: string;
let dataDir: string;
let packed: { files: Array<{ path: string }>; filename: string };
let project: string;

function newestMtime(p: string): number {
  const st = fs.statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const e of fs.readdirSync(p)) newest = Math.max(newest, newestMtime(path.join(p, e)));
  return newest;
}

function freshDist(): boolean {
  try {
    return fs.statSync(path.join(ROOT, 'dist/.build-stamp')).mtimeMs >= newestMtime(path.join(ROOT, 'src'));
  } catch {
    return false;
  }
}

beforeAll(async () => {
  work = tempDataDir('medimg-pack-');
  // 1. What the package holds, built from the sources.
  const pkg = path.join(work, 'pkg');
  fs.mkdirSync(pkg);
  for (const f of ['package.json', 'README.md', 'bin', 'manifests', 'pipelines']) {
    if (fs.existsSync(path.join(ROOT, f))) fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
  }
  if (freshDist()) fs.cpSync(path.join(ROOT, 'dist'), path.join(pkg, 'dist'), { recursive: true });
  else await run(process.execPath, [TSC, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(pkg, 'dist')]);
  const out = await run('npm', ['pack', '--json', '--ignore-scripts', '--offline', '--pack-destination', work], pkg);
  packed = (JSON.parse(out) as Array<typeof packed>)[0]!;

  // 2. A scratch project with the tarball installed next to links to our dependencies.
  project = path.join(work, 'project');
  const nm = path.join(project, 'node_modules');
  fs.mkdirSync(path.join(nm, 'medimg-etl'), { recursive: true });
  await run('tar', ['-xzf', path.join(work, packed.filename), '-C', path.join(nm, 'medimg-etl'), '--strip-components=1']);
  for (const e of fs.readdirSync(NODE_MODULES)) {
    if (e.startsWith('.') || e === 'medimg-etl') continue;
    fs.symlinkSync(path.join(NODE_MODULES, e), path.join(nm, e));
  }
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));

  // 3. A published shard set to read.
  dataDir = path.join(work, 'data');
  fs.mkdirSync(dataDir);
  await stageSeries(dataDir, [{ dataset: 'A', label: 'CT', images: 9 }, { dataset: 'B', label: 'MR', images: 7 }, { dataset: 'C', label: 'PT', images: 5 }], 16);
  const mf = writeManifest(path.join(dataDir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }, { name: 'C', split: 'test' }]);
  await shardDataset({ name: 'pk', batch: 4, manifest: mf, seed: 3 }, quietContext(dataDir));
}, 300_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('the npm package', () => {
  it('holds the compiled library, its types and the commands, and no tests, benchmarks or sources', () => {
    const files = packed.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/classify.js', 'dist/classify.d.ts', 'bin/etl.js', 'bin/train.js', 'package.json']));
    expect(files.filter((f) => /^(test|bench|src)\//.test(f) || f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('reads a shard set through `import { openDataset } from "medimg-etl"` in a scratch project', async () => {
    const script = `
      import { openDataset } from 'medimg-etl';
      const ds = await openDataset(process.argv[2], 'pk');
      const labels = [];
      const sops = [];
      for await (const b of ds.batches('train', { shuffle: false })) { labels.push(...b.labels); sops.push(...b.sops); }
      console.log(JSON.stringify({ classNames: ds.classNames, size: [ds.height, ds.width], rows: ds.splitRows('train'), labels, sops }));
      await ds.close();`;
    fs.writeFileSync(path.join(project, 'read.mjs'), script);
    const got = JSON.parse(await run(process.execPath, ['read.mjs', dataDir], project)) as Record<string, unknown>;

    const ds = await openDataset(dataDir, 'pk');
    const labels: number[] = [];
    const sops: string[] = [];
    for await (const b of ds.batches('train', { shuffle: false })) {
      labels.push(...b.labels);
      sops.push(...b.sops);
    }
    const want = { classNames: ds.classNames, size: [ds.height, ds.width], rows: ds.splitRows('train'), labels, sops };
    await ds.close();
    expect(want.rows).toBe(16);
    expect(got).toEqual(want);
  }, 120_000);

  it('gives TypeScript users the types of the public API through `exports`', async () => {
    fs.writeFileSync(
      path.join(project, 'use.ts'),
      `import { openDataset, type DatasetHandle, type ShardManifest, type DatasetManifest } from 'medimg-etl';
       import { classifyFiles, type ClassifyOptions } from 'medimg-etl/classify';
       const h: Promise<DatasetHandle> = openDataset('data', 'pk');
       const m = (d: DatasetHandle): ShardManifest => d.manifest;
       const o: ClassifyOptions = { paths: ['a.dcm'], model: 'runs/x' };
       export { h, m, o, classifyFiles };
       export type { DatasetManifest };
       // @ts-expect-error -- the handle has no such member; proves the types are real, not any
       export const wrong = (d: DatasetHandle) => d.noSuchMember;`,
    );
    fs.writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['use.ts'] }),
    );
    // Throws (with tsc's messages) when a type does not resolve.
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], project);
  }, 120_000);
});
