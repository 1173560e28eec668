/**
 * IDC fetch throughput beside the TCIA figure, on the same emulated WAN link (50 ms first-byte
 * latency, 1 Gbit/s shared) and the same synthetic series: `etl tcia serve --s3` runs both
 * stand-ins in a separate process with every answer built before timing (bench/fetchWorld.ts),
 * and the clients alternate, the order flipping every run (TCIA, then IDC at each --concurrency;
 * median of --runs, default 3) so load hits all alike, then curl (`--parallel --parallel-max <default IDC concurrency>`) GETs
 * objects of the same bucket, as many bytes as our first run fetched: what a lean native client gets
 * from this link and machine for many small objects. Prints MB/s and the fraction of the link; no assertions. The sweep over
 * --concurrency is how DEFAULT_IDC_CONCURRENCY was chosen. Done-criterion: IDC at default settings
 * uses ≥ 90 % of the link.
 *
 * `--baseline DIR` adds the TCIA and IDC clients of another checkout (e.g. `git worktree add /tmp/base
 * <commit>`, then `npm ci` there) to the alternation: before and after on the same stand-in, in one run.
 *
 * Run: node --import tsx bench/fetchIdc.ts [--preset demo|bench] [--latency-ms 50]
 *      [--bandwidth-mbps 1000] [--target-mb 200] [--runs 3] [--concurrency 16,64] [--baseline DIR]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseListPage } from '../src/idc/index.ts';
import { client, curlFetch, load, median, startWorld, warmTciaAnswers } from './fetchWorld.ts';

const { DEFAULT_CONCURRENCY, DEFAULT_IDC_CONCURRENCY, fetchIdc, fetchTcia, ctx: quietCtx, code } = await client();

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'demo' },
    data: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    'bandwidth-mbps': { type: 'string', default: '1000' },
    'target-mb': { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: String(DEFAULT_IDC_CONCURRENCY) },
    baseline: { type: 'string' },
  },
});
const base = args.baseline ? await client(path.resolve(args.baseline)) : undefined;
const levels = [...new Set(String(args.concurrency).split(',').map(Number).concat(DEFAULT_IDC_CONCURRENCY))].sort((a, b) => a - b);
const mbps = Number(args['bandwidth-mbps']);
const linkMBs = mbps / 8;
const world = await startWorld({ preset: String(args.preset), ...(args.data ? { data: args.data } : {}), latencyMs: Number(args['latency-ms']), mbps, targetMb: Number(args['target-mb']), s3: true });
const { apiUrl, endpoint, indexUrl, collections } = world;

try {
  const dicomBytes = world.dicomBytes;
  await warmTciaAnswers(world);
  console.log(`\nTCIA vs IDC stand-ins: ${collections.length} collections (${(dicomBytes / 1e6).toFixed(0)} MB of DICOM), link ${mbps} Mbit/s (${linkMBs} MB/s), latency ${args['latency-ms']} ms`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${load()}; answers built before timing; code: ${code}`);
  if (base) console.log(`baseline ("base" rows): ${args.baseline}, ${base.code}`);
  console.log('\nrun  source  concurrency  series      MB      s    MB/s   link used   client CPU s');
  const figures = new Map<string, number[]>();
  const cpus = new Map<string, number[]>();
  let curlUrls: string[] | undefined;
  const runs = Math.max(3, Number(args.runs));
  type Source = 'tcia' | 'idc' | 'base tcia' | 'base idc';
  const clients: Array<[Source, number]> = [['tcia', DEFAULT_CONCURRENCY], ...levels.map((c): ['idc', number] => ['idc', c])];
  if (base) clients.push(['base tcia', base.DEFAULT_CONCURRENCY], ['base idc', base.DEFAULT_IDC_CONCURRENCY]);
  for (let i = 0; i < runs; i++) {
    // The order flips every run: in one process, the clients that ran second were favoured (an A/A run: 1 point of the link).
    for (const [source, c] of i % 2 === 0 ? clients : [...clients].reverse()) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `medimg-bench-${source.replace(' ', '-')}-`));
      const who = source.startsWith('base') ? base! : { fetchTcia, fetchIdc, ctx: quietCtx };
      const ctx = who.ctx(dataDir);
      const cpu0 = process.cpuUsage();
      const r = source.endsWith('tcia')
        ? await who.fetchTcia({ apiUrl, collections, maxRejectRate: 1 }, ctx)
        : await who.fetchIdc({ index: indexUrl!, endpoint: endpoint!, collections, maxRejectRate: 1, concurrency: c }, ctx);
      const cpu = process.cpuUsage(cpu0);
      figures.set(`${source} ${c}`, [...(figures.get(`${source} ${c}`) ?? []), r.mbPerSecond]);
      cpus.set(`${source} ${c}`, [...(cpus.get(`${source} ${c}`) ?? []), (cpu.user + cpu.system) / 1e6]);
      console.log(
        `${String(i + 1).padStart(3)}  ${source.padEnd(9)} ${String(c).padStart(9)} ${String(r.counts.verified).padStart(7)} ${(r.bytes / 1e6).toFixed(0).padStart(7)} ${(r.bytes / 1e6 / Math.max(r.mbPerSecond, 1e-9)).toFixed(1).padStart(6)} ${r.mbPerSecond.toFixed(1).padStart(7)} ${((100 * r.mbPerSecond) / linkMBs).toFixed(0).padStart(8)} % ${((cpu.user + cpu.system) / 1e6).toFixed(1).padStart(14)}` +
          (r.failedSeries.length ? `  (${r.failedSeries.length} failed)` : ''),
      );
      fs.rmSync(dataDir, { recursive: true, force: true });
      curlUrls ??= source === 'idc' ? await objectUrls(endpoint!, r.bytes) : undefined;
    }
    const cu = curlFetch(curlUrls!, DEFAULT_IDC_CONCURRENCY);
    const cMBs = cu.bytes / 1e6 / cu.seconds;
    figures.set('curl', [...(figures.get('curl') ?? []), cMBs]);
    cpus.set('curl', [...(cpus.get('curl') ?? []), cu.cpu]);
    console.log(`${String(i + 1).padStart(3)}  curl   ${String(DEFAULT_IDC_CONCURRENCY).padStart(12)} ${String(curlUrls!.length).padStart(7)}o ${(cu.bytes / 1e6).toFixed(0).padStart(6)} ${cu.seconds.toFixed(1).padStart(6)} ${cMBs.toFixed(1).padStart(7)} ${((100 * cMBs) / linkMBs).toFixed(0).padStart(8)} % ${cu.cpu.toFixed(1).padStart(14)}`);
  }
  if (levels.length > 1) {
    console.log(`
IDC by concurrency (medians of ${runs}):`);
    for (const c of levels) console.log(`  ${String(c).padStart(4)}${c === DEFAULT_IDC_CONCURRENCY ? '*' : ' '} ${median(figures.get(`idc ${c}`)!).toFixed(1).padStart(6)} MB/s  ${((100 * median(figures.get(`idc ${c}`)!)) / linkMBs).toFixed(0).padStart(3)} % of the link`);
  }
  const t = median(figures.get(`tcia ${DEFAULT_CONCURRENCY}`)!);
  const d = median(figures.get(`idc ${DEFAULT_IDC_CONCURRENCY}`)!);
  if (base) {
    console.log(`\nbefore (${args.baseline}) → after (this checkout), medians of ${runs}, link used and client CPU-s per run:`);
    for (const [src, c, bc] of [['tcia', DEFAULT_CONCURRENCY, base.DEFAULT_CONCURRENCY], ['idc', DEFAULT_IDC_CONCURRENCY, base.DEFAULT_IDC_CONCURRENCY]] as const) {
      const [b, n] = [`base ${src} ${bc}`, `${src} ${c}`];
      console.log(`  ${src.toUpperCase().padEnd(4)} ${pct(median(figures.get(b)!))} → ${pct(median(figures.get(n)!))} of the link, ${median(cpus.get(b)!).toFixed(2)} → ${median(cpus.get(n)!).toFixed(2)} CPU-s`);
    }
  }
  console.log(`\nmedian of ${runs}: TCIA ${t.toFixed(1)} MB/s (${((100 * t) / linkMBs).toFixed(0)} % of the link, ZIP bytes), IDC ${d.toFixed(1)} MB/s (${((100 * d) / linkMBs).toFixed(0)} % of the link, object bytes)`);
  const cm = median(figures.get('curl')!);
  console.log(`curl --parallel ${DEFAULT_IDC_CONCURRENCY} (object GETs): ${((100 * cm) / linkMBs).toFixed(0)} % of the link (${curlUrls!.length} objects, ${cm.toFixed(1)} MB/s)`);
  console.log(`client CPU-s per run (medians): IDC ${median(cpus.get(`idc ${DEFAULT_IDC_CONCURRENCY}`)!).toFixed(2)}, TCIA ${median(cpus.get(`tcia ${DEFAULT_CONCURRENCY}`)!).toFixed(2)}, curl ${median(cpus.get('curl')!).toFixed(2)}`);
  console.log(`IDC at default settings (concurrency ${DEFAULT_IDC_CONCURRENCY}): ${((100 * d) / linkMBs).toFixed(0)} % of the link (done-criterion ≥ 90 %: ${d / linkMBs >= 0.9 ? 'met' : 'NOT met'}); load now ${load()}`);
} finally {
  world.stop();
}

function pct(mbPerSecond: number): string {
  return `${((100 * mbPerSecond) / linkMBs).toFixed(0)} %`;
}

/** URLs of the bucket's objects in listing order (ListObjectsV2, paged, read by the product's parser) until they hold `bytes`. */
async function objectUrls(endpoint: string, bytes: number): Promise<string[]> {
  const bucket = 'idc-open-data';
  const urls: string[] = [];
  let got = 0;
  let token: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ 'list-type': '2', ...(token ? { 'continuation-token': token } : {}) });
    const url = `${endpoint}/${bucket}?${q}`;
    const page = parseListPage(await (await fetch(url)).text(), url);
    for (const o of page.objects) {
      if (got >= bytes) return urls;
      urls.push(`${endpoint}/${bucket}/${o.key.split('/').map(encodeURIComponent).join('/')}`);
      got += o.size;
    }
    token = page.nextContinuationToken;
    if (!token) return urls;
  }
}
