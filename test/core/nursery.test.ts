import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * In a fresh process (vitest's own nursery has long grown): the same allocation pattern — batches
 * of short strings, all kept — leaves V8's young generation at its size under withSteadyNursery and
 * grows it without (so the check can fail).
 */
const script = `
import v8 from 'node:v8';
const { withSteadyNursery } = await import(${JSON.stringify(pathToFileURL(path.resolve(import.meta.dirname, '../../src/core/nursery.ts')).href)});
const newSpace = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
const churn = async () => { const keep = []; for (let i = 0; i < 300; i++) { keep.push(Array.from({ length: 2000 }, (_, j) => 'row ' + i + ' ' + j)); await null; } return keep.length; };
const before = newSpace();
await withSteadyNursery(churn);
const steady = newSpace();
await churn();
console.log(JSON.stringify({ before, steady, after: newSpace() }));
`;

describe('withSteadyNursery', () => {
  it('keeps the young generation at its size while the function runs, and lets it grow again after', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { before, steady, after } = JSON.parse(r.stdout) as { before: number; steady: number; after: number };
    expect(steady).toBe(before);
    expect(after).toBeGreaterThan(steady);
  });
});
