import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import type { Plan, RawSeriesRecord } from '../../src/core/types.ts';
import { fetchIdc, fetchTcia, type FetchIdcOptions } from '../../src/pipeline/index.ts';
import { readDicomHeader } from '../../src/preprocess/decode/index.ts';
import { preprocess } from '../../src/preprocess/preprocess.ts';
import { startS3StandIn, S3_FAULT_KINDS, type S3StandIn } from '../../src/standins/s3/index.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { removeTempDirs, tempDir, tinyCollections } from '../tcia/fetchFixture.ts';
import { zipEntries } from './zipEntries.ts';

const FAST = { baseDelayMs: 5, maxDelayMs: 40, maxAttempts: 12 };
const COLLECTIONS = ['SYN-BrainMR', 'SYN-ChestCR', 'SYN-Extremity-DX', 'SYN-LungCT-Chest', 'SYN-Mammo-MG', 'SYN-PET-Chest'];
/** Caps that cut one CT and one MR series (tiny: CT 4+3, MR 3+3). */
const CAPS = { CT: 5, MR: 4 };
let s3: S3StandIn;
let synth: string;

beforeAll(async () => {
  synth = await tinyCollections();
  s3 = await startS3StandIn({ dataDir: synth, pageSize: 2, multipartEvery: 4, seed: 11 });
});
afterAll(async () => {
  await s3?.close();
  removeTempDirs();
});

function ctxFor(dataDir: string): RunContext {
  return createRunContext({ dataDir, logger: memoryLogger(), tty: false });
}

function run(dataDir: string, extra: Partial<FetchIdcOptions> = {}) {
  return fetchIdc({ index: s3.indexUrl, endpoint: s3.url, collections: COLLECTIONS, caps: CAPS, retry: FAST, concurrency: 4, ...extra }, ctxFor(dataDir));
}

/** Files of a synthetic series (its folder): all of them, or the first `keep` images by InstanceNumber. */
function expectedInstances(seriesUid: string, keep: number): Buffer[] {
  const files: Buffer[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (path.basename(d) === seriesUid) files.push(fs.readFileSync(p));
    }
  };
  walk(synth);
  if (keep >= files.length) return files;
  const ranked = files.flatMap((b) => {
    try {
      return [{ b, h: readDicomHeader(b) }];
    } catch {
      return [];
    }
  });
  ranked.sort((a, b) => (a.h.instanceNumber ?? Infinity) - (b.h.instanceNumber ?? Infinity) || (a.h.sopInstanceUid < b.h.sopInstanceUid ? -1 : 1));
  return ranked.slice(0, keep).map((x) => x.b);
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() || e.isDirectory()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

