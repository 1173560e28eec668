/**
 * `npm run bench`: ONE table of issue #12's metrics, each a ratio of the subject against its
 * baseline measured in this run: runs alternate, the order flipping every round (A B, B A, …),
 * every figure is the median of --runs (≥ 3), whole processes (`/usr/bin/time`: CPU, peak RSS;
 * wall from our clock) and, where the issue asks, steady state too. Inputs are realistic: 512² int16 CT slices with ±20 HU noise
 * (ZIPs compress ~2:1, not 57:1) and incompressible 224² images for shards. The load average is
 * printed before and after: on a shared machine read the ratios, not the times.
 *
 *   node --import tsx bench/table.ts [--runs 3] [--ct 2000] [--images 20000] [--skip fetch,scale]
 * The detailed per-area benches (bench/preprocess.ts, shards.ts, fetch.ts…) stay: `npm run bench:all`.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONCURRENCY } from '../src/pipeline/index.ts';
import { ctSlice, writeRawSeries } from '../test/preprocess/preprocessFixtures.ts';
import { makeStaging } from './staging.ts';
import { steadyPreprocess } from './steady.ts';
import { threadCpu, type ThreadCpu } from './threadCpu.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    ct: { type: 'string', default: '2000' },
    images: { type: 'string', default: '20000' },
    skip: { type: 'string', default: '' },
  },
});
const RUNS = Math.max(3, Number(args.runs));
const skip = new Set(String(args.skip).split(',').filter(Boolean));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-table-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const f2 = (x: number) => x.toFixed(2);
const f3 = (x: number) => x.toFixed(3);
const signed = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(0)}`;

interface Proc {
  wall: number;
  cpu: number;
  rssMb: number;
  stdout: string;
  stderr: string;
}

/** One whole process under /usr/bin/time (CPU, peak RSS); wall from our clock (time's is in 10 ms steps). */
function proc(cmd: string, argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const out = path.join(tmp, 'time.txt');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...argv], {
    cwd: opts.cwd ?? root, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-600)}`);
  const [u, s, m] = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall, cpu: u! + s!, rssMb: m! / 1024, stdout: r.stdout, stderr: r.stderr };
}

/** Run each thunk RUNS times, interleaved (A B, B A, A B…); returns the results per thunk. */
function alternate<T>(...fns: Array<() => T>): T[][] {
  return alternateN(RUNS, ...fns);
}

/** The order flips every round, so no side always runs first (or right after the other). */
function alternateN<T>(runs: number, ...fns: Array<() => T>): T[][] {
  const out: T[][] = fns.map(() => []);
  const order = fns.map((_, i) => i);
  for (let r = 0; r < runs; r++) for (const i of inRoundOrder(r, order)) out[i]!.push(fns[i]!());
  return out;
}

/** Round r's order of `xs`: as given in even rounds, reversed in odd ones. */
function inRoundOrder<T>(r: number, xs: T[]): T[] {
  return r % 2 === 0 ? xs : [...xs].reverse();
}

interface Row {
  metric: string;
  subject: string;
  baseline: string;
  ratio: string;
  goal: string;
  met: string;
}
const rows: Row[] = [];
/** `met`: null = skipped; 'info' = shown beside a judged row, not judged itself. */
function row(metric: string, subject: string, baseline: string, ratio: number | null, goal: string, met: boolean | null | 'info'): void {
  rows.push({ metric, subject, baseline, ratio: ratio === null ? '–' : `${f2(ratio)}×`, goal, met: met === 'info' ? 'information' : met === null ? 'skipped' : met ? 'met' : 'NOT met' });
  console.error(`  ${metric}: ${ratio === null ? 'skipped' : f2(ratio) + '×'} (load ${load()})`);
}

const ETL = path.join(root, 'bin/etl.js');
const node = process.execPath;

/**
 * Some environments (this machine's among them) set NODE_EXTRA_CA_CERTS, a CA bundle for a TLS
 * proxy: node then starts OpenSSL and parses the bundle at every start, before any script runs (bare
 * `node -e 0` on the dev machine: 62 ms with its 144 certificates, 44 ms with an empty file, 25 ms
 * without the variable). No process of this bench opens a TLS connection (the stand-ins speak plain
 * HTTP), so every child runs without it, on both sides of every row (Python, curl and dd never read
 * it: against them it helps node alone); the header prints what it costs, and the pyarrow row, the
 * shortest process judged, shows its ratio with it as well.
 */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
delete process.env.NODE_EXTRA_CA_CERTS;
const withExtraCa = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_EXTRA_CA_CERTS: EXTRA_CA });

function extraCaCost(): void {
  if (!EXTRA_CA) return;
  const [without, withIt] = alternateN(Math.max(RUNS, 9), () => proc(node, ['-e', '0']), () => proc(node, ['-e', '0'], { env: withExtraCa() }));
  const [a, b] = [median(without!.map((p) => p.wall)), median(withIt!.map((p) => p.wall))];
  console.log(`NODE_EXTRA_CA_CERTS is set here (${EXTRA_CA}): node's children run without it; bare node starts in ${f3(a)} s without it, ${f3(b)} s with it (+${((b - a) * 1000).toFixed(0)} ms a process)`);
}

