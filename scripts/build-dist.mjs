#!/usr/bin/env node
/**
 * `npm run build` (also `prepare`, so `npm ci` builds it, and `prepack`): compiles src/ into dist/
 * with tsc, then writes each program's command index (dist/cli/<program>/commands.json) so the
 * top-level help lists the commands without importing them. bin/ runs dist/ while it is newer than
 * every file of src/ (the stamp is written before compiling), else the sources through tsx.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
let tsc;
try {
  tsc = createRequire(path.join(root, 'package.json')).resolve('typescript/bin/tsc');
} catch {
  // `npm ci --omit=dev`: no compiler, so bin/ keeps running the sources through tsx.
  process.stderr.write('build-dist: typescript is not installed; skipping dist/ (bin/ runs src/ through tsx)\n');
  process.exit(0);
}
fs.rmSync(dist, { recursive: true, force: true });
fs.mkdirSync(dist, { recursive: true });
const stamp = path.join(dist, '.build-stamp');
fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (r.status !== 0) {
  // A half-built dist/ must never run: without the stamp bin/ falls back to the sources.
  fs.rmSync(stamp, { force: true });
  process.exit(r.status ?? 1);
}
const { indexCommands, COMMAND_INDEX } = await import(pathToFileURL(path.join(dist, 'cli/loadCommands.js')).href);
for (const program of ['etl', 'train']) {
  const dir = path.join(dist, 'cli', program);
  const index = await indexCommands(pathToFileURL(dir + path.sep));
  fs.writeFileSync(path.join(dir, COMMAND_INDEX), JSON.stringify(index, null, 1) + '\n');
}
await bundleWorkers();
// Command modules may start libraries with handles (tfjs, piscina): the index is written, so leave.
process.exit(0);

/**
 * Worker threads whose start-up is paid per run get one ESM bundle beside their compiled entry
 * (core/workers.ts prefers it): a preprocess worker otherwise compiles ~300 modules (apache-arrow
 * alone ~150) before its first slice. Packages that load native or wasm files next to themselves
 * stay external. Without esbuild the workers run the compiled files.
 */
async function bundleWorkers() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    process.stderr.write('build-dist: esbuild is not installed; workers run unbundled\n');
    return;
  }
  await esbuild.build({
    entryPoints: [path.join(dist, 'preprocess/worker.js')],
    outfile: path.join(dist, 'preprocess/worker.bundle.mjs'),
    bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning',
    external: ['sharp', '@cornerstonejs/*'],
    // CommonJS packages inside the bundle (yauzl, dicom-parser) call require for node built-ins.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
