import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { ConfigError, RejectBudgetError } from '../../src/core/errors.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { readRejects } from '../../src/core/rejects.ts';
import type { RawSeriesRecord } from '../../src/core/types.ts';
import { loadPlan } from '../../src/curate/plan.ts';
import { TciaClient } from '../../src/tcia/client.ts';
import { fetchTcia, validateFetchOptions, type FetchTciaOptions } from '../../src/pipeline/fetchTcia.ts';
import { startStandIn, FAULT_KINDS, type StandInServer } from '../../src/standins/tcia/index.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { removeTempDirs, tempDir, tinyCollections } from '../tcia/fetchFixture.ts';

let server: StandInServer;
let collections: string[] = [];
const FAST = { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 10 };

beforeAll(async () => {
  server = await startStandIn({ dataDir: await tinyCollections(), port: 0, seed: 3 });
  const c = new TciaClient({ apiUrl: server.url });
  collections = await c.getCollectionValues();
  c.close();
});
afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

function ctxFor(dataDir: string): RunContext {
  return createRunContext({ dataDir, logger: memoryLogger(), tty: false });
}

function run(dataDir: string, extra: Partial<FetchTciaOptions> = {}) {
  return fetchTcia({ apiUrl: server.url, collections, retry: FAST, concurrency: 4, ...extra }, ctxFor(dataDir));
}

/** Every sidecar under raw/, checked against its ZIP. */
async function verifiedOnDisk(dataDir: string): Promise<Map<string, RawSeriesRecord>> {
  const out = new Map<string, RawSeriesRecord>();
  const raw = path.join(dataDir, 'raw');
  for (const c of fs.existsSync(raw) ? fs.readdirSync(raw) : []) {
    for (const f of fs.readdirSync(path.join(raw, c))) {
      expect(f.endsWith('.tmp')).toBe(false);
      if (!f.endsWith('.json')) continue;
      const rec = JSON.parse(fs.readFileSync(path.join(raw, c, f), 'utf8')) as RawSeriesRecord;
      const zip = path.join(raw, c, f.replace(/\.json$/, '.zip'));
      expect(fs.statSync(zip).size).toBe(rec.zipBytes);
      expect((await verifySeriesZip(zip, rec.imageCount)).md5Verified).toBe(true);
      expect(rec.zipSha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(zip)).digest('hex'));
      expect(out.has(rec.seriesUid)).toBe(false);
      out.set(rec.seriesUid, rec);
    }
  }
  return out;
}

