/**
 * TCIA download throughput as a fraction of an emulated link (first-byte latency, one shared pipe of
 * --bandwidth-mbps), against curl fetching the same getImage answers at the same parallelism. The
 * stand-in runs in its own process with every answer built before timing (bench/fetchWorld.ts), so
 * what is measured is the client: download, verification (inflate + MD5 of every image on worker
 * threads) and the rename into raw/. Runs alternate curl, then each concurrency (A B A B…); figures
 * are medians of --runs. The sweep over --concurrency is how the default was chosen.
 *
 * Run: node --import tsx bench/fetch.ts [--preset demo|bench] [--latency-ms 50] [--bandwidth-mbps 1000]
 *      [--concurrency 4,8,16] [--target-mb 200] [--runs 3]
 * Done-criterion (#12): the default concurrency uses ≥ 90 % of the link.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { client, curlFetch, load, median, startWorld, warmTciaAnswers } from './fetchWorld.ts';

const { DEFAULT_CONCURRENCY, fetchTcia, ctx, code } = await client();

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'demo' },
    data: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    'bandwidth-mbps': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: `4,${DEFAULT_CONCURRENCY},16` },
    'target-mb': { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
  },
});
const mbps = Number(args['bandwidth-mbps']);
const linkMBs = mbps / 8;
const runs = Math.max(3, Number(args.runs));
const levels = [...new Set(String(args.concurrency).split(',').map(Number).concat(DEFAULT_CONCURRENCY))].sort((a, b) => a - b);
const world = await startWorld({ preset: String(args.preset), ...(args.data ? { data: args.data } : {}), latencyMs: Number(args['latency-ms']), mbps, targetMb: Number(args['target-mb']), s3: false });

try {
  // The plan (caps, class map) decides which series are fetched; curl gets the same getImage URLs.
  const urls = await warmTciaAnswers(world);
  console.log(`\nfetchTcia vs curl: ${urls.length} series of ${world.collections.length} collections (${(world.dicomBytes / 1e6).toFixed(0)} MB of DICOM), link ${mbps} Mbit/s (${linkMBs} MB/s), latency ${args['latency-ms']} ms, answers built before timing`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${load()}; code: ${code}\n`);
  console.log('run  client              MB      s    MB/s   link used   CPU s   MB per CPU-s');
  const figures = new Map<string, number[]>();
  const report = (run: number, name: string, bytes: number, seconds: number, cpu: number, note = '') => {
    const mbs = bytes / 1e6 / seconds;
    figures.set(name, [...(figures.get(name) ?? []), mbs]);
    console.log(`${String(run).padStart(3)}  ${name.padEnd(16)} ${(bytes / 1e6).toFixed(0).padStart(6)} ${seconds.toFixed(2).padStart(6)} ${mbs.toFixed(1).padStart(7)} ${((100 * mbs) / linkMBs).toFixed(0).padStart(8)} % ${cpu.toFixed(1).padStart(7)} ${(bytes / 1e6 / cpu).toFixed(0).padStart(13)}${note}`);
  };
  for (let run = 1; run <= runs; run++) {
    const c = curlFetch(urls, DEFAULT_CONCURRENCY);
    report(run, `curl -P${DEFAULT_CONCURRENCY}`, c.bytes, c.seconds, c.cpu);
    for (const level of levels) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `medimg-bench-fetch-c${level}-`));
      const cpu0 = process.cpuUsage();
      const r = await fetchTcia({ apiUrl: world.apiUrl, collections: world.collections, concurrency: level, maxRejectRate: 1 }, ctx(dataDir));
      const cpu = process.cpuUsage(cpu0);
      // The download phase only (catalog and plan excluded), as for curl.
      report(run, `etl -c${level}${level === DEFAULT_CONCURRENCY ? '*' : ''}`, r.bytes, r.bytes / 1e6 / r.mbPerSecond, (cpu.user + cpu.system) / 1e6, r.failedSeries.length ? `  (${r.failedSeries.length} failed)` : '');
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }
  console.log(`\nmedians of ${runs} (CPU s of etl: the bench process, verification workers included):`);
  for (const [name, xs] of figures) console.log(`  ${name.padEnd(16)} ${median(xs).toFixed(1).padStart(6)} MB/s  ${((100 * median(xs)) / linkMBs).toFixed(0).padStart(3)} % of the link`);
  const def = median(figures.get(`etl -c${DEFAULT_CONCURRENCY}*`)!);
  const curl = median(figures.get(`curl -P${DEFAULT_CONCURRENCY}`)!);
  console.log(`\ncurl -P${DEFAULT_CONCURRENCY}: ${((100 * curl) / linkMBs).toFixed(0)} % of the link`);
  console.log(`* default concurrency ${DEFAULT_CONCURRENCY}: ${((100 * def) / linkMBs).toFixed(0)} % of the link, ${(def / curl).toFixed(2)}× curl (done-criterion ≥ 90 % of the link: ${def / linkMBs >= 0.9 ? 'met' : 'NOT met'}); load now ${load()}`);
} finally {
  world.stop();
}