function ensureDist(): void {
  const r = spawnSync(node, ['--input-type=module', '-e', "const { entry } = await import('./bin/entry.js'); console.log(await entry('cli/etl'))"], { cwd: root, encoding: 'utf8' });
  if (!r.stdout.includes('/dist/')) {
    console.error('dist/ is missing or stale: building it (npm run build)');
    const b = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('npm run build failed');
  }
}

function startup(): void {
  // Before: every command compiled through tsx at each start (the sources, no command index).
  const [a, b, z] = alternate(
    () => proc(node, [ETL, '--help']),
    () => proc(node, ['--import', 'tsx', 'src/cli/etl.ts', '--help']),
    () => proc(node, ['-e', '0']),
  );
  const w = median(a!.map((p) => p.wall));
  row(
    'start-up `etl --help`',
    `${f2(w)} s, ${f2(median(a!.map((p) => p.cpu)))} CPU-s, ${median(a!.map((p) => p.rssMb)).toFixed(0)} MB (bare node ${f2(median(z!.map((p) => p.wall)))} s)`,
    `tsx, all commands: ${f2(median(b!.map((p) => p.wall)))} s, ${f2(median(b!.map((p) => p.cpu)))} CPU-s, ${median(b!.map((p) => p.rssMb)).toFixed(0)} MB`,
    median(b!.map((p) => p.wall)) / w,
    '≤ 0.3 s',
    w <= 0.3,
  );
  // A piscina pool as the product makes it (createSeriesPool → workerEntry), timed to the first task's
  // answer (a missing ZIP: the worker loads every module, then fails the series at once).
  const script = (pool: string) =>
    `const { createSeriesPool } = await import(${JSON.stringify(pool)}); const t = performance.now(); const p = createSeriesPool(1);` +
    ` await p.run({ source: { kind: 'zip', file: '/nonexistent.zip' }, meta: {}, config: {}, out: '/nonexistent.arrow', metadata: {} });` +
    ` console.log(performance.now() - t); await p.close();`;
  const ms = (pool: string, execArgv: string[]) => Number(proc(node, [...execArgv, '--input-type=module', '-e', script(pool)]).stdout.trim());
  const [wa, wb] = alternate(
    () => ms(pathUrl(path.join(root, 'dist/preprocess/pool.js')), []),
    () => ms(pathUrl(path.join(root, 'src/preprocess/pool.ts')), ['--import', 'tsx']),
  );
  row('preprocess worker start (to loaded)', `${median(wa!).toFixed(0)} ms compiled`, `${median(wb!).toFixed(0)} ms via tsx`, median(wb!) / median(wa!), 'faster', median(wa!) < median(wb!));
}

function pathUrl(p: string): string {
  return new URL(`file://${p}`).href;
}

/**
 * The baseline: pydicom + numpy + Pillow doing what `etl preprocess` does with the same ZIPs —
 * read each entry, decode, rescale, min-max to [0, 1], area-average resize (Pillow's BOX) to 224²,
 * quantise to uint8 — and, like etl's staging file, keep the result: one file per series under
 * argv[1], written under a temporary name, fsynced and renamed into place (a baseline that throws
 * its images away skips the write etl must do).
 */
