/**
 * Reading the IDC series index: hyparquet (pure JS, what `etl fetch idc` uses) against DuckDB's Node
 * API, on a generated index of the real shape (--rows, default 1,000,000 series; the columns of
 * idc_index.parquet; 150 collections, UIDs and UUIDs unique like the real ones). Each reader runs as
 * a whole process (module load + read + filter to two collections), alternating A B A B, median of
 * --runs. DuckDB is not a dependency: install it in a scratch folder and pass it
 * (`mkdir /tmp/duck && cd /tmp/duck && npm init -y && npm install @duckdb/node-api`, then
 * `--duckdb /tmp/duck`), else only hyparquet is timed. Also prints install sizes.
 *
 * Run: node --import tsx bench/idcIndex.ts [--rows 1000000] [--runs 3] [--duckdb DIR]
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { IdcSeries } from '../src/idc/index.ts';
import { uuidFrom, writeIdcIndexParquet } from '../src/standins/s3/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false }, duckdb: { type: 'string' } } });
/** Where @duckdb/node-api is installed: a scratch folder (--duckdb) or this checkout. */
const duckRoot = path.resolve(args.duckdb ?? root);
const n = Number(args.rows);
const file = path.join(os.tmpdir(), `medimg-bench-idc-index-${n}.parquet`);
if (!fs.existsSync(file)) {
  console.log(`writing a ${n}-row index to ${file} …`);
  const modalities = ['CT', 'CT', 'MR', 'MR', 'PT', 'CR', 'DX', 'MG', 'SEG', 'SR', 'RTSTRUCT', 'SM'];
  const rows: IdcSeries[] = [];
  for (let i = 0; i < n; i++) {
    const uuid = uuidFrom(`bench:${i}`);
    rows.push({
      collection_id: `collection_${String(i % 150).padStart(3, '0')}`,
      PatientID: `P-${Math.floor(i / 20)}`,
      StudyInstanceUID: `1.3.6.1.4.1.14519.5.2.1.${Math.floor(i / 5)}.${(i * 7919) % 1000003}`,
      SeriesInstanceUID: `1.3.6.1.4.1.14519.5.2.1.${i}.${(i * 104729) % 10000019}`,
      Modality: modalities[i % modalities.length]!,
      BodyPartExamined: ['CHEST', 'HEAD', 'ABDOMEN', null][i % 4]!,
      SeriesDescription: `series ${i % 500}`,
      instanceCount: 1 + ((i * 37) % 600),
      series_size_MB: Math.round(((i * 37) % 600) * 52) / 100,
      crdc_series_uuid: uuid,
      series_aws_url: `s3://idc-open-data/${uuid}/*`,
      aws_bucket: i % 9 === 0 ? 'idc-open-data-two' : 'idc-open-data',
      source_DOI: `10.7937/K9/TCIA.${i % 150}`,
      license_short_name: i % 10 === 0 ? 'CC BY-NC 3.0' : 'CC BY 4.0',
    });
  }
  await writeIdcIndexParquet(file, rows, 'bench');
}
const wanted = ['collection_007', 'collection_042'];

const hyScript = `import { readIdcIndex } from ${JSON.stringify(path.join(root, 'src/idc/index.ts'))};
const t = performance.now();
const r = await readIdcIndex(${JSON.stringify(file)}, { collectionIds: new Set(${JSON.stringify(wanted)}) });
console.log(JSON.stringify({ rows: r.series.length, readMs: performance.now() - t }));`;
let duckEntry: string | undefined;
try {
  duckEntry = createRequire(path.join(duckRoot, 'package.json')).resolve('@duckdb/node-api');
} catch {
  duckEntry = undefined;
}
const duckAvailable = duckEntry !== undefined;
const duckScript = `import { DuckDBInstance } from ${JSON.stringify(duckEntry ?? '@duckdb/node-api')};
const t = performance.now();
const db = await DuckDBInstance.create(':memory:');
const con = await db.connect();
const r = await con.runAndReadAll("select * from read_parquet('${file}') where collection_id in (${wanted.map((w) => `'${w}'`).join(',')})");
console.log(JSON.stringify({ rows: r.getRowObjects().length, readMs: performance.now() - t }));`;


function runOnce(script: string): { wallMs: number; readMs: number; rows: number; rssMb: number } {
  const f = path.join(root, 'bench', `.idcIndex-${process.pid}.mts`);
  fs.writeFileSync(f, script);
  try {
    const t = performance.now();
    const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', f], { cwd: root, encoding: 'utf8' });
    const wallMs = performance.now() - t;
    if (r.status !== 0) throw new Error(r.stderr);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { rows: number; readMs: number };
    return { wallMs, ...out, rssMb: Number(r.stderr.trim().split('\n').pop()) / 1024 };
  } finally {
    fs.rmSync(f, { force: true });
  }
}

function du(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? du(p) : e.isFile() ? fs.statSync(p).size : 0;
  }
  return total;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`index ${file}: ${n} rows, ${(fs.statSync(file).size / 1e6).toFixed(1)} MB; filter: 2 of 150 collections`);
console.log(`machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
const res: Record<string, Array<ReturnType<typeof runOnce>>> = { hyparquet: [], duckdb: [] };
for (let i = 0; i < Number(args.runs); i++) {
  res.hyparquet!.push(runOnce(hyScript));
  if (duckAvailable) res.duckdb!.push(runOnce(duckScript));
}
const sizes: Record<string, string[]> = { hyparquet: ['hyparquet', 'hyparquet-compressors', 'fzstd', 'hysnappy'].map((p) => path.join(root, 'node_modules', p)), duckdb: [path.join(duckRoot, 'node_modules', '@duckdb')] };
console.log('reader      rows   process s   read s   peak RSS MB   install MB');
for (const [name, runs] of Object.entries(res)) {
  const install = sizes[name]!.filter((p) => fs.existsSync(p)).reduce((a, p) => a + du(p), 0) / 1e6;
  if (runs.length === 0) {
    console.log(`${name.padEnd(10)} (not found: install @duckdb/node-api in a scratch folder and pass --duckdb DIR)`);
    continue;
  }
  console.log(`${name.padEnd(10)} ${String(runs[0]!.rows).padStart(5)} ${(median(runs.map((r) => r.wallMs)) / 1000).toFixed(2).padStart(10)} ${(median(runs.map((r) => r.readMs)) / 1000).toFixed(2).padStart(8)} ${median(runs.map((r) => r.rssMb)).toFixed(0).padStart(13)} ${install.toFixed(1).padStart(12)}`);
}
console.log(`\nload now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (!args.keep) fs.rmSync(file, { force: true });