describe('etl fetch idc against the S3 stand-in with injected faults', () => {
  it('ends with every planned instance present once and verified, and nothing incomplete under a final name', async () => {
    s3.setFaults({ faultRate: 0.1, faults: [...S3_FAULT_KINDS] });
    const dataDir = tempDir('idc-faults');
    let r;
    try {
      r = await run(dataDir);
    } finally {
      s3.setFaults({ faultRate: 0 });
    }
    expect(Object.values(s3.stats().faults).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(r.failedSeries).toEqual([]);
    expect(r.planned).toBeGreaterThan(0);
    expect(r.counts.verified).toBe(r.planned);
    const plan = JSON.parse(fs.readFileSync(r.planFile, 'utf8')) as Plan;
    expect(plan.series.some((s) => s.keep < s.imageCount)).toBe(true);
    for (const s of plan.series) {
      const zip = path.join(dataDir, 'raw', s.collection, `${s.seriesUid}.zip`);
      const rec = JSON.parse(fs.readFileSync(zip.replace(/\.zip$/, '.json'), 'utf8')) as RawSeriesRecord;
      expect(rec.source).toBe('idc');
      expect(rec.imageCount).toBe(s.keep);
      const v = await verifySeriesZip(zip, s.keep);
      expect(v.md5Verified).toBe(true);
      const entries = await zipEntries(zip);
      const images = [...entries].filter(([n]) => n.endsWith('.dcm')).map(([, b]) => b);
      // Exactly the first `keep` instances by InstanceNumber, each once, byte for byte.
      const want = expectedInstances(s.seriesUid, s.keep).map((b) => crypto.createHash('md5').update(b).digest('hex')).sort();
      expect(images.map((b) => crypto.createHash('md5').update(b).digest('hex')).sort()).toEqual(want);
    }
    // Nothing else under raw/: no parts folders, no temporary files.
    const left = listFiles(path.join(dataDir, 'raw')).filter((f) => !/\.(zip|json)$/.test(f) && !fs.statSync(path.join(dataDir, 'raw', f)).isDirectory());
    expect(left).toEqual([]);
    expect(listFiles(path.join(dataDir, 'raw')).filter((f) => f.includes('.parts'))).toEqual([]);

    // A rerun downloads nothing, and clears a parts folder that a kill after the ZIP's rename left behind.
    const stale = ctxFor(dataDir).paths.rawParts(plan.series[0]!.collection, plan.series[0]!.seriesUid);
    fs.mkdirSync(stale, { recursive: true });
    fs.writeFileSync(path.join(stale, 'journal'), '');
    const gets = [...s3.stats().objectGets.values()].reduce((a, b) => a + b, 0);
    const again = await run(dataDir);
    expect(again.counts.skipped).toBe(again.planned);
    expect(again.bytes).toBe(0);
    expect([...s3.stats().objectGets.values()].reduce((a, b) => a + b, 0)).toBe(gets);
    expect(fs.existsSync(stale)).toBe(false);
  });

  it('writes a byte-identical plan for identical inputs, and keeps only the licences asked for', async () => {
    const a = await run(tempDir('idc-plan-a'), { planOnly: true });
    const b = await run(tempDir('idc-plan-b'), { planOnly: true, collections: [...COLLECTIONS].reverse().map((c) => c.toLowerCase().replace(/-/g, '_')) });
    expect(a.plan.series.map((s) => s.seriesUid)).toEqual(b.plan.series.map((s) => s.seriesUid));
    const c = await run(tempDir('idc-plan-c'), { planOnly: true });
    expect(fs.readFileSync(c.planFile, 'utf8')).toBe(fs.readFileSync(a.planFile, 'utf8'));
    expect(a.collectionMap['SYN-LungCT-Chest']).toBe('syn_lungct_chest');
    await expect(run(tempDir('idc-plan-d'), { planOnly: true, licenses: ['CC BY-NC 3.0'] })).rejects.toMatchObject({ code: 'COLLECTION_EMPTY' });
    const kept = await run(tempDir('idc-plan-e'), { planOnly: true, licenses: ['CC BY 4.0'] });
    expect(kept.plan.series.length).toBe(a.plan.series.length);
  });

  it('fetches the series of an s5cmd manifest', async () => {
    const dir = tempDir('idc-s5');
    const full = await run(tempDir('idc-s5-plan'), { planOnly: true });
    const cats = fs.readdirSync(path.join(path.dirname(path.dirname(full.planFile)), 'catalog')).filter((f) => f.endsWith('.idc.json'));
    const rows = cats.flatMap((f) => JSON.parse(fs.readFileSync(path.join(path.dirname(path.dirname(full.planFile)), 'catalog', f), 'utf8')).series as Array<{ SeriesInstanceUID: string; Modality: string }>);
    expect(rows.length).toBeGreaterThan(0);
    // Two CT series, by their bucket URLs as the portal exports them.
    const idx = await import('../../src/idc/index.ts');
    const index = await idx.readIdcIndex(full.indexFile, { modalities: new Set(['CT']) });
    const manifest = path.join(dir, 'manifest.s5cmd');
    fs.writeFileSync(manifest, index.series.map((r) => `cp ${r.series_aws_url} .`).join('\n') + '\ncp s3://idc-open-data/00000000-0000-4000-8000-000000000000/* .\n');
    const r = await fetchIdc({ index: s3.indexUrl, endpoint: s3.url, s5cmdManifest: manifest, retry: FAST }, ctxFor(dir));
    expect(r.plan.name).toBe('manifest');
    expect(r.plan.series.map((s) => s.seriesUid).sort()).toEqual(index.series.map((s) => s.SeriesInstanceUID).sort());
    expect(r.counts.verified).toBe(index.series.length);
    const rejects = fs.readFileSync(path.join(dir, 'rejects.jsonl'), 'utf8');
    expect(rejects).toMatch(/SERIES_NOT_FOUND/);
  });
});

describe('IDC and TCIA give the same staging', () => {
  let tcia: StandInServer;
  beforeAll(async () => {
    tcia = await startStandIn({ dataDir: synth, port: 0, seed: 2 });
  });
  afterAll(async () => {
    await tcia?.close();
  });

  it('fetches the same series from both stand-ins and preprocesses them to byte-identical staging files', async () => {
    const a = tempDir('same-tcia');
    const b = tempDir('same-idc');
    const ta = await fetchTcia({ apiUrl: tcia.url, collections: COLLECTIONS, caps: CAPS, retry: FAST, concurrency: 4 }, ctxFor(a));
    const tb = await run(b);
    expect(tb.plan.series.map((s) => [s.seriesUid, s.keep])).toEqual(ta.plan.series.map((s) => [s.seriesUid, s.keep]));
    await preprocess({ size: 32, workers: 0, maxRejectRate: 1 }, ctxFor(a));
    await preprocess({ size: 32, workers: 0, maxRejectRate: 1 }, ctxFor(b));
    const staged = listFiles(path.join(a, 'staging')).filter((f) => f.endsWith('.arrow')).sort();
    expect(staged.length).toBe(ta.plan.series.length);
    expect(listFiles(path.join(b, 'staging')).filter((f) => f.endsWith('.arrow')).sort()).toEqual(staged);
    for (const f of staged) expect(fs.readFileSync(path.join(b, 'staging', f)).equals(fs.readFileSync(path.join(a, 'staging', f))), f).toBe(true);
  });
});