const PY = `
import io, os, sys, time, zipfile
import numpy as np, pydicom
from PIL import Image
n = 0
t0 = time.perf_counter()
out_dir = sys.argv[1]
for zf in sys.argv[2:]:
    images = []
    with zipfile.ZipFile(zf) as z:
        for name in z.namelist():
            if not name.endswith('.dcm'):
                continue
            ds = pydicom.dcmread(io.BytesIO(z.read(name)))
            v = ds.pixel_array.astype(np.float32) * float(getattr(ds, 'RescaleSlope', 1)) + float(getattr(ds, 'RescaleIntercept', 0))
            lo, hi = float(v.min()), float(v.max())
            u = (v - lo) / (hi - lo)
            r = np.asarray(Image.fromarray(u, mode='F').resize((224, 224), Image.BOX))
            images.append(np.clip(r * 255 + 0.5, 0, 255).astype(np.uint8))
            n += 1
    final = os.path.join(out_dir, os.path.basename(zf)[:-4] + '.u8')
    with open(final + '.tmp', 'wb') as f:
        f.write(np.stack(images).tobytes())
        f.flush()
        os.fsync(f.fileno())
    os.replace(final + '.tmp', final)
print(n, time.perf_counter() - t0)
`;

/**
 * A python3 that imports the modules: $MEDIMG_PYTHON, else the venv .ci/run makes (pyarrow), else
 * PATH's, else Debian's (pyenv shims may hide the system packages).
 */
function python(modules: string): string | undefined {
  return [process.env.MEDIMG_PYTHON, path.join(root, '.ci/venv/bin/python'), 'python3', '/usr/bin/python3'].filter((py): py is string => !!py && (!py.includes('/') || fs.existsSync(py))).find((py) => spawnSync(py, ['-c', `import ${modules}`], { encoding: 'utf8' }).status === 0);
}

