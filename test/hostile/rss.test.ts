import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readRejects } from '../../src/core/rejects.ts';
import { dataPaths } from '../../src/core/paths.ts';
import { ctSeries, writeRawSeries } from '../preprocess/preprocessFixtures.ts';
import { bombEntry } from './zipBuild.ts';
import { COLLECTION, bombZip, startHostileTcia } from './tciaWorld.ts';

/**
 * Peak memory against zip bombs, measured by the process's own accounting (maxRSS of a child running
 * the real CLI), never by timing. Each bomb inflates to 1 GiB; a reader that inflated it would
 * peak well above 1 GiB, a bounded one stays near the process's baseline.
 */
const GiB = 1024 * 1024 * 1024;
/** The CLI's baseline on this machine is ~200 MB (tsx, yargs, the worker pools); a bomb would add ≥ 1 GiB. */
const BUDGET_KB = 600 * 1024;
const preload = fileURLToPath(new URL('./reportRss.mjs', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-hostile-rss-'));
  dirs.push(d);
  return d;
}

async function etl(args: string[]): Promise<{ code: number | null; maxRssKb: number; stderr: string }> {
  const out = path.join(tempDir(), 'rss');
  const child = spawn(process.execPath, ['--import', preload, 'bin/etl.js', ...args], {
    cwd: root,
    env: { ...process.env, MEDIMG_RSS_OUT: out },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, maxRssKb: Number(fs.readFileSync(out, 'utf8')), stderr };
}

describe('peak RSS stays flat whatever a ZIP claims', () => {
  it('etl fetch: a 1 GiB bomb claiming 4 kB is refused without inflating it', async () => {
    const server = await startHostileTcia([{ uid: '1.2.826.3.1', imageCount: 1, fileSize: 13_000, body: bombZip(bombEntry('1-1.dcm', GiB, 4096)) }]);
    const dataDir = tempDir();
    try {
      const r = await etl(['fetch', 'tcia', '--api-url', server.url, '--collection', COLLECTION, '--data-dir', dataDir, '--max-reject-rate', '1']);
      expect(r.stderr).not.toMatch(/BUG/);
      expect(readRejects(dataPaths(dataDir).rejects).map((x) => x.code)).toEqual(['ZIP_TOO_LARGE']);
      expect(r.maxRssKb).toBeGreaterThan(0);
      expect(r.maxRssKb).toBeLessThan(BUDGET_KB);
    } finally {
      await server.close();
    }
  });

  it('etl preprocess: ZIPs in raw/ whose entries inflate to 1 GiB (lying or honest headers) are rejected, memory bounded', async () => {
    const dataDir = tempDir();
    const paths = dataPaths(dataDir);
    for (const [uid, declared] of [['1.2.826.4.1', 4096], ['1.2.826.4.2', GiB]] as const) {
      await writeRawSeries(dataDir, { collection: 'BOMBS', seriesUid: uid, entries: ctSeries(uid, 1) });
      // The verified ZIP is replaced behind the sidecar's back (a disk, a copy or an older version).
      fs.writeFileSync(paths.rawZip('BOMBS', uid), bombZip(bombEntry('1-01.dcm', GiB, declared)));
    }
    const r = await etl(['preprocess', '--data-dir', dataDir, '--size', '32', '--max-reject-rate', '1']);
    expect(r.stderr).not.toMatch(/BUG/);
    const rejects = readRejects(paths.rejects);
    expect(rejects.map((x) => x.reason).join('\n')).toMatch(/inflates past the 4096 bytes/);
    expect(rejects.map((x) => x.reason).join('\n')).toMatch(/declares 1073741824 bytes, more than the/);
    expect(r.maxRssKb).toBeLessThan(BUDGET_KB);
  });
});
