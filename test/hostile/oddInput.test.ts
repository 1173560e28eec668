import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { readRejects } from '../../src/core/rejects.ts';
import { dataPaths, safeSegment } from '../../src/core/paths.ts';
import { fetchTcia } from '../../src/pipeline/fetchTcia.ts';
import { ctSlice } from '../preprocess/preprocessFixtures.ts';
import { COLLECTION, ctSeriesZip, startHostileTcia } from './tciaWorld.ts';
import { sendBody, startHostile } from './server.ts';

/** Odd input from outside is a reject (or an exclusion) with a reason, never a BUG. */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-odd-'));
  fs.chmodSync(d, 0o777);
  dirs.push(d);
  return d;
}

describe('odd input from outside', () => {
  it('a 10 kB Collection name in getSeries excludes that series; the others are fetched', async () => {
    const good = await ctSeriesZip('1.2.826.7.1', 2, true);
    const server = await startHostile((_req, res, endpoint) => {
      if (endpoint === 'getCollectionValues') return sendBody(res, JSON.stringify([{ Collection: COLLECTION }]));
      if (endpoint === 'getSeries') {
        const row = (uid: string, collection: string) => ({ Collection: collection, PatientID: 'P', StudyInstanceUID: '1.9', SeriesInstanceUID: uid, Modality: 'CT', ImageCount: 2, FileSize: good.fileSize });
        return sendBody(res, JSON.stringify([row('1.2.826.7.1', COLLECTION), row('1.2.826.7.2', 'X'.repeat(10_000)), row('9'.repeat(10_000), COLLECTION)]));
      }
      return sendBody(res, good.zip);
    });
    const dataDir = tempDir();
    try {
      const r = await fetchTcia({ apiUrl: server.url, collections: [COLLECTION], retry: { maxAttempts: 1 } }, createRunContext({ dataDir, logger: memoryLogger(), tty: false }));
      expect(r.counts.verified).toBe(1);
      expect(r.excluded.filter((e) => e.reason === 'invalid-row').reduce((a, e) => a + e.series, 0)).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('every path segment fits a file name, distinct names stay distinct', () => {
    const a = safeSegment('é'.repeat(5000));
    const b = safeSegment('é'.repeat(5001));
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(200);
    expect(a).not.toBe(b);
    expect(safeSegment('LIDC-IDRI')).toBe('LIDC-IDRI');
  });

  it('etl import folder: an unreadable sub-folder and an unreadable file are rejects with the reason; readable files are imported', async () => {
    const dir = tempDir();
    const data = tempDir();
    for (const sub of ['a', 'locked']) fs.mkdirSync(path.join(dir, sub));
    for (let i = 1; i <= 3; i++) fs.writeFileSync(path.join(dir, 'a', `${i}.dcm`), ctSlice({ seriesUid: '1.2.826.8.1', sopUid: `1.2.826.8.1.${i}`, instanceNumber: i }));
    fs.writeFileSync(path.join(dir, 'a', 'secret.dcm'), ctSlice({ seriesUid: '1.2.826.8.1', sopUid: '1.2.826.8.1.9', instanceNumber: 9 }));
    fs.writeFileSync(path.join(dir, 'locked', 'x.dcm'), 'x');
    fs.chmodSync(path.join(dir, 'a', 'secret.dcm'), 0o000);
    fs.chmodSync(path.join(dir, 'locked'), 0o000);
    for (const p of [dir, path.join(dir, 'a')]) fs.chmodSync(p, 0o755);
    for (const f of ['1.dcm', '2.dcm', '3.dcm']) fs.chmodSync(path.join(dir, 'a', f), 0o644);
    // Root reads anything: run the CLI as nobody there, so the permissions apply.
    const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const child = spawn(process.execPath, ['bin/etl.js', 'import', 'folder', dir, '--dataset', 'ODD', '--modality', 'CT', '--data-dir', data, '--max-reject-rate', '1'], {
      cwd: root, stdio: ['ignore', 'ignore', 'pipe'], ...asNobody, env: { ...process.env, HOME: data },
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(stderr).not.toMatch(/BUG/);
    expect(code).toBe(0);
    const rejects = readRejects(dataPaths(data).rejects);
    expect(rejects.map((r) => `${r.file} ${r.code}`).sort()).toEqual(['a/secret.dcm FILE_UNREADABLE', 'locked/ FILE_UNREADABLE']);
    expect(rejects.every((r) => /EACCES/.test(r.reason))).toBe(true);
  });
});
