import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { EnvironmentError, exitCodeOf, formatError, LockedError } from '../../src/core/errors.ts';
import { writeFileAtomic } from '../../src/core/fsAtomic.ts';
import { dataPaths } from '../../src/core/paths.ts';
import { readRejects, RejectsSink } from '../../src/core/rejects.ts';
import { acquireLock, bootId, processStart } from '../../src/pipeline/lock.ts';
import { ctSeries, writeRawSeries } from '../preprocess/preprocessFixtures.ts';
import { COLLECTION, ctSeriesZip, startHostileTcia } from './tciaWorld.ts';

/**
 * The environment is not a bug: a full disk, a quota, a read-only or forbidden path end the command
 * with one line naming the path and exit 74, without retry loops or half-written files.
 * The full-disk cases mount a small tmpfs (root only; they skip with the reason elsewhere).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-env-'));
  dirs.push(d);
  return d;
}

/** A tmpfs of `kb` kB, or undefined when this machine does not let us mount one. */
function smallDisk(kb: number): string | undefined {
  const d = tempDir();
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k`, 'tmpfs', d], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  mounts.push(d);
  return d;
}
const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-env-probe-'));
  const ok = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', d]).status === 0;
  if (ok) spawnSync('umount', [d]);
  fs.rmSync(d, { recursive: true, force: true });
  return ok;
})();

function fill(dir: string): void {
  // Fill the file system up to the last byte.
  try {
    fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(64 << 20));
  } catch {
    /* ENOSPC: full now */
  }
}

async function etl(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['bin/etl.js', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stderr };
}

function tempFilesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => path.basename(f).endsWith('.tmp'));
}

describe('environment errors', () => {
  it('a system ENOSPC/EDQUOT/EACCES/EROFS is exit 74 with one line naming the path', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EACCES', 'EROFS']) {
      const raw = Object.assign(new Error(`${code}: oops, write '/data/x'`), { code, path: '/data/x' });
      expect(exitCodeOf(raw)).toBe(74);
      expect(formatError(raw)).toMatch(new RegExp(`^error ENV_${code}: .*: /data/x\\n  hint: `));
      expect(formatError(raw)).not.toMatch(/BUG|\n\s+at /);
    }
  });

  it('rejects.jsonl: a failed append leaves no partial line and says which file; a cut last line is repaired and tolerated', () => {
    const full = new RejectsSink('/dev/full');
    const err = (() => {
      try {
        full.record({ stage: 'fetch', key: 'k', error: new Error('x') });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).message).toBe('no space left on the device: /dev/full');

    const file = path.join(tempDir(), 'rejects.jsonl');
    fs.writeFileSync(file, '{"stage":"fetch","key":"a","code":"X","reason":"r","time":"t"}\n{"stage":"fetch","ke');
    expect(readRejects(file).map((r) => r.key)).toEqual(['a']);
    new RejectsSink(file).record({ stage: 'fetch', key: 'b', error: new Error('y') });
    expect(fs.readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    expect(readRejects(file).map((r) => r.key)).toEqual(['a', 'b']);
  });

  it.skipIf(!canMount)('etl fetch on a full disk: exit 74 naming the path, no retries, no temp or unverified files', async () => {
    const { zip, fileSize } = await ctSeriesZip('1.2.826.5.1', 24, false);
    const server = await startHostileTcia([{ uid: '1.2.826.5.1', imageCount: 24, fileSize, body: zip }]);
    const dataDir = smallDisk(160)!;
    try {
      const r = await etl(['fetch', 'tcia', '--api-url', server.url, '--collection', COLLECTION, '--data-dir', dataDir, '--concurrency', '1']);
      expect(r.code).toBe(74);
      expect(r.stderr).toMatch(/^error ENV_ENOSPC: no space left on the device: .*1\.2\.826\.5\.1\.zip/m);
      expect(r.stderr).not.toMatch(/BUG|\n\s+at /);
      expect(server.hits.get('getImage')).toBe(1);
      expect(tempFilesUnder(dataDir)).toEqual([]);
      expect(fs.existsSync(dataPaths(dataDir).rawZip(COLLECTION, '1.2.826.5.1'))).toBe(false);
    } finally {
      await server.close();
    }
  });

  it.skipIf(!canMount)('etl preprocess on a full disk: exit 74, no staging file or temp left', async () => {
    const dataDir = smallDisk(512)!;
    await writeRawSeries(dataDir, { collection: 'C', seriesUid: '1.2.826.6.1', entries: ctSeries('1.2.826.6.1', 3) });
    fill(dataDir);
    const r = await etl(['preprocess', '--data-dir', dataDir, '--size', '32']);
    expect(r.code).toBe(74);
    expect(r.stderr).toMatch(/^error ENV_ENOSPC: no space left on the device: /m);
    expect(r.stderr).not.toMatch(/BUG/);
    expect(tempFilesUnder(dataDir)).toEqual([]);
  });

  it.skipIf(!canMount)('writeFileAtomic on a full disk removes its temp file', async () => {
    const d = smallDisk(64)!;
    fill(d);
    await expect(writeFileAtomic(path.join(d, 'x.json'), 'y'.repeat(100_000))).rejects.toMatchObject({ code: 'ENV_ENOSPC' });
    expect(fs.readdirSync(d)).toEqual(['filler']);
  });
});

describe('the pipeline lock knows its holder by more than the pid', () => {
  const lockOf = (extra: Record<string, unknown>) => JSON.stringify({ host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', pipeline: 'p', ...extra });

  it('a lock whose pid now belongs to a live, unrelated process is stale (start time or boot differ); a live holder is respected', () => {
    const file = path.join(tempDir(), 'p.lock');
    const live = process.ppid; // alive, and not the lock's holder
    const start = processStart(live);
    if (start !== undefined) {
      fs.writeFileSync(file, lockOf({ pid: live, pidStart: String(Number(start) + 12345), bootId: bootId() }));
      const taken = acquireLock(file, 'p');
      expect(taken.tookOver?.pid).toBe(live);
      taken.release();
      fs.writeFileSync(file, lockOf({ pid: live, pidStart: start, bootId: '00000000-0000-0000-0000-000000000000' }));
      expect(acquireLock(file, 'p').tookOver?.pid).toBe(live);
      fs.rmSync(file);
      // The real holder (same pid, same start, same boot) is respected: exit 75.
      fs.writeFileSync(file, lockOf({ pid: live, pidStart: start, bootId: bootId() }));
      expect(() => acquireLock(file, 'p')).toThrow(LockedError);
      fs.rmSync(file);
    }
    const mine = acquireLock(file, 'p');
    expect(mine.info.token).toMatch(/^[0-9a-f]{16}$/);
    expect(() => acquireLock(file, 'p')).toThrow(LockedError);
    mine.release();
    expect(fs.existsSync(file)).toBe(false);
  });
});
