import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Where a worker thread's entry point is. Callers name the TypeScript source next to them
 * (`new URL('./worker.ts', import.meta.url)`); running from the compiled dist/ there is no `.ts`
 * file beside the caller, so the compiled `.js` runs as is (no tsx, which costs every worker
 * about a second of start-up); running from src/ the `.ts` file runs through tsx.
 */
export function workerEntry(url: URL): { filename: string; execArgv: string[] } {
  const filename = fileURLToPath(url);
  if (filename.endsWith('.ts') && !fs.existsSync(filename)) {
    const compiled = filename.slice(0, -3) + '.js';
    if (fs.existsSync(compiled)) return { filename: compiled, execArgv: [] };
  }
  return { filename, execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}
