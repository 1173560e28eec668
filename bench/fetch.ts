/**
 * Download throughput of `fetchTcia` against the stand-in on an emulated WAN link
 * (50 ms first-byte latency, 400 Mbit/s shared = 50 MB/s), at concurrency 1, 4, 8 and the default.
 * The stand-in runs as a separate process (`etl tcia serve`) so its ZIP writing does not share an
 * event loop with the client. Prints MB/s and the fraction of the link used; no assertions.
 *
 * Run: node --import tsx bench/fetch.ts [--preset demo|bench] [--data DIR] [--latency-ms 50]
 *      [--bandwidth-mbps 400] [--zip-level 1] [--concurrency 1,4,8] [--target-mb 350]
 * Collections are taken in TCIA's order until their DICOM bytes reach --target-mb, so a run stays
 * a few hundred MB whatever the preset. --zip-level 1 keeps the stand-in's deflate (the real server
 * uses 6) from being the bottleneck on a small machine: the client is what is measured.
 * Done-criterion: the default concurrency uses ≥ 90 % of the link.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRunContext } from '../src/core/context.ts';
import { createLogger } from '../src/core/log.ts';
import { TciaClient } from '../src/tcia/client.ts';
import { DEFAULT_CONCURRENCY, fetchTcia } from '../src/pipeline/fetchTcia.ts';
import { isSynthOutput, synthesize } from '../src/standins/synth/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    preset: { type: 'string', default: 'demo' },
    data: { type: 'string' },
    'latency-ms': { type: 'string', default: '50' },
    'bandwidth-mbps': { type: 'string', default: '400' },
    'zip-level': { type: 'string', default: '1' },
    concurrency: { type: 'string', default: `1,4,${DEFAULT_CONCURRENCY}` },
    'target-mb': { type: 'string', default: '350' },
    keep: { type: 'boolean', default: false },
  },
});
const preset = args.preset as 'demo' | 'bench';
const mbps = Number(args['bandwidth-mbps']);
const linkMBs = mbps / 8;

// 1. Synthetic collections (reused between runs).
const dataSrc = args.data ?? path.join(os.tmpdir(), `medimg-bench-${preset}`);
if (!isSynthOutput(dataSrc)) {
  console.log(`synthesizing the ${preset} preset into ${dataSrc} …`);
  const t = performance.now();
  await synthesize({ preset, out: dataSrc, seed: 1 });
  console.log(`  done in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

// 2. The stand-in, in its own process.
const server = spawn(
  process.execPath,
  ['bin/etl.js', 'tcia', 'serve', '--data', dataSrc, '--port', '0', '--latency-ms', String(args['latency-ms']), '--bandwidth-mbps', String(mbps), '--zip-level', String(args['zip-level'])],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
const apiUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  server.stdout!.on('data', (d) => {
    out += String(d);
    const m = /(http:\/\/\S+\/nbia-api\/services\/v4)/.exec(out);
    if (m) resolve(m[1]!);
  });
  server.on('exit', (code) => reject(new Error(`stand-in exited with ${code}`)));
});

try {
  const probe = new TciaClient({ apiUrl });
  const collections: string[] = [];
  let dicomBytes = 0;
  for (const c of await probe.getCollectionValues()) {
    if (dicomBytes >= Number(args['target-mb']) * 1e6) break;
    collections.push(c);
    for (const s of await probe.getSeries({ Collection: c })) dicomBytes += s.FileSize ?? 0;
  }
  probe.close();
  const levels = [...new Set(String(args.concurrency).split(',').map(Number).concat(DEFAULT_CONCURRENCY))].sort((a, b) => a - b);
  console.log(`\nfetchTcia against the stand-in: ${collections.length} collections (${(dicomBytes / 1e6).toFixed(0)} MB of DICOM), link ${mbps} Mbit/s (${linkMBs} MB/s), latency ${args['latency-ms']} ms, zip level ${args['zip-level']}`);
  console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} — shared with other work\n`);
  console.log('concurrency   series       MB     s    MB/s   link used   client CPU s   MB per client CPU-s');
  const rows: Array<{ c: number; mbs: number }> = [];
  let dicomMB = 0;
  let zipMB = 0;
  for (const c of levels) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `medimg-bench-fetch-c${c}-`));
    const ctx = createRunContext({ dataDir, logger: createLogger({ level: 'warn' }), tty: false });
    const cpu0 = process.cpuUsage();
    const r = await fetchTcia({ apiUrl, collections, concurrency: c, maxRejectRate: 1 }, ctx);
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    const mbs = r.mbPerSecond;
    rows.push({ c, mbs });
    const secs = r.bytes / 1e6 / Math.max(mbs, 1e-9);
    console.log(
      `${String(c).padStart(11)}${c === DEFAULT_CONCURRENCY ? '*' : ' '} ${String(r.counts.verified).padStart(7)} ${(r.bytes / 1e6).toFixed(0).padStart(8)} ${secs.toFixed(1).padStart(5)} ${mbs.toFixed(1).padStart(7)} ${((100 * mbs) / linkMBs).toFixed(0).padStart(8)} % ${cpuS.toFixed(1).padStart(14)} ${(r.bytes / 1e6 / cpuS).toFixed(0).padStart(21)}` +
        (r.failedSeries.length ? `  (${r.failedSeries.length} failed)` : ''),
    );
    dicomMB = r.plan.series.reduce((n, s) => n + (s.fileSize ?? 0), 0) / 1e6;
    zipMB = r.bytes / 1e6;
    if (!args.keep) fs.rmSync(dataDir, { recursive: true, force: true });
  }
  // Verification inflates every image and MD5s it, so client CPU follows the DICOM bytes, not the ZIP bytes.
  console.log(`\nDICOM ${dicomMB.toFixed(0)} MB travelled as ${zipMB.toFixed(0)} MB of ZIP (×${(dicomMB / Math.max(zipMB, 1e-9)).toFixed(1)}); client CPU per ZIP MB is in the last column`);
  const def = rows.find((r) => r.c === DEFAULT_CONCURRENCY)!;
  const used = def.mbs / linkMBs;
  console.log(`\n* default concurrency ${DEFAULT_CONCURRENCY}: ${(100 * used).toFixed(0)} % of the link (done-criterion ≥ 90 %: ${used >= 0.9 ? 'met' : 'NOT met'})`);
} finally {
  server.kill('SIGTERM');
}
