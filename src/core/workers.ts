import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a worker thread's entry point is. Callers name the TypeScript source next to them
 * (`new URL('./worker.ts', import.meta.url)`); running from the compiled dist/ there is no `.ts`
 * file beside the caller, so the compiled `.js` runs as is (no tsx, which costs every worker
 * about a second of start-up); running from src/ the `.ts` file runs through tsx. Where the build
 * bundled the worker into one file (`worker.bundle.mjs`, scripts/build-dist.mjs), that runs: one
 * module to compile instead of hundreds (the preprocess worker: 0.21–0.27 → 0.04 CPU-s to load).
 */
export function workerEntry(url: URL): { filename: string; execArgv: string[] } {
  const filename = fileURLToPath(url);
  if (filename.endsWith('.ts') && !fs.existsSync(filename)) {
    const bundle = filename.slice(0, -3) + '.bundle.mjs';
    if (fs.existsSync(bundle)) return { filename: bundle, execArgv: [] };
    const compiled = filename.slice(0, -3) + '.js';
    if (fs.existsSync(compiled)) return { filename: compiled, execArgv: [] };
  }
  return { filename, execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}
