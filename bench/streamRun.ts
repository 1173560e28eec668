/**
 * `etl run` on the demo-sized data (the `demo` synthetic collections, pipelines/demo.yaml without
 * training): fetch and preprocess overlapped (the default) against `--no-overlap` (fetch everything,
 * then preprocess), and overlapped with `--discard-raw`. Whole processes under /usr/bin/time, a fresh
 * data directory each time, runs alternated A B C A B C, medians of --runs (≥ 3); the load average is
 * printed before each run. The stand-in serves from this process through a link with first-byte
 * latency and a bandwidth cap, as a real archive would.
 *
 *   node --import tsx bench/streamRun.ts [--runs 3] [--latency-ms 50] [--bandwidth-mbps 200]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { startStandIn } from '../src/standins/tcia/index.ts';
import { synthesize } from '../src/standins/synth/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    'latency-ms': { type: 'string', default: '50' },
    'bandwidth-mbps': { type: 'string', default: '200' },
  },
});
const RUNS = Math.max(3, Number(args.runs));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-stream-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

interface Timed {
  wall: number;
  cpu: number;
  rssMb: number;
}

/** One `etl run` as a whole process (async: the stand-in answers from this process meanwhile). */
function etlRun(argv: string[]): Promise<Timed> {
  const out = path.join(tmp, 'time.txt');
  return new Promise((resolve, reject) => {
    const p = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, process.execPath, path.join(root, 'bin/etl.js'), 'run', ...argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    p.on('close', (code) => {
      if (code !== 0) return reject(new Error(`etl run ${argv.join(' ')} exited ${code}: ${stderr}`));
      const [e, u, s, m] = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
      resolve({ wall: e!, cpu: u! + s!, rssMb: m! / 1024 });
    });
  });
}

const archive = path.join(tmp, 'archive');
const synth = await synthesize({ preset: 'demo', out: archive, seed: 1 });
const demo = YAML.parse(fs.readFileSync(path.join(root, 'pipelines/demo.yaml'), 'utf8')) as Record<string, unknown> & { source: { tcia: Record<string, unknown> }; split: Record<string, unknown> };
delete demo.train;
demo.report = { enabled: false };
demo.source.tcia.manifest = path.join(root, 'manifests/demo.json');
demo.split.manifest = path.join(root, 'manifests/demo.json');
const pipeline = path.join(tmp, 'demo-data.yaml');
fs.writeFileSync(pipeline, YAML.stringify(demo));

const latencyMs = Number(args['latency-ms']);
const bandwidthMbps = Number(args['bandwidth-mbps']);
const server = await startStandIn({ dataDir: archive, port: 0, latencyMs, bandwidthMbps, zipCompressionLevel: 1 });
console.log(
  `bench/streamRun.ts: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, node ${process.version}; demo archive ${synth.collections.reduce((n, c) => n + c.images, 0)} images, ` +
    `${(synth.bytes / 1e6).toFixed(0)} MB of DICOM; link ${latencyMs} ms, ${bandwidthMbps} Mbit/s; ${RUNS} runs each, alternated; load at start ${load()}`,
);

const variants: Array<[string, string[]]> = [
  ['overlapped (default)', []],
  ['--no-overlap', ['--no-overlap']],
  ['overlapped, --discard-raw', ['--discard-raw']],
];
const results: Timed[][] = variants.map(() => []);
try {
  for (let r = 0; r < RUNS; r++) {
    for (const [i, [name, flags]] of variants.entries()) {
      const dataDir = path.join(tmp, `data-${r}-${i}`);
      const before = load();
      const t = await etlRun([pipeline, '--api-url', server.url, '--data-dir', dataDir, ...flags]);
      results[i]!.push(t);
      console.log(`  run ${r + 1} ${name}: ${t.wall.toFixed(2)} s wall, ${t.cpu.toFixed(2)} CPU-s, ${t.rssMb.toFixed(0)} MB (load before ${before})`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
} finally {
  await server.close();
}
const base = median(results[1]!.map((t) => t.wall));
console.log(`\nload average at end ${load()}`);
console.log('| variant | wall (median) | CPU-s | peak RSS | vs --no-overlap |\n|---|---|---|---|---|');
for (const [i, [name]] of variants.entries()) {
  const w = median(results[i]!.map((t) => t.wall));
  console.log(`| ${name} | ${w.toFixed(2)} s | ${median(results[i]!.map((t) => t.cpu)).toFixed(2)} | ${median(results[i]!.map((t) => t.rssMb)).toFixed(0)} MB | ${(base / w).toFixed(2)}× |`);
}
