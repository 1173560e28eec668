/**
 * What the fetch benches share: synthetic collections, the stand-ins in their own process on an
 * emulated link, with every answer built before timing (`--cache-mb` and an untimed warm-up pass:
 * the stand-in serves prepared bytes, so the client and the link are measured, not the stand-in's
 * deflate on the same cores),
 * the collections taken until their DICOM reaches a target, and curl as the baseline client.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// @ts-expect-error bin/entry.js is plain JavaScript without declarations
import { entry } from '../bin/entry.js';
import { isSynthOutput, synthesize } from '../src/standins/synth/index.ts';
import { TciaClient } from '../src/tcia/index.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
export const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

/**
 * The fetch code as `etl` runs it (bin/entry.js): compiled dist/ when it is up to date (what an
 * installed toolkit runs: worker threads start from .js, not through tsx), else the sources.
 * `checkout`: another checkout's code (an A/B against an older commit), the same way.
 */
export async function client(checkout?: string) {
  const pick = checkout ? ((await import(pathToFileURL(path.join(checkout, 'bin/entry.js')).href)) as { entry: unknown }).entry : entry;
  const url = (rel: string) => (pick as (r: string) => Promise<string>)(rel);
  const p = (await import(await url('pipeline/index'))) as typeof import('../src/pipeline/index.ts');
  const c = (await import(await url('core/context'))) as typeof import('../src/core/context.ts');
  const l = (await import(await url('core/log'))) as typeof import('../src/core/log.ts');
  return {
    fetchTcia: p.fetchTcia,
    fetchIdc: p.fetchIdc,
    DEFAULT_CONCURRENCY: p.DEFAULT_CONCURRENCY,
    DEFAULT_IDC_CONCURRENCY: p.DEFAULT_IDC_CONCURRENCY,
    /** A quiet run context in `dataDir`. */
    ctx: (dataDir: string) => c.createRunContext({ dataDir, logger: l.createLogger({ level: 'warn' }), tty: false }),
    /** `dist/` (compiled) or `src/` (through tsx). */
    code: (await url('pipeline/index')).includes('/dist/') ? 'dist/ (compiled)' : 'src/ through tsx (dist/ stale: npm run build)',
  };
}

export interface World {
  /** TCIA stand-in base URL; with s3 also the S3 endpoint and index URL. */
  apiUrl: string;
  endpoint?: string;
  indexUrl?: string;
  collections: string[];
  dicomBytes: number;
  stop(): void;
}

export async function startWorld(o: { preset: string; data?: string; latencyMs: number; mbps: number; targetMb: number; s3: boolean }): Promise<World> {
  const dataSrc = o.data ?? path.join(os.tmpdir(), `medimg-bench-${o.preset}`);
  if (!isSynthOutput(dataSrc)) {
    console.log(`synthesizing the ${o.preset} preset into ${dataSrc} …`);
    await synthesize({ preset: o.preset as 'demo', out: dataSrc, seed: 1 });
  }
  const argv = ['bin/etl.js', 'tcia', 'serve', '--data', dataSrc, '--port', '0', '--latency-ms', String(o.latencyMs), '--bandwidth-mbps', String(o.mbps), '--zip-level', '1', '--cache-mb', '8000'];
  const server: ChildProcess = spawn(process.execPath, o.s3 ? [...argv, '--s3'] : argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = await new Promise<string[]>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d) => {
      out += String(d);
      const got = out.split('\n').filter(Boolean);
      if (got.length >= (o.s3 ? 3 : 1)) resolve(got);
    });
    server.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  const probe = new TciaClient({ apiUrl: lines[0]! });
  const collections: string[] = [];
  let dicomBytes = 0;
  try {
    for (const c of await probe.getCollectionValues()) {
      if (dicomBytes >= o.targetMb * 1e6) break;
      collections.push(c);
      for (const s of await probe.getSeries({ Collection: c })) dicomBytes += s.FileSize ?? 0;
    }
  } finally {
    probe.close();
  }
  return { apiUrl: lines[0]!, ...(o.s3 ? { endpoint: lines[1]!, indexUrl: lines[2]! } : {}), collections, dicomBytes, stop: () => server.kill('SIGTERM') };
}

/**
 * The getImage URLs of the series a fetch of the world's collections plans (caps and class map
 * applied), fetched once untimed so the stand-in has built and cached every answer.
 */
export async function warmTciaAnswers(world: World): Promise<string[]> {
  const planDir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-bench-plan-'));
  try {
    const c = await client();
    const { plan } = await c.fetchTcia({ apiUrl: world.apiUrl, collections: world.collections, planOnly: true }, c.ctx(planDir));
    const urls = plan.series.map((s) => `${world.apiUrl}/getImage?${new URLSearchParams({ SeriesInstanceUID: s.seriesUid, NewFileNames: 'Yes', IncludeMD5: 'Yes' })}`);
    const t = performance.now();
    curlFetch(urls, 2);
    console.log(`warm-up: the stand-in built ${urls.length} getImage answers in ${((performance.now() - t) / 1000).toFixed(1)} s (untimed)`);
    return urls;
  } finally {
    fs.rmSync(planDir, { recursive: true, force: true });
  }
}

/**
 * curl fetching `urls` into files, `parallel` at a time over reused connections (one process,
 * `--parallel`): what the machine, the stand-in and the link deliver to a lean native client.
 */
export function curlFetch(urls: string[], parallel: number): { bytes: number; seconds: number; cpu: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-bench-curl-'));
  try {
    const config = path.join(dir, 'urls.txt');
    fs.writeFileSync(config, urls.map((u, i) => `url = "${u}"\noutput = "${path.join(dir, `${i}.bin`)}"\n`).join(''));
    const timeFile = path.join(dir, 'time.txt');
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', timeFile, 'curl', '-sS', '--fail', '--parallel', '--parallel-max', String(parallel), '-K', config], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`curl exited ${r.status}: ${r.stderr.slice(-400)}`);
    const [e, u, s] = fs.readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    let bytes = 0;
    for (let i = 0; i < urls.length; i++) bytes += fs.statSync(path.join(dir, `${i}.bin`)).size;
    return { bytes, seconds: e!, cpu: u! + s! };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
