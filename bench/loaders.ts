/**
 * Loader throughput on one 224² shard set (page cache warm; every loader delivers the bytes):
 *   raw read (Node, 8 MiB reads)  ·  TS reader (openDataset().batches, one epoch)
 *   raw read (Python readinto)    ·  PyTorch ShardDataset (python/; each batch copied into one reused
 *                                    tensor — the pin_memory / host-to-device staging copy); steady state =
 *                                    median of epochs 2–3 in one process, and its 1st epoch (maps the files)
 * Rounds alternate A B C D, medians of --rounds (≥ 3). Goal (issue #15): PyTorch loader ≥ 0.8× raw read.
 *   node --import tsx bench/loaders.ts [--images 6400] [--rounds 3] [--dir /tmp/x]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../src/core/context.ts';
import { createLogger } from '../src/core/log.ts';
import { shardDataset } from '../src/shards/build.ts';
import { openDataset } from '../src/shards/reader.ts';
import { BENCH_DATASETS, makeStaging } from './staging.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};

/** Staging of n random-ish size² images in four datasets, all in train (bench/staging.ts), then `etl shard`. */
export async function makeShardSet(dataDir: string, n: number, size = 224, batch = 128): Promise<string> {
  await makeStaging(dataDir, n, size, BENCH_DATASETS.map(([dataset, label]) => [dataset, label, 'train'] as const));
  const manifest = path.join(dataDir, 'manifest.json');
  const ctx = createRunContext({ dataDir, rejectsInMemory: true, logger: createLogger({ level: 'error' }), tty: false });
  // Hash on this thread: a bundle (bench/gpu-check) has no worker file to start.
  await shardDataset({ name: 'bench', batch, manifest, seed: 1, hashInBackground: false }, ctx);
  fs.rmSync(path.join(dataDir, 'staging'), { recursive: true, force: true });
  return path.join(dataDir, 'datasets', 'bench');
}

function nodeRaw(dir: string): { seconds: number; bytes: number } {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.arrow')).map((f) => path.join(dir, f));
  const buf = Buffer.allocUnsafe(8 * 2 ** 20);
  let bytes = 0;
  const t0 = performance.now();
  for (const f of files) {
    const fd = fs.openSync(f, 'r');
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) bytes += n;
    fs.closeSync(fd);
  }
  return { seconds: (performance.now() - t0) / 1000, bytes };
}

async function tsReader(dataDir: string): Promise<{ seconds: number; bytes: number; images: number }> {
  const ds = await openDataset(dataDir, 'bench');
  let bytes = 0;
  let images = 0;
  const t0 = performance.now();
  for await (const b of ds.batches('train', { seed: 3, epoch: 0 })) {
    bytes += b.images.byteLength;
    images += b.size;
  }
  const seconds = (performance.now() - t0) / 1000;
  await ds.close();
  return { seconds, bytes, images };
}

function python(mode: string, root: string, python: string): { seconds: number; bytes: number; images?: number; firstEpochSeconds?: number } {
  const r = spawnSync(python, [path.join(here, 'torch_loader.py'), mode, root], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`torch_loader.py ${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; bytes: number; images?: number };
}

function findPython(): string | null {
  for (const p of [process.env.MEDIMG_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    if (spawnSync(p, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0) return p;
  }
  return null;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const n = Number(arg('images', '6400'));
  const rounds = Math.max(3, Number(arg('rounds', '3')));
  const dataDir = fs.mkdtempSync(path.join(arg('dir', os.tmpdir()), 'medimg-bench-loaders-'));
  const py = findPython();
  try {
    process.stderr.write(`building ${n} images at 224² (batch 128)…\n`);
    const root = await makeShardSet(dataDir, n);
    const dir = fs.realpathSync(path.join(root, 'current'));
    nodeRaw(dir); // warm the page cache
    const MB = (b: number, s: number) => b / 2 ** 20 / s;
    const res: Record<string, number[]> = { 'raw read (Node)': [], 'TS reader': [], 'raw read (Python)': [], 'PyTorch loader': [], 'PyTorch 1st epoch': [] };
    for (let r = 0; r < rounds; r++) {
      const a = nodeRaw(dir);
      res['raw read (Node)']!.push(MB(a.bytes, a.seconds));
      const b = await tsReader(dataDir);
      res['TS reader']!.push(MB(b.bytes, b.seconds));
      if (py) {
        const c = python('raw', root, py);
        res['raw read (Python)']!.push(MB(c.bytes, c.seconds));
        const d = python('loader', root, py);
        res['PyTorch loader']!.push(MB(d.bytes, d.seconds));
        res['PyTorch 1st epoch']!.push(MB(d.bytes, d.firstEpochSeconds!));
      }
    }
    const pixelsMB = 224 * 224 / 2 ** 20;
    console.log(`load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}, ${os.cpus().length} CPUs, ${n} images 224², medians of ${rounds} (A B C D alternating, page cache warm)`);
    console.log(`${'loader'.padEnd(20)} ${'MB/s'.padStart(8)} ${'img/s'.padStart(9)}  runs (MB/s)`);
    for (const [k, v] of Object.entries(res)) {
      if (v.length === 0) {
        console.log(`${k.padEnd(20)} skipped: no Python with torch + numpy (apt-get install python3-torch python3-numpy)`);
        continue;
      }
      console.log(`${k.padEnd(20)} ${median(v).toFixed(0).padStart(8)} ${(median(v) / pixelsMB).toFixed(0).padStart(9)}  ${v.map((x) => x.toFixed(0)).join(' ')}`);
    }
    if (py) {
      console.log(`PyTorch loader / raw read (Python): ${(median(res['PyTorch loader']!) / median(res['raw read (Python)']!)).toFixed(2)}×; TS reader / raw read (Node): ${(median(res['TS reader']!) / median(res['raw read (Node)']!)).toFixed(2)}× (goal ≥ 0.8×)`);
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// Run only as a script (bench/gpu-check bundles this module for makeShardSet).
if (/loaders\.ts$/.test(process.argv[1] ?? '')) await main();
