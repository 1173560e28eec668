import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TciaClient } from '../../src/tcia/client.ts';
import { HttpStatusError } from '../../src/http/index.ts';
import { parseTciaManifest } from '../../src/tcia/tciaManifest.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { startStandIn, type StandInServer, type FaultKind } from '../../src/standins/tcia/index.ts';
import { memoryLogger } from '../../src/core/log.ts';
import type { TciaSeriesRow } from '../../src/core/catalog.ts';
import { removeTempDirs, tempDir, tinyCollections } from './fetchFixture.ts';

let server: StandInServer;
let client: TciaClient;
let series: TciaSeriesRow[] = [];
const FAST = { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 12 };

beforeAll(async () => {
  server = await startStandIn({ dataDir: await tinyCollections(), port: 0, seed: 7 });
  client = new TciaClient({ apiUrl: server.url, retry: FAST });
  for (const c of await client.getCollectionValues()) series.push(...(await client.getSeries({ Collection: c })));
});

afterAll(async () => {
  client?.close();
  await server?.close();
  removeTempDirs();
});

const imageSeries = () => series.filter((s) => ['CT', 'MR', 'PT', 'CR', 'DX', 'MG'].includes(String(s.Modality)));

describe('TciaClient against the stand-in', () => {
  it('lists collections, modalities and body parts (value lists, `{}` values dropped)', async () => {
    const collections = await client.getCollectionValues();
    expect(collections.map((c) => c.toUpperCase())).toContain('SYN-LUNGCT-CHEST');
    const mods = await client.getModalityValues({ Collection: 'SYN-LungCT-Chest' });
    expect(mods).toEqual(expect.arrayContaining(['CT', 'SEG', 'RTSTRUCT']));
    expect((await client.getBodyPartValues({ Collection: 'SYN-LungCT-Chest' })).length).toBeGreaterThan(0);
  });

  it('getSeries rows carry UIDs and numeric counts; an unknown collection is an empty result, not an error', async () => {
    expect(series.length).toBeGreaterThan(8);
    for (const s of series) {
      expect(s.SeriesInstanceUID).toMatch(/^[0-9.]+$/);
      expect(typeof s.ImageCount).toBe('number');
    }
    expect(await client.getSeries({ Collection: 'No-Such-Collection' })).toEqual([]);
    const one = series[0]!;
    expect((await client.getSeries({ SeriesInstanceUID: one.SeriesInstanceUID! })).map((r) => r.SeriesInstanceUID)).toEqual([one.SeriesInstanceUID]);
  });

  it('patients, studies, sizes, SOP UIDs, updates and new patients', async () => {
    const s = imageSeries()[0]!;
    const patients = await client.getPatient({ Collection: s.Collection! });
    expect(patients.map((p) => p.PatientId)).toContain(s.PatientID);
    const studies = await client.getPatientStudy({ Collection: s.Collection!, PatientID: s.PatientID! });
    expect(studies.map((x) => x.StudyInstanceUID)).toContain(s.StudyInstanceUID);
    const size = await client.getSeriesSize(s.SeriesInstanceUID!);
    expect(size?.ObjectCount).toBe(s.ImageCount);
    expect(await client.getSOPInstanceUIDs(s.SeriesInstanceUID!)).toHaveLength(s.ImageCount!);
    expect((await client.getUpdatedSeries(new Date('1990-01-01'))).length).toBe(series.length);
    expect(await client.getUpdatedSeries(new Date('2100-01-01'))).toEqual([]);
    expect((await client.newPatientsInCollection(s.Collection!, new Date('1990-01-01'))).length).toBe(patients.length);
  });

  it('getManifestText returns a .tcia manifest of the series asked for', async () => {
    const uids = imageSeries().slice(0, 3).map((s) => s.SeriesInstanceUID!);
    const m = parseTciaManifest(await client.getManifestText(uids));
    expect(m.seriesUids).toEqual(uids);
    expect(m.manifestVersion).toBeDefined();
  });

  it('refuses to send a parameter the endpoint does not list; a 400 is reported with the server text and not retried', async () => {
    await expect(client.getRows('getSeries', { Format: 'json' })).rejects.toThrow(TypeError);
    const before = server.stats().requests;
    const err = await client.downloadSeries('1.2.3.999', path.join(tempDir('c400'), 'x.zip')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(400);
    expect((err as HttpStatusError).body).toMatch(/not been granted the access/);
    expect(server.stats().requests - before).toBe(1);
  });

  it('downloads a series to disk; the ZIP verifies against ImageCount and md5hashes.csv', async () => {
    const s = imageSeries()[0]!;
    const dest = path.join(tempDir('dl'), 'a.zip');
    const got = await client.downloadSeries(s.SeriesInstanceUID!, dest, { verify: async (tmp) => void (await verifySeriesZip(tmp, s.ImageCount!)) });
    expect(got.bytes).toBe(fs.statSync(dest).size);
    const v = await verifySeriesZip(dest, s.ImageCount!);
    expect(v.md5Verified).toBe(true);
    expect(v.entries[0]!.name).toMatch(/^\d+-\d+\.dcm$/); // NewFileNames=Yes
  });

  const kinds: FaultKind[] = ['429', '500', '503', 'reset', 'truncate', 'short'];
  it.each(kinds)('fault %s: every series still ends verified after retries', async (kind) => {
    const log = memoryLogger();
    const c = new TciaClient({ apiUrl: server.url, retry: FAST, log });
    server.setFaults({ faultRate: 0.4, faults: [kind] });
    const before = server.stats().faults[kind] ?? 0;
    const dir = tempDir(`fault-${kind}`);
    try {
      const list = imageSeries();
      await Promise.all(
        list.map(async (s) => {
          const dest = path.join(dir, `${s.SeriesInstanceUID}.zip`);
          await c.downloadSeries(s.SeriesInstanceUID!, dest, { verify: async (tmp) => void (await verifySeriesZip(tmp, s.ImageCount!)) });
          expect((await verifySeriesZip(dest, s.ImageCount!)).md5Verified).toBe(true);
        }),
      );
      expect((server.stats().faults[kind] ?? 0) - before).toBeGreaterThan(0);
      expect(fs.readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      if (kind === '429') expect(log.lines.some((l) => /retrying .*delayMs=1000/.test(l))).toBe(true); // Retry-After: 1
    } finally {
      server.setFaults({ faultRate: 0 });
      c.close();
    }
  });
});