async function preprocessRows(): Promise<void> {
  const n = Number(args.ct);
  const dataDir = path.join(tmp, 'pre');
  const zips: string[] = [];
  for (let s = 0; s * 50 < n; s++) {
    const uid = `2.25.7${s + 1}`;
    const count = Math.min(50, n - s * 50);
    const entries = Array.from({ length: count }, (_, i) => ({
      name: `1-${String(i + 1).padStart(3, '0')}.dcm`,
      bytes: ctSlice({ rows: 512, cols: 512, seriesUid: uid, sopUid: `${uid}.${i + 1}`, instanceNumber: i + 1, seed: s * 50 + i + 1, padding: true, noiseHu: 20 }),
    }));
    await writeRawSeries(dataDir, { collection: 'BENCH-CT', seriesUid: uid, entries });
    zips.push(path.join(dataDir, 'raw', 'BENCH-CT', `${uid}.zip`));
  }
  const ours = (workers: number) => () => {
    fs.rmSync(path.join(dataDir, 'staging'), { recursive: true, force: true });
    return proc(node, [ETL, 'preprocess', '--data-dir', dataDir, '--workers', String(workers), '--quiet']);
  };
  const py = python('pydicom, numpy, PIL');
  const pyOut = path.join(tmp, 'py-out');
  const pyRun = () => {
    fs.rmSync(pyOut, { recursive: true, force: true });
    fs.mkdirSync(pyOut);
    const p = proc(py!, ['-c', PY, pyOut, ...zips]);
    const [count, secs] = p.stdout.trim().split(/\s+/).map(Number);
    if (count !== n) throw new Error(`python read ${count} of ${n} slices in ${secs} s`);
    return p;
  };
  // One round = the five runs below, rounds repeated RUNS times, the order flipping every round
  // (A B C D E, E D C B A, …): whole processes and steady states of both sides see the same load.
  spawnSync('sync'); // the fixture's ZIPs on disk before the first timed run, not written back during it
  const steady = steadyPreprocess(dataDir);
  const one: Proc[] = [];
  const two: Proc[] = [];
  const pyr: Proc[] | undefined = py ? [] : undefined;
  const steady1: Array<{ seconds: number; cpu: number }> = [];
  const steady2: Array<{ seconds: number; cpu: number }> = [];
  try {
    const round: Array<() => Promise<void> | void> = [
      () => void one.push(ours(1)()),
      () => void two.push(ours(2)()),
      () => void pyr?.push(pyRun()),
      async () => void steady1.push(await steady.run(1)),
      async () => void steady2.push(await steady.run(2)),
    ];
    for (let r = 0; r < RUNS; r++) for (const run of inRoundOrder(r, round)) await run();
  } finally {
    steady.close();
  }
  const w1 = median(one.map((p) => p.wall));
  const w2 = median(two.map((p) => p.wall));
  const s1 = median(steady1.map((r) => r.seconds));
  const s2 = median(steady2.map((r) => r.seconds));
  if (pyr) {
    const pw = median(pyr.map((p) => p.wall));
    const ps = median(pyr.map((p) => Number(p.stdout.trim().split(/\s+/)[1])));
    row(`preprocess ${n} CT 512² → 224², 1 worker, whole process`, `${(n / w1).toFixed(0)} img/s`, `pydicom+numpy+Pillow ${(n / pw).toFixed(0)} img/s`, pw / w1, '≥ 1.5×', pw / w1 >= 1.5);
    row('  … steady state (pool warm; Python: loop only)', `${(n / s1).toFixed(0)} img/s`, `${(n / ps).toFixed(0)} img/s`, ps / s1, '≥ 1.5×', ps / s1 >= 1.5);
  } else {
    row(`preprocess ${n} CT 512², 1 worker vs pydicom+numpy+Pillow`, `${(n / w1).toFixed(0)} img/s`, 'python3 with pydicom, numpy, PIL not importable', null, '≥ 1.5×', null);
  }
  // What the cores allow: 2 workers need CPU₂ CPU-s, so on C cores wall₂ ≥ CPU₂ / C and the speed-up
  // is at most C · wall₁ / CPU₂ — under 2× whenever one worker already keeps more than one core busy
  // (main thread, zlib and GC threads beside the worker) or a second worker adds CPU.
  const c1 = median(one.map((p) => p.cpu));
  const c2 = median(two.map((p) => p.cpu));
  const cores = os.availableParallelism();
  row(
    'preprocess 1 → 2 workers, whole process',
    `${(n / w2).toFixed(0)} img/s, ${f2(c2)} CPU-s (at most ${f2((cores * w1) / c2)}× on ${cores} cores)`,
    `${(n / w1).toFixed(0)} img/s, ${f2(c1)} CPU-s, ${f2(c1 / w1)} cores busy`,
    w1 / w2, '≥ 1.8×', w1 / w2 >= 1.8,
  );
  const sc1 = median(steady1.map((r) => r.cpu));
  const sc2 = median(steady2.map((r) => r.cpu));
  row(
    '  … steady state (stage)',
    `${(n / s2).toFixed(0)} img/s, ${f2(sc2)} CPU-s (at most ${f2((cores * s1) / sc2)}× on ${cores} cores)`,
    `${(n / s1).toFixed(0)} img/s, ${f2(sc1)} CPU-s, ${f2(sc1 / s1)} cores busy`,
    s1 / s2, '≥ 1.8×', s1 / s2 >= 1.8,
  );
  // The profile behind the ceiling: one more run of each, untimed, its CPU split by thread.
  const split = async (workers: number): Promise<ThreadCpu | undefined> => {
    fs.rmSync(path.join(dataDir, 'staging'), { recursive: true, force: true });
    return threadCpu(node, [ETL, 'preprocess', '--data-dir', dataDir, '--workers', String(workers), '--quiet'], workers, root);
  };
  const [t1, t2] = [await split(1), await split(2)];
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const says = (t: ThreadCpu) => `worker thread${t.busiest.length > 1 ? 's' : ''} ${t.busiest.map(f2).join(' + ')}, main ${f2(t.main)}, V8 compiler/GC and libuv threads ${f2(t.others)} CPU-s`;
  rows.push({
    metric: '  … where the CPU goes (one more run each, CPU-s by thread from /proc; the busiest threads taken as the workers)',
    subject: t2 ? `2 workers: ${says(t2)}` : 'no /proc here',
    baseline: t1 && t2 && sum(t1.busiest) > 0 ? `1 worker: ${says(t1)}. Their CPU for the same work, two threads at once against one alone: ${signed((100 * sum(t2.busiest)) / sum(t1.busiest) - 100)} %` : '–',
    ratio: '–', goal: '', met: 'profile',
  });
}

/** One `etl shard` process; `inside`: seconds from the command's start of work to its end (its summary's images/s), start-up excluded. */
const cpu = (ps: Proc[]) => `${f2(median(ps.map((p) => p.cpu)))} CPU-s`;