describe('fetchTcia', () => {
  it('catalogs, plans and downloads every image series verified; non-image series are excluded and counted', async () => {
    const dir = tempDir('fetch');
    const r = await run(dir);
    expect(r.planned).toBeGreaterThan(8);
    expect(r.counts.verified).toBe(r.planned);
    expect(r.failedSeries).toEqual([]);
    const notMapped = r.excluded.filter((e) => e.reason === 'modality-not-mapped').map((e) => e.modality).sort();
    expect(notMapped).toEqual(['RTSTRUCT', 'SEG', 'SR']);
    const onDisk = await verifiedOnDisk(dir);
    expect([...onDisk.keys()].sort()).toEqual(r.plan.series.map((s) => s.seriesUid).sort());
    for (const s of r.plan.series) expect(onDisk.get(s.seriesUid)!.planned).toEqual(s);
    for (const c of collections) {
      const snap = JSON.parse(fs.readFileSync(path.join(dir, 'catalog', `${c}.json`), 'utf8'));
      expect(snap.collection).toBe(c);
      expect(snap.apiUrl).toBe(server.url);
      expect(snap.series.length).toBeGreaterThan(0);
    }
    expect(loadPlan(path.join(dir, 'plans', 'fetch.json'))).toEqual(JSON.parse(JSON.stringify(r.plan)));

    // A rerun skips everything; a new cap rewrites only the sidecars whose plan entry changed.
    const again = await run(dir);
    expect(again.counts.skipped).toBe(r.planned);
    expect(again.bytes).toBe(0);
    const capped = await run(dir, { caps: { CT: 1 }, planName: 'capped' });
    const ctSeries = capped.plan.series.filter((s) => s.label === 'CT');
    expect(ctSeries).toHaveLength(1);
    expect(ctSeries[0]!.keep).toBe(1);
    expect(capped.counts.updated).toBeGreaterThan(0);
    expect(capped.bytes).toBe(0);
    expect((await verifiedOnDisk(dir)).get(ctSeries[0]!.seriesUid)!.planned.keep).toBe(1);
  });

  it('resume paths: a lost sidecar is recovered without download; --verify-existing catches a same-size corrupt ZIP', async () => {
    const dir = tempDir('fetch-resume');
    const opts = { collections: ['SYN-BrainMR', 'SYN-ChestCR'] };
    const first = await run(dir, opts);
    const [a, b] = first.plan.series;
    fs.rmSync(path.join(dir, 'raw', a!.collection, `${a!.seriesUid}.json`));
    const zipB = path.join(dir, 'raw', b!.collection, `${b!.seriesUid}.zip`);
    const bytes = fs.readFileSync(zipB);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = bytes[mid]! ^ 0xff; // same size, different content
    fs.writeFileSync(zipB, bytes);
    const cheap = await run(dir, opts);
    expect(cheap.counts.recovered).toBe(1);
    expect(cheap.counts.skipped).toBe(first.planned - 1); // the size check does not see the flipped byte
    expect(cheap.bytes).toBe(0);
    const full = await run(dir, { ...opts, verifyExisting: true });
    expect(full.counts.verified).toBe(1);
    expect(full.counts.skipped).toBe(first.planned - 1);
    expect((await verifiedOnDisk(dir)).size).toBe(first.planned);
  });

  it('an abort stops the downloads, keeps what is verified and leaves no temp files', async () => {
    server.setFaults({ bandwidthMbps: 2, latencyMs: 50 });
    const dir = tempDir('fetch-abort');
    const controller = new AbortController();
    const ctx = createRunContext({ dataDir: dir, logger: memoryLogger(), tty: false, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('interrupted')), 1500);
    try {
      const r = await fetchTcia({ apiUrl: server.url, collections, retry: FAST, concurrency: 2 }, ctx);
      const done = r.counts.verified + r.counts.failed;
      expect(done).toBeLessThan(r.planned);
      expect(r.counts.failed).toBe(0);
      expect((await verifiedOnDisk(dir)).size).toBe(r.counts.verified);
    } finally {
      server.setFaults({ bandwidthMbps: 100_000, latencyMs: 0 });
    }
  });

  it('under a 10 % fault rate with every fault kind, every series still ends verified', async () => {
    server.setFaults({ faultRate: 0.1, faults: [...FAULT_KINDS] });
    try {
      const dir = tempDir('fetch-faults');
      const r = await run(dir, { concurrency: 6 });
      expect(r.failedSeries).toEqual([]);
      expect(r.counts.verified).toBe(r.planned);
      expect((await verifiedOnDisk(dir)).size).toBe(r.planned);
      expect(Object.values(server.stats().faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    } finally {
      server.setFaults({ faultRate: 0 });
    }
  });

  it('a series that never verifies is recorded as a reject and the run goes on; past the budget it fails with exit 3', async () => {
    server.setFaults({ faultRate: 1, faults: ['short'] });
    const dir = tempDir('fetch-short');
    try {
      const err = await run(dir, { retry: { ...FAST, maxAttempts: 2 }, collections: ['SYN-BrainMR'] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RejectBudgetError);
      expect((err as RejectBudgetError).exitCode).toBe(3);
      const planned = loadPlan(path.join(dir, 'plans', 'fetch.json')).series.length;
      expect(planned).toBe(2); // two MR series; the SR is excluded
      const rejects = readRejects(path.join(dir, 'rejects.jsonl'));
      expect(rejects.length).toBe(planned);
      expect(new Set(rejects.map((x) => `${x.stage}:${x.code}`))).toEqual(new Set(['fetch:IMAGE_COUNT_MISMATCH']));
      expect((await verifiedOnDisk(dir)).size).toBe(0);
    } finally {
      server.setFaults({ faultRate: 0 });
    }
    const r = await run(dir, { collections: ['SYN-BrainMR'] });
    expect(r.counts.verified).toBe(2);
  });

  it('partitions: the union of 0/2 and 1/2 is the whole plan, fetched once', async () => {
    const dir = tempDir('fetch-part');
    const whole = (await run(tempDir('fetch-whole'), { planOnly: true })).plan.series.map((s) => s.seriesUid).sort();
    const a = await run(dir, { partition: { index: 0, count: 2 }, planName: 'p0' });
    const b = await run(dir, { partition: { index: 1, count: 2 }, planName: 'p1' });
    expect(a.planned + b.planned).toBe(whole.length);
    expect([...a.plan.series, ...b.plan.series].map((s) => s.seriesUid).sort()).toEqual(whole);
    expect([...(await verifiedOnDisk(dir)).keys()].sort()).toEqual(whole);
  });

  it('fetches the series of a .tcia manifest, grouped by collection', async () => {
    const c = new TciaClient({ apiUrl: server.url });
    const uids = [
      ...(await c.getSeries({ Collection: 'SYN-BrainMR' })).filter((s) => s.Modality === 'MR').slice(0, 2),
      ...(await c.getSeries({ Collection: 'SYN-ChestCR' })).slice(0, 1),
    ].map((s) => s.SeriesInstanceUID!);
    const text = await c.getManifestText(uids);
    c.close();
    const dir = tempDir('fetch-tcia');
    const file = path.join(dir, 'manifest-1.tcia');
    fs.writeFileSync(file, text.replace(/\n/g, '\r\n') + '\r\n9.9.9.9\r\n');
    const r = await fetchTcia({ apiUrl: server.url, tciaManifest: file, retry: FAST, maxRejectRate: 0.5 }, ctxFor(dir));
    expect(r.plan.series.map((s) => s.seriesUid).sort()).toEqual([...uids].sort());
    expect(r.plan.name).toBe('manifest-1');
    expect(r.counts.verified).toBe(3);
    expect(readRejects(path.join(dir, 'rejects.jsonl')).map((x) => x.code)).toEqual(['SERIES_NOT_FOUND']);
    expect(fs.readdirSync(path.join(dir, 'catalog')).sort()).toEqual(['SYN-BrainMR.manifest-1.json', 'SYN-ChestCR.manifest-1.json']);
  });

  it('refuses bad options before any request', () => {
    const bad: FetchTciaOptions[] = [
      {},
      { collections: ['A'], manifest: 'manifests/paper-2021.json' },
      { collections: ['A'], apiUrl: 'ftp://x' },
      { collections: ['A'], caps: { CR: 5 } },
      { collections: ['A'], modalities: ['SEG'] },
      { collections: ['A'], concurrency: 0 },
      { collections: ['A'], maxRejectRate: 2 },
      { collections: ['A'], planName: '../x' },
      { manifest: '/no/such/manifest.json' },
      { tciaManifest: '/no/such/file.tcia' },
    ];
    for (const o of bad) expect(() => validateFetchOptions(o), JSON.stringify(o)).toThrow(ConfigError);
    const before = server.stats().requests;
    expect(server.stats().requests).toBe(before);
  });

  it('reads the paper manifest: TCIA datasets become plan datasets, external ones are listed apart', () => {
    const o = validateFetchOptions({ manifest: 'manifests/paper-2021.json' });
    expect(o.planName).toBe('paper-2021');
    expect(o.caps).toEqual({ CT: 50000, MR: 100000 });
    expect(o.capOrder).toBe('tcia');
    expect(o.externalDatasets).toHaveLength(7);
    expect(o.datasets!.find((d) => d.name === 'NSCLC-Radiomics')!.modalities).toEqual(['CT']);
    expect(o.datasets!.find((d) => d.name === 'LIDC-IDRI')!.modalities).toEqual(['CR', 'CT', 'DX', 'MG']);
    expect(o.datasets).toHaveLength(96);
    expect(o.datasets!.find((d) => d.name === 'CBIS-DDSM')!.modalities).toEqual(['CR', 'DX', 'MG']);
  });
});
