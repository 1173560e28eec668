/**
 * IDC fetch throughput beside the TCIA figure, on the same emulated WAN link (50 ms first-byte
 * latency, 400 Mbit/s shared = 50 MB/s) and the same synthetic series: `etl tcia serve --s3` runs
 * both stand-ins in a separate process, and the two clients alternate A B A B (median of
 * --runs, default 3) so machine load hits both alike. Prints MB/s and the fraction of the link;
 * no assertions. Done-criterion: IDC at default settings uses ≥ 90 % of the link.
 *
 * Run: node --import tsx bench/fetchIdc.ts [--preset demo|bench] [--latency-ms 50]
 *      [--bandwidth-mbps 400] [--target-mb 150] [--runs 3]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRunContext } from '../src/core/context.ts';
import { createLogger } from '../src/core/log.ts';
import { DEFAULT_CONCURRENCY, DEFAULT_IDC_CONCURRENCY, fetchIdc, fetchTcia } from '../src/pipeline/index.ts';
import { isSynthOutput, synthesize } from '../src/standins/synth/index.ts';
import { TciaClient } from '../src/tcia/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'demo' },
    data: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    'bandwidth-mbps': { type: 'string', default: '400' },
    'target-mb': { type: 'string', default: '150' },
    runs: { type: 'string', default: '3' },
  },
});
const preset = args.preset as 'demo' | 'bench';
const mbps = Number(args['bandwidth-mbps']);
const linkMBs = mbps / 8;

const dataSrc = args.data ?? path.join(os.tmpdir(), `medimg-bench-${preset}`);
if (!isSynthOutput(dataSrc)) {
  console.log(`synthesizing the ${preset} preset into ${dataSrc} …`);
  await synthesize({ preset, out: dataSrc, seed: 1 });
}

const server = spawn(
  process.execPath,
  ['bin/etl.js', 'tcia', 'serve', '--s3', '--data', dataSrc, '--port', '0', '--latency-ms', String(args['latency-ms']), '--bandwidth-mbps', String(mbps), '--zip-level', '1'],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const [apiUrl, endpoint, indexUrl] = await new Promise<string[]>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += String(d);
    const lines = out.split('\n').filter(Boolean);
    if (lines.length >= 3) resolve(lines.slice(0, 3));
  });
  server.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
});

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

try {
  const probe = new TciaClient({ apiUrl: apiUrl! });
  const collections: string[] = [];
  let dicomBytes = 0;
  for (const c of await probe.getCollectionValues()) {
    if (dicomBytes >= Number(args['target-mb']) * 1e6) break;
    collections.push(c);
    for (const s of await probe.getSeries({ Collection: c })) dicomBytes += s.FileSize ?? 0;
  }
  probe.close();
  console.log(`\nTCIA vs IDC stand-ins: ${collections.length} collections (${(dicomBytes / 1e6).toFixed(0)} MB of DICOM), link ${mbps} Mbit/s (${linkMBs} MB/s), latency ${args['latency-ms']} ms`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} — shared with other work\n`);
  console.log('run  source  concurrency  series      MB      s    MB/s   link used   client CPU s');
  const figures: Record<'tcia' | 'idc', number[]> = { tcia: [], idc: [] };
  const runs = Number(args.runs);
  for (let i = 0; i < runs; i++) {
    for (const source of ['tcia', 'idc'] as const) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `medimg-bench-${source}-`));
      const ctx = createRunContext({ dataDir, logger: createLogger({ level: 'warn' }), tty: false });
      const cpu0 = process.cpuUsage();
      const r =
        source === 'tcia'
          ? await fetchTcia({ apiUrl: apiUrl!, collections, maxRejectRate: 1 }, ctx)
          : await fetchIdc({ index: indexUrl!, endpoint: endpoint!, collections, maxRejectRate: 1 }, ctx);
      const cpu = process.cpuUsage(cpu0);
      figures[source].push(r.mbPerSecond);
      const c = source === 'tcia' ? DEFAULT_CONCURRENCY : DEFAULT_IDC_CONCURRENCY;
      console.log(
        `${String(i + 1).padStart(3)}  ${source.padEnd(6)} ${String(c).padStart(12)} ${String(r.counts.verified).padStart(7)} ${(r.bytes / 1e6).toFixed(0).padStart(7)} ${(r.bytes / 1e6 / Math.max(r.mbPerSecond, 1e-9)).toFixed(1).padStart(6)} ${r.mbPerSecond.toFixed(1).padStart(7)} ${((100 * r.mbPerSecond) / linkMBs).toFixed(0).padStart(8)} % ${((cpu.user + cpu.system) / 1e6).toFixed(1).padStart(14)}` +
          (r.failedSeries.length ? `  (${r.failedSeries.length} failed)` : ''),
      );
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const t = median(figures.tcia);
  const d = median(figures.idc);
  console.log(`\nmedian of ${runs}: TCIA ${t.toFixed(1)} MB/s (${((100 * t) / linkMBs).toFixed(0)} % of the link, ZIP bytes), IDC ${d.toFixed(1)} MB/s (${((100 * d) / linkMBs).toFixed(0)} % of the link, object bytes)`);
  console.log(`IDC at default settings (concurrency ${DEFAULT_IDC_CONCURRENCY}): ${((100 * d) / linkMBs).toFixed(0)} % of the link (done-criterion ≥ 90 %: ${d / linkMBs >= 0.9 ? 'met' : 'NOT met'}); load now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  server.kill('SIGTERM');
}