function shardRun(dataDir: string, name: string): Proc & { bytes: number; inside: number } {
  fs.rmSync(path.join(dataDir, 'datasets'), { recursive: true, force: true });
  const p = proc(node, [ETL, 'shard', '--data-dir', dataDir, '--name', name, '--manifest', path.join(dataDir, 'manifest.json'), '--seed', '1']);
  const dir = path.join(dataDir, 'datasets', name);
  const version = fs.readdirSync(dir).find((d) => d.startsWith('v'))!;
  const files = fs.readdirSync(path.join(dir, version)).filter((f) => f.endsWith('.arrow'));
  const rows = /splits\s+train (\d+) rows.*validate (\d+) rows.*test (\d+) rows/.exec(p.stderr + p.stdout);
  const rate = /throughput\s+(\d+) images\/s/.exec(p.stderr + p.stdout);
  if (!rows || !rate) throw new Error(`etl shard printed no summary: ${(p.stderr + p.stdout).slice(-400)}`);
  const inside = (Number(rows[1]) + Number(rows[2]) + Number(rows[3])) / Number(rate[1]);
  return { ...p, bytes: files.reduce((a, f) => a + fs.statSync(path.join(dir, version, f)).size, 0), inside };
}

function shardFiles(dataDir: string, name: string): string[] {
  const dir = path.join(dataDir, 'datasets', name);
  const version = fs.readdirSync(dir).find((d) => d.startsWith('v'))!;
  return fs.readdirSync(path.join(dir, version)).filter((f) => f.endsWith('.arrow')).map((f) => path.join(dir, version, f));
}

async function shardRows(): Promise<void> {
  const n = Number(args.images);
  const big = path.join(tmp, 'shard-big');
  await makeStaging(big, n, 224);
  const bytes = shardRun(big, 'b').bytes; // warm-up (and the size of the raw write)
  const raw = path.join(tmp, 'raw.bin');
  const rawWrite = () => {
    const p = proc('dd', ['if=/dev/zero', `of=${raw}`, 'bs=8M', `count=${Math.ceil(bytes / 2 ** 23)}`, 'conv=fsync', 'status=none']);
    fs.rmSync(raw, { force: true });
    return p;
  };
  let small: string | undefined;
  if (!skip.has('scale')) {
    small = path.join(tmp, 'shard-small');
    await makeStaging(small, Math.round(n / 10), 224);
    shardRun(small, 'b');
  }
  spawnSync('sync'); // the fixtures on disk before the first timed run
  const [sh, rw, sm] = alternate(() => shardRun(big, 'b'), rawWrite, ...(small ? [() => shardRun(small!, 'b')] : []));
  const shW = median(sh!.map((p) => p.wall));
  const rwW = median(rw!.map((p) => p.wall));
  row(`\`etl shard\` ${n} images 224² (${(bytes / 1e9).toFixed(2)} GB) vs raw write + fsync, whole process`, `${f2(shW)} s, ${cpu(sh!)}`, `dd ${f2(rwW)} s, ${cpu(rw!)}`, shW / rwW, '≤ 1.5 (× slower)', shW / rwW <= 1.5);
  const shS = median(sh!.map((p) => (p as ReturnType<typeof shardRun>).inside));
  row('  … steady state (the command\'s own time, start-up excluded)', `${f2(shS)} s`, `dd ${f2(rwW)} s`, shS / rwW, '≤ 1.5 (× slower)', shS / rwW <= 1.5);
  if (sm) {
    const tRatio = shW / median(sm.map((p) => p.wall));
    const rss = median(sh!.map((p) => p.rssMb)) / median(sm.map((p) => p.rssMb));
    row(`shard ${n / 10} → ${n} images: time growth`, `${f2(shW)} s`, `${f2(median(sm.map((p) => p.wall)))} s`, tRatio, '≈ 10×', tRatio <= 12);
    row(`  … peak RSS growth`, `${median(sh!.map((p) => p.rssMb)).toFixed(0)} MB`, `${median(sm.map((p) => p.rssMb)).toFixed(0)} MB`, rss, '≤ 1.1×', rss <= 1.1);
  }
  // Reading: one epoch of every split in random batch order, warm, vs cat of the same files.
  const files = shardFiles(big, 'b');
  const reader = path.join(root, 'bench/readEpoch.mjs');
  const readRun = (flags: string[] = [], env?: NodeJS.ProcessEnv) => proc(node, [reader, big, 'b', ...flags], { env });
  // Through a pipe: `cat > /dev/null` may be served without copying a byte (splice to /dev/null).
  const catRun = () => proc('sh', ['-c', `cat ${files.map((f) => `'${f}'`).join(' ')} | wc -c > /dev/null`]);
  readRun();
  catRun();
  const [rd, ct] = alternate(readRun, catRun);
  const rdW = median(rd!.map((p) => p.wall));
  const ctW = median(ct!.map((p) => p.wall));
  row('shard read, random batch order, warm, vs cat piped to wc -c, whole process', `${((bytes / rdW) / 1e6).toFixed(0)} MB/s, ${cpu(rd!)}`, `cat piped to wc -c ${((bytes / ctW) / 1e6).toFixed(0)} MB/s, ${cpu(ct!)}`, ctW / rdW, '≥ 0.8×', ctW / rdW >= 0.8);
  const rdS = median(rd!.map((p) => Number(p.stdout.trim().split(/\s+/)[1])));
  row('  … steady state (open → last batch)', `${((bytes / rdS) / 1e6).toFixed(0)} MB/s`, `cat piped to wc -c ${((bytes / ctW) / 1e6).toFixed(0)} MB/s`, ctW / rdS, '≥ 0.8×', ctW / rdS >= 0.8);
  pyarrowRows(files, readRun);
  // The section's 3 GB of fixtures go now, not at exit: the next section starts on a clean disk.
  for (const d of [big, small]) if (d) fs.rmSync(d, { recursive: true, force: true });
}

