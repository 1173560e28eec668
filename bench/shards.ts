/**
 * Shard write/read throughput against raw I/O of the same bytes, peak RSS and scaling.
 *
 *   node --import tsx bench/shards.ts [--sizes 20000,200000] [--dir /path/with/space] [--size 224] [--memory-mb 1024] [--no-read]
 *
 * For each size N: synthetic staging (N images, 200 per series, 4 datasets over 3 splits), then
 *  - raw sequential write of N×H×W bytes (8 MiB writes + fsync)           → baseline for writing
 *  - `shardDataset` end to end (shuffle + shards + fsync, then verify)     → in a child: time, RSS;
 *    "write" excludes the verification re-read that precedes switching `current`, "write+verify" is all of it
 *  - writer only (SplitShardWriter from memory, no shuffle)                → the Arrow write path
 *  - raw sequential read of the shard files, warm (8 MiB reads)           → baseline for reading
 *  - reader: one epoch of train+validate+test in random batch order, warm → in a child: time, RSS, CPU
 * Prints a table of figures and ratios; no assertions (timings live here, not in tests).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createRunContext } from '../src/core/context.ts';
import { createLogger } from '../src/core/log.ts';
import { shardDataset } from '../src/shards/build.ts';
import { openDataset } from '../src/shards/reader.ts';
import { SplitShardWriter, batchesPerShard } from '../src/shards/writer.ts';
import { makeStaging } from './staging.ts';

const self = fileURLToPath(import.meta.url);
const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const quiet = () => createRunContext({ dataDir: process.argv[3]!, rejectsInMemory: true, logger: createLogger({ level: 'error' }), tty: false });
const SPLITS = ['train', 'validate', 'test'] as const;

async function child(): Promise<void> {
  const mode = process.argv[2]!;
  const dataDir = process.argv[3]!;
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let images = 0;
  let bytes = 0;
  let verifySeconds = 0;
  if (mode === '--child-shard') {
    const r = await shardDataset({ name: 'bench', batch: 128, manifest: path.join(dataDir, 'manifest.json'), seed: 1, memoryMb: Number(process.argv[4] ?? 1024) }, quiet());
    images = SPLITS.reduce((a, s) => a + r.manifest.splits[s].rows, 0);
    bytes = r.bytes;
    verifySeconds = r.verifySeconds;
  } else {
    const ds = await openDataset(dataDir, 'bench');
    for (const split of SPLITS) {
      for await (const b of ds.batches(split, { seed: 3, epoch: 1 })) {
        images += b.size;
        bytes += b.images.byteLength;
      }
    }
    await ds.close();
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(JSON.stringify({ seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, images, bytes, verifySeconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

function runChild(mode: string, dataDir: string, extra: string[] = []): { seconds: number; cpuSeconds: number; images: number; bytes: number; verifySeconds: number; maxRssMb: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, mode, dataDir, ...extra], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function rawWrite(file: string, bytes: number): number {
  const chunk = crypto.randomBytes(8 * 2 ** 20);
  const t0 = performance.now();
  const fd = fs.openSync(file, 'w');
  for (let done = 0; done < bytes; ) {
    const len = Math.min(chunk.length, bytes - done);
    fs.writeSync(fd, chunk, 0, len);
    done += len;
  }
  fs.fsyncSync(fd);
  fs.closeSync(fd);
  const s = (performance.now() - t0) / 1000;
  fs.rmSync(file);
  return s;
}

function rawRead(files: string[]): { seconds: number; bytes: number } {
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

async function writerOnly(dir: string, n: number, size: number): Promise<number> {
  const px = size * size;
  const pool = crypto.randomBytes(px * 64);
  fs.mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  const w = new SplitShardWriter({
    dir, split: 'train', totalRows: n, batchesPerShard: batchesPerShard(512, 128, px), partial: 'keep',
    info: { height: size, width: size, classNames: ['CT', 'MR', 'PT', 'XR'], batchSize: 128, seed: 0, configHash: 'bench' },
  });
  for (let i = 0; i < n; i++) {
    w.add({ image: pool.subarray((i % 64) * px, ((i % 64) + 1) * px), label: i % 4, dataset: 'DS', patient: `P${i >> 8}`, series: `1.2.3.${i >> 8}`, sop: `1.2.3.${i >> 8}.${i & 255}`, frame: 0, pixelHash: 'abcdef0123456789' });
  }
  await w.finish();
  const s = (performance.now() - t0) / 1000;
  fs.rmSync(dir, { recursive: true, force: true });
  return s;
}

async function main(): Promise<void> {
  const sizes = arg('sizes', '20000,200000').split(',').map(Number);
  const size = Number(arg('size', '224'));
  const root = arg('dir', path.join(os.tmpdir(), 'medimg-bench-shards'));
  const memoryMb = arg('memory-mb', '1024');
  const px = size * size;
  const rows: Array<Record<string, string | number>> = [];
  for (const n of sizes) {
    const dataDir = path.join(root, `n${n}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.mkdirSync(dataDir, { recursive: true });
    const free = fs.statfsSync(root);
    const need = n * px * 3.2;
    if (free.bavail * free.bsize < need) throw new Error(`need ~${(need / 2 ** 30).toFixed(1)} GiB free under ${root}`);
    process.stderr.write(`N=${n}: staging…\n`);
    await makeStaging(dataDir, n, size);
    const pixelBytes = n * px;
    process.stderr.write(`N=${n}: raw write…\n`);
    const rawW = rawWrite(path.join(dataDir, 'raw.bin'), pixelBytes);
    process.stderr.write(`N=${n}: shard…\n`);
    const sh = runChild('--child-shard', dataDir, [memoryMb]);
    process.stderr.write(`N=${n}: writer only…\n`);
    const wo = await writerOnly(path.join(dataDir, 'writer-only'), n, size);
    const mbps = (bytes: number, s: number) => bytes / 2 ** 20 / s;
    const writeS = sh.seconds - sh.verifySeconds;
    const row: Record<string, string | number> = {
      N: n,
      'raw write MB/s': mbps(pixelBytes, rawW).toFixed(0),
      'write img/s': (sh.images / writeS).toFixed(0),
      'write MB/s': mbps(sh.bytes, writeS).toFixed(0),
      'write/raw write': (rawW / writeS).toFixed(2),
      'write s': writeS.toFixed(1),
      'write+verify img/s': (sh.images / sh.seconds).toFixed(0),
      'write+verify/raw': (rawW / sh.seconds).toFixed(2),
      'shard s': sh.seconds.toFixed(1),
      'shard CPU s': sh.cpuSeconds.toFixed(1),
      'shard RSS MB': sh.maxRssMb.toFixed(0),
      'writer-only img/s': (n / wo).toFixed(0),
      'writer-only/raw write': (rawW / wo).toFixed(2),
    };
    if (process.argv.includes('--no-read')) {
      rows.push(row);
      fs.rmSync(dataDir, { recursive: true, force: true });
      console.log(JSON.stringify(row));
      continue;
    }
    // Staging is no longer needed; free the disk before reading.
    fs.rmSync(path.join(dataDir, 'staging'), { recursive: true, force: true });
    const dsDir = fs.realpathSync(path.join(dataDir, 'datasets', 'bench', 'current'));
    const files = fs.readdirSync(dsDir).filter((f) => f.endsWith('.arrow')).map((f) => path.join(dsDir, f));
    rawRead(files); // warm the page cache
    const rawR = rawRead(files);
    process.stderr.write(`N=${n}: read…\n`);
    runChild('--child-read', dataDir); // warm-up epoch
    const rd = runChild('--child-read', dataDir);
    rows.push({
      ...row,
      'raw read MB/s': mbps(rawR.bytes, rawR.seconds).toFixed(0),
      'read img/s': (rd.images / rd.seconds).toFixed(0),
      'read MB/s': mbps(rd.bytes, rd.seconds).toFixed(0),
      'read/raw read': (rawR.seconds / rd.seconds * (rd.bytes / rawR.bytes)).toFixed(2),
      'read img/CPU-s': (rd.images / rd.cpuSeconds).toFixed(0),
      'read RSS MB': rd.maxRssMb.toFixed(0),
    });
    fs.rmSync(dataDir, { recursive: true, force: true });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
  console.log('\n' + Object.keys(rows[0]!).map((k) => `${k.padEnd(24)} ${rows.map((r) => String(r[k]).padStart(10)).join(' ')}`).join('\n'));
  if (rows.length >= 2) {
    const a = rows[0]!;
    const b = rows[rows.length - 1]!;
    console.log(`\nscaling ${b.N}/${a.N}: write time ×${(Number(b['write s']) / Number(a['write s'])).toFixed(2)} (linear = ×${(Number(b.N) / Number(a.N)).toFixed(0)}), shard RSS ×${(Number(b['shard RSS MB']) / Number(a['shard RSS MB'])).toFixed(2)}, read RSS ×${(Number(b['read RSS MB'] ?? 0) / Number(a['read RSS MB'] ?? 1)).toFixed(2)}`);
  }
}

if (process.argv[2]?.startsWith('--child-')) await child();
else await main();
