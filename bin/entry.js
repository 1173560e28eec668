// Which code bin/ runs: compiled dist/ (built by `npm ci` / `npm run build`) while it is at least
// as new as every file and folder of src/, else the TypeScript sources through tsx (development:
// an edit takes effect at once, never a stale build). Checking src/ costs a few milliseconds.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);

/** The URL to import for `rel` (e.g. 'cli/etl'): dist/cli/etl.js or src/cli/etl.ts. */
export async function entry(rel) {
  const stamp = fileURLToPath(new URL('dist/.build-stamp', root));
  const src = fileURLToPath(new URL('src', root));
  let built = -1;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {}
  if (built >= 0 && (!fs.existsSync(src) || newestMtime(src) <= built)) return new URL(`dist/${rel}.js`, root).href;
  const { register } = await import('tsx/esm/api');
  register();
  return new URL(`src/${rel}.ts`, root).href;
}

function newestMtime(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}