/** pyarrow against the reader on the same files (the shard rows' fixtures). */
function pyarrowRows(files: string[], readRun: (flags?: string[], env?: NodeJS.ProcessEnv) => Proc): void {
  const pa = python('pyarrow');
  if (!pa) row('shard read vs pyarrow open_file(memory_map)', '–', 'pyarrow not importable by $MEDIMG_PYTHON, python3 or /usr/bin/python3 (no Debian package: MEDIMG_PYTHON=<a venv with pyarrow>)', null, '≥ 1×', null);
  else {
    // pyarrow maps each file and touches a byte per page of every batch's image buffer, checking
    // nothing: the same work is the reader mapping the shards with its per-batch CRC-32 off. The
    // default (pread, and a CRC-32 that reads every byte) is shown beside it, not judged.
    const PA = `import sys, pyarrow as pa\nfor f in sys.argv[1:]:\n    r = pa.ipc.open_file(pa.memory_map(f))\n    for i in range(r.num_record_batches):\n        b = r.get_batch(i)\n        s = sum(memoryview(b.column(0).buffers()[1])[::4096])\n`;
    const paRun = () => proc(pa, ['-c', PA, ...files]);
    const noCrcRun = () => readRun(['--mmap', '--no-checksums']);
    noCrcRun();
    paRun();
    // Sub-second processes: more runs than --runs (at least 9) for a steadier median.
    const caRun = EXTRA_CA ? [() => readRun(['--mmap', '--no-checksums'], withExtraCa())] : [];
    const [nc, pr, rd2, ca] = alternateN(Math.max(RUNS, 9), noCrcRun, paRun, () => readRun(), ...caRun);
    const paW = median(pr!.map((p) => p.wall));
    const ncW = median(nc!.map((p) => p.wall));
    const rdW2 = median(rd2!.map((p) => p.wall));
    const rss = (ps: Proc[]) => `${median(ps.map((p) => p.rssMb)).toFixed(0)} MB RSS`;
    const how = nc!.every((p) => p.stdout.trim().endsWith('mapped')) ? '' : ' (koffi did not load: read with pread)';
    row('shard read vs pyarrow open_file(memory_map), a byte per page of every image buffer; both map, neither checks; whole process', `${f3(ncW)} s, ${cpu(nc!)}, ${rss(nc!)}${how}`, `pyarrow ${f3(paW)} s, ${cpu(pr!)}, ${rss(pr!)}`, paW / ncW, '≥ 1×', paW / ncW >= 1);
    if (ca) {
      const caW = median(ca.map((p) => p.wall));
      row('  … the same, with NODE_EXTRA_CA_CERTS as this machine sets it (node parses the bundle at start)', `${f3(caW)} s, ${cpu(ca)}`, `pyarrow ${f3(paW)} s`, paW / caW, '–', 'info');
    }
    row('  … the reader\'s default: pread, and the CRC-32 of every batch (every byte read; pyarrow checks nothing)', `${f3(rdW2)} s, ${cpu(rd2!)}, ${rss(rd2!)}`, `pyarrow ${f3(paW)} s`, paW / rdW2, '–', 'info');
  }
}

