/**
 * `npm run bench [-- name…]`: runs the benchmark scripts one after another (they compete for the
const ALL = ['synth', 'fetch', 'fetchIdc', 'idcIndex', 'decode', 'preprocess', 'shards', 'loaders', 'train', 'streamRun'];
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ALL = ['synth', 'fetch', 'fetchIdc', 'idcIndex', 'decode', 'preprocess', 'shards', 'loaders', 'train', 'streamRun'];
const chosen = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ALL;
const unknown = chosen.filter((n) => !ALL.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${ALL.join(', ')}\n`);
  process.exit(2);
}
let failed = 0;
for (const name of chosen) {
  const script = fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
  process.stdout.write(`\n=== bench/${name}.ts ===\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--expose-gc', script], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench/${name}.ts exited with ${r.status ?? r.signal}\n`);
  }
}
process.exit(failed > 0 ? 1 : 0);
