import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import type { RawSeriesRecord } from '../../src/core/types.ts';
import { ObjectStore, readIdcIndex, resolveEndpoint } from '../../src/idc/index.ts';
import { fetchAuto } from '../../src/pipeline/fetchAuto.ts';
import { validateFetchOptions } from '../../src/pipeline/index.ts';
import { startS3StandIn, writeIdcIndexParquet, type S3StandIn } from '../../src/standins/s3/index.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';
import { removeTempDirs, tempDir, tinyCollections } from '../tcia/fetchFixture.ts';

let s3: S3StandIn;
let tcia: StandInServer;
beforeAll(async () => {
  const synth = await tinyCollections();
  s3 = await startS3StandIn({ dataDir: synth, seed: 4 });
  tcia = await startStandIn({ dataDir: synth, port: 0, seed: 4 });
});
afterAll(async () => {
  await s3?.close();
  await tcia?.close();
  removeTempDirs();
});

describe('source auto', () => {
  it('takes each planned series from IDC when the index has it, from TCIA otherwise, and records which', async () => {
    const dir = tempDir('auto');
    const store = new ObjectStore({ endpoint: s3.url });
    const full = path.join(dir, 'full.parquet');
    await store.downloadUrl(s3.indexUrl, full);
    store.close();
    // An index that lacks every CT series: those must come from TCIA.
    const rows = (await readIdcIndex(full)).series;
    const partial = path.join(dir, 'partial.parquet');
    await writeIdcIndexParquet(partial, rows.filter((r) => r.Modality !== 'CT'), 'partial-1');
    const ctx = createRunContext({ dataDir: path.join(dir, 'data'), logger: memoryLogger(), tty: false });
    const tciaOpts = validateFetchOptions({ apiUrl: tcia.url, collections: ['SYN-LungCT-Chest', 'SYN-BrainMR'], retry: { baseDelayMs: 5, maxAttempts: 4 } });
    const r = await fetchAuto({ tcia: tciaOpts, idc: { index: partial, endpoint: resolveEndpoint(s3.url), concurrency: 4 } }, ctx);
    expect(r.failedSeries).toEqual([]);
    const ct = r.plan.series.filter((s) => s.modality === 'CT');
    expect(ct.length).toBeGreaterThan(0);
    expect(r.servedBy).toEqual({ idc: r.plan.series.length - ct.length, tcia: ct.length });
    const sources = JSON.parse(fs.readFileSync(path.join(dir, 'data', 'plans', 'fetch.sources.json'), 'utf8')) as { series: Record<string, string> };
    for (const s of r.plan.series) {
      const want = s.modality === 'CT' ? 'tcia' : 'idc';
      expect(sources.series[s.seriesUid]).toBe(want);
      const rec = JSON.parse(fs.readFileSync(ctx.paths.rawSidecar(s.collection, s.seriesUid), 'utf8')) as RawSeriesRecord;
      expect(rec.source ?? 'tcia').toBe(want);
    }
  });
});