/**
 * Fetch rows: the stand-ins in their own process serve answers built before timing (an honest link:
 * 50 ms first byte, 1 Gbit/s shared), the client's share of the link at default settings, with curl
 * fetching the same answers at the same parallelism as the baseline (bench/fetch.ts), and IDC beside
 * TCIA in one alternating run (bench/fetchIdc.ts).
 */
function fetchRows(): void {
  const link = ['--bandwidth-mbps', '1000', '--latency-ms', '50', '--target-mb', '200', '--runs', String(RUNS)];
  const t = proc(node, ['--import', 'tsx', 'bench/fetch.ts', '--concurrency', String(DEFAULT_CONCURRENCY), ...link]);
  const curl = /curl -P(\d+): (\d+) % of the link/.exec(t.stdout);
  const def = /default concurrency (\d+): (\d+) % of the link/.exec(t.stdout);
  const used = def ? Number(def[2]) / 100 : NaN;
  row(`fetch TCIA, default concurrency ${def?.[1] ?? '?'}, 50 ms, 1 Gbit/s (stand-in link, answers built before timing)`, `${(used * 100).toFixed(0)} % of the link`, `curl --parallel ${curl?.[1] ?? '?'}: ${curl?.[2] ?? '?'} % of the link`, used, '≥ 0.90', used >= 0.9);
  const i = proc(node, ['--import', 'tsx', 'bench/fetchIdc.ts', ...link]);
  const m = /median of \d+: TCIA [\d.]+ MB\/s \((\d+) % of the link.*IDC [\d.]+ MB\/s \((\d+) % of the link/.exec(i.stdout);
  const c = /IDC at default settings \(concurrency (\d+)\)/.exec(i.stdout);
  const idc = m ? Number(m[2]) / 100 : NaN;
  const cu = /curl --parallel (\d+) \(object GETs\): (\d+) % of the link/.exec(i.stdout);
  const cpu = /client CPU-s per run \(medians\): IDC ([\d.]+), TCIA [\d.]+, curl ([\d.]+)/.exec(i.stdout);
  row(
    `fetch IDC, default concurrency ${c?.[1] ?? '?'}, same link and series`,
    `${(idc * 100).toFixed(0)} % of the link, ${cpu?.[1] ?? '?'} CPU-s`,
    `curl --parallel ${cu?.[1] ?? '?'} on the same objects: ${cu?.[2] ?? '?'} %, ${cpu?.[2] ?? '?'} CPU-s; TCIA in the same run: ${m?.[1] ?? '?'} % of the link`,
    idc, '≥ 0.90', idc >= 0.9,
  );
}

console.log(`bench/table.ts: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.availableParallelism()}, node ${process.version}, ${RUNS} runs per figure (median), load at start ${load()}`);
ensureDist();
extraCaCost();
// A section that fails leaves a row saying so; the table is printed whatever happens.
const sections: Array<[string, () => unknown]> = [['startup', startup], ['preprocess', preprocessRows], ['shard', shardRows], ['fetch', fetchRows]];
for (const [name, run] of sections) {
  if (skip.has(name)) continue;
  // A section leaves dirty pages behind (the shard rows: GBs): write them back before the next
  // section's timings, not during them.
  spawnSync('sync');
  try {
    await run();
  } catch (err) {
    rows.push({ metric: `${name} section`, subject: `failed: ${String((err as Error).message).split('\n')[0]!.slice(0, 160)}`, baseline: '', ratio: '–', goal: '', met: 'failed' });
  }
}
console.log(`\nload average at end ${load()} (other processes share these ${os.availableParallelism()} cores)`);
console.log('| metric | subject | baseline | ratio | goal | |\n|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.metric} | ${r.subject} | ${r.baseline} | ${r.ratio} | ${r.goal} | ${r.met} |`);
