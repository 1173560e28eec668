import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { readRejects } from '../../src/core/rejects.ts';
import { fetchTcia } from '../../src/pipeline/fetchTcia.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { openSeriesZip } from '../../src/preprocess/zipSource.ts';
import { seriesLimits } from '../../src/tcia/seriesLimits.ts';
import { bombEntry, buildZip, deflatedEntry, storedEntry } from './zipBuild.ts';
import { COLLECTION, bombZip, ctSeriesZip, startHostileTcia } from './tciaWorld.ts';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-hostile-zip-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const MiB = 1024 * 1024;
const FAST = { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 };

describe('fetch against a hostile TCIA: bombs, oversized bodies, STORED ZIPs', () => {
  it('accepts a STORED ZIP, rejects bombs (honest or lying headers) and a body larger than the catalog allows', async () => {
    const stored = await ctSeriesZip('1.2.826.1.1', 3, false);
    const deflated = await ctSeriesZip('1.2.826.1.2', 3, true);
    const series = [
      { uid: '1.2.826.1.1', imageCount: 3, fileSize: stored.fileSize, body: stored.zip },
      { uid: '1.2.826.1.2', imageCount: 3, fileSize: deflated.fileSize, body: deflated.zip },
      // 64 MiB of zeros declared honestly; the catalog says 13 kB.
      { uid: '1.2.826.1.3', imageCount: 1, fileSize: 13_000, body: bombZip(bombEntry('1-1.dcm', 64 * MiB)) },
      // The same bomb claiming 4 kB.
      { uid: '1.2.826.1.4', imageCount: 1, fileSize: 13_000, body: bombZip(bombEntry('1-1.dcm', 64 * MiB, 4096)) },
      // A 1 MiB body for a series the catalog says is 12.8 kB.
      { uid: '1.2.826.1.5', imageCount: 1, fileSize: 12_800, body: Buffer.alloc(3 * MiB, 1) },
    ];
    const server = await startHostileTcia(series);
    const dataDir = tempDir();
    const ctx = createRunContext({ dataDir, logger: memoryLogger(), tty: false });
    try {
      const r = await fetchTcia({ apiUrl: server.url, collections: [COLLECTION], retry: FAST, concurrency: 2, maxRejectRate: 1, throwOnBudget: false }, ctx);
      expect(r.counts.verified).toBe(2);
      const failed = Object.fromEntries(r.failedSeries.map((f) => [f.seriesUid, f.code]));
      expect(failed).toEqual({ '1.2.826.1.3': 'ZIP_TOO_LARGE', '1.2.826.1.4': 'ZIP_TOO_LARGE', '1.2.826.1.5': 'RESPONSE_TOO_LARGE' });
      // Refusals of what the server deliberately sent are not retried.
      expect(server.hits.get('getImage')).toBe(5);
      const rejects = readRejects(ctx.paths.rejects);
      expect(rejects.map((x) => x.key).sort()).toEqual(['1.2.826.1.3', '1.2.826.1.4', '1.2.826.1.5']);
      const rec = JSON.parse(fs.readFileSync(ctx.paths.rawSidecar(COLLECTION, '1.2.826.1.1'), 'utf8')) as { md5Verified: boolean; imageCount: number };
      expect(rec).toMatchObject({ md5Verified: true, imageCount: 3 });
      expect(fs.readdirSync(ctx.paths.rawDir(COLLECTION)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('ZIP reading stays within what the archive may hold', () => {
  it('verifySeriesZip reads STORED entries (with and without md5hashes.csv)', async () => {
    const dir = tempDir();
    const { zip } = await ctSeriesZip('1.2.826.2.1', 2, false);
    fs.writeFileSync(path.join(dir, 's.zip'), zip);
    expect(await verifySeriesZip(path.join(dir, 's.zip'), 2)).toMatchObject({ imageCount: 2, md5Verified: true });
    fs.writeFileSync(path.join(dir, 'h.zip'), buildZip([storedEntry('a.dcm', Buffer.alloc(1000, 3)), deflatedEntry('b.dcm', Buffer.alloc(1000, 4))]));
    expect(await verifySeriesZip(path.join(dir, 'h.zip'), 2)).toMatchObject({ imageCount: 2, md5Verified: false });
  });

  it('an entry that inflates past its declared size is refused by both readers; so is one that declares too much', async () => {
    const dir = tempDir();
    const lying = path.join(dir, 'lying.zip');
    fs.writeFileSync(lying, bombZip(bombEntry('1-1.dcm', 32 * MiB, 4096)));
    await expect(verifySeriesZip(lying, 1)).rejects.toMatchObject({ code: 'ZIP_TOO_LARGE' });
    const src = await openSeriesZip(lying);
    await expect(src.files[0]!.read()).rejects.toThrow(/inflates past the 4096 bytes/);
    await expect(src.files[0]!.readPrefix(1024)).rejects.toThrow(/inflates past the 4096 bytes/);
    src.close();
    const honest = path.join(dir, 'honest.zip');
    fs.writeFileSync(honest, bombZip(bombEntry('1-1.dcm', 32 * MiB)));
    await expect(verifySeriesZip(honest, 1, seriesLimits(1, 13_000))).rejects.toMatchObject({ code: 'ZIP_TOO_LARGE' });
    const src2 = await openSeriesZip(honest, 16 * MiB);
    await expect(src2.files[0]!.read()).rejects.toThrow(/more than the 16777216 allowed/);
    src2.close();
  });

  it('series limits follow the catalog: twice FileSize when stated, ImageCount × the per-image maximum otherwise', () => {
    expect(seriesLimits(10, 5 * MiB).maxImagesBytes).toBe(11 * MiB);
    expect(seriesLimits(2, undefined, 100).maxImagesBytes).toBe(200);
    expect(seriesLimits(1, 12_800).maxZipBytes).toBeLessThan(3 * MiB);
  });
});
