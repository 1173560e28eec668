import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

/**
 * `etl import nih-cxr14` (CSV streamed, series of 256 rows, files stat'ed asynchronously) against
 * `etl import folder` (the whole tree listed and stat'ed synchronously up front) on one NIH-style
 * folder of N small PNGs: A B alternating, each run a fresh process on a fresh data dir, medians of
 * `--runs`. Per run: wall seconds, images/s, the main thread's worst event-loop stall, peak RSS.
 *
 *   node --import tsx bench/importExternal.ts [--files 20000] [--runs 3] [--workers 2]
 */

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};

interface RunFigures {
  seconds: number;
  images: number;
  maxStallMs: number;
  p99StallMs: number;
  maxRssMiB: number;
}

async function child(mode: string, dir: string, dataDir: string, workers: number): Promise<void> {
  const { createRunContext } = await import('../src/core/context.ts');
  const { memoryLogger } = await import('../src/core/log.ts');
  const { importExternal, importFolder } = await import('../src/preprocess/index.ts');
  const ctx = createRunContext({ dataDir, logger: memoryLogger(), tty: false });
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const t0 = performance.now();
  const r =
    mode === 'nih'
      ? await importExternal(ctx, { format: 'nih-cxr14', dir, dataset: 'NIH', size: 64, workers })
      : await importFolder({ dir, dataset: 'NIH', modality: 'DX', location: 'chest', size: 64, workers }, ctx);
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  const fig: RunFigures = {
    seconds,
    images: r.images,
    maxStallMs: h.max / 1e6,
    p99StallMs: h.percentile(99) / 1e6,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(fig));
}

async function makeNih(root: string, n: number): Promise<void> {
  const rows = ['Image Index,Finding Labels,Follow-up #,Patient ID'];
  const png = await sharp(Buffer.alloc(96 * 96, 0).map((_, i) => (i * 7) % 251), { raw: { width: 96, height: 96, channels: 1 } }).png().toBuffer();
  for (let i = 0; i < n; i++) {
    const patient = Math.floor(i / 3) + 1;
    const name = `${String(patient).padStart(8, '0')}_${String(i % 3).padStart(3, '0')}.png`;
    const folder = path.join(root, `images_${String(Math.floor(i / 10000) + 1).padStart(3, '0')}`, 'images');
    if (i % 10000 === 0) fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, name), png);
    rows.push(`${name},No Finding,${i % 3},${String(patient).padStart(5, '0')}`);
  }
  fs.writeFileSync(path.join(root, 'Data_Entry_2017.csv'), rows.join('\n') + '\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (process.argv[2] === '--child') return child(process.argv[3]!, process.argv[4]!, process.argv[5]!, Number(process.argv[6]));
  const n = arg('files', 20000);
  const runs = arg('runs', 3);
  const workers = arg('workers', 2);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-import-'));
  try {
    const src = path.join(tmp, 'nih');
    await makeNih(src, n);
    const self = fileURLToPath(import.meta.url);
    const results: Record<string, RunFigures[]> = { nih: [], folder: [] };
    for (let k = 0; k < runs; k++) {
      for (const mode of ['nih', 'folder']) {
        const data = path.join(tmp, `data-${mode}-${k}`);
        const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--child', mode, src, data, String(workers)], { encoding: 'utf8', maxBuffer: 1 << 20 });
        results[mode]!.push(JSON.parse(out) as RunFigures);
        fs.rmSync(data, { recursive: true, force: true });
      }
    }
    console.log(`import of ${n} NIH-style PNGs (96×96 → 64×64), ${workers} workers, ${runs} runs each alternating; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ${os.cpus().length} CPUs`);
    console.log('mode                 wall s   images/s   max stall ms   p99 stall ms   peak RSS MiB');
    for (const [mode, rs] of Object.entries(results)) {
      const m = (f: keyof RunFigures) => median(rs.map((r) => r[f]));
      const label = mode === 'nih' ? 'import nih-cxr14' : 'import folder (A/B)';
      console.log(
        `${label.padEnd(20)} ${m('seconds').toFixed(1).padStart(6)} ${(m('images') / m('seconds')).toFixed(0).padStart(10)} ${m('maxStallMs').toFixed(0).padStart(14)} ${m('p99StallMs').toFixed(1).padStart(14)} ${m('maxRssMiB').toFixed(0).padStart(14)}`,
      );
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
