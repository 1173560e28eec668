import { fileURLToPath } from 'node:url';

/**
 * Worker entry points are TypeScript files run through tsx (no build step), or compiled `.js`
 * files after `npm run build`. Returns what piscina / worker_threads need for either.
 */
export function workerEntry(url: URL): { filename: string; execArgv: string[] } {
  const filename = fileURLToPath(url);
  return { filename, execArgv: filename.endsWith('.ts') ? ['--import', 'tsx'] : [] };
}
