import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RejectBudgetError } from '../../src/core/errors.ts';
import { isTempName } from '../../src/core/fsAtomic.ts';
import { preprocess } from '../../src/preprocess/index.ts';
import { runPipeline, type PipelineResult } from '../../src/pipeline/run.ts';
import { ObjectStore, readIdcIndex } from '../../src/idc/index.ts';
import { startS3StandIn, writeIdcIndexParquet, type S3StandIn } from '../../src/standins/s3/index.ts';
import { stagingFiles, tinyWorld, type TinyWorld } from './helpers.ts';

/**
 * `etl run` with fetch and preprocess overlapped, and --discard-raw: the staging is the same bytes as
 * a run that fetches everything first, raw/ never holds more than the window, a rerun does nothing,
 * and a series whose ZIP was discarded comes back when its staging is lost. Real stand-ins, port 0.
 */

let w: TinyWorld;
let s3: S3StandIn;
let reference: Map<string, Buffer>;
let referenceRejects: string[];
beforeAll(async () => {
  w = await tinyWorld();
  s3 = await startS3StandIn({ dataDir: w.synthDir, seed: 4 });
  // The reference: fetch everything, then preprocess (no overlap, raw kept).
  const dataDir = path.join(w.root, 'data-reference');
  await runPipeline(w.pipeline({ stream: { overlap: false } }, 'reference'), {}, w.ctx(dataDir));
  reference = stagingFiles(dataDir);
  referenceRejects = rejects(dataDir);
}, 120_000);
afterAll(async () => {
  await s3?.close();
  await w?.close();
});

/** Series with something under raw/ besides their sidecar: a ZIP, a partial download, IDC parts. */
function rawSeriesPresent(dataDir: string): number {
  const root = path.join(dataDir, 'raw');
  let n = 0;
  let dirs: string[];
  try {
    dirs = fs.readdirSync(root);
  } catch {
    return 0;
  }
  for (const c of dirs) {
    let names: string[];
    try {
      names = fs.readdirSync(path.join(root, c));
    } catch {
      continue;
    }
    n += names.filter((f) => f.endsWith('.zip') || (isTempName(f) && f.includes('.zip.')) || f.endsWith('.parts')).length;
  }
  return n;
}

/** rejects.jsonl as `stage key code` lines, sorted (times and messages left out). */
function rejects(dataDir: string): string[] {
  const file = path.join(dataDir, 'rejects.jsonl');
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.map((l) => JSON.parse(l) as { stage: string; key: string; code: string }).map((r) => `${r.stage} ${r.key} ${r.code}`).sort();
}

function zips(dataDir: string): string[] {
  const root = path.join(dataDir, 'raw');
  return fs.readdirSync(root).flatMap((c) => fs.readdirSync(path.join(root, c)).filter((f) => f.endsWith('.zip')));
}

function expectSameStaging(dataDir: string, want = reference): void {
  const got = stagingFiles(dataDir);
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [k, v] of want) expect(got.get(k)!.equals(v), k).toBe(true);
}

const step = (r: PipelineResult, name: string) => r.steps.find((s) => s.step === name)!;

describe('etl run: fetch → preprocess overlapped', () => {
  it('stages the same bytes with --discard-raw, never holds more than the raw window, and a rerun does nothing', async () => {
    const dataDir = path.join(w.root, 'data-window');
    const file = w.pipeline(
      {
        source: { tcia: { apiUrl: w.server.url, manifest: w.manifestFile, concurrency: 8 } },
        stream: { rawWindow: 2 },
        preprocess: { size: 16, fit: 'stretch', normalize: 'minmax', workers: 1, maxRejectRate: 0.25 },
      },
      'window',
    );
    // 8 downloads would run at once without the window; a worker off the main thread and a slow link
    // make downloads and preprocessing really overlap.
    w.server.setFaults({ latencyMs: 20, bandwidthMbps: 40 });
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, rawSeriesPresent(dataDir))), 2);
    let r: PipelineResult;
    try {
      r = await runPipeline(file, { discardRaw: true }, w.ctx(dataDir));
    } finally {
      clearInterval(sampler);
      w.server.setFaults({ latencyMs: 0, bandwidthMbps: 100_000 });
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(2);
    expect(step(r, 'fetch').counts['raw window peak']).toBe('2 of 2');
    expect(zips(dataDir)).toEqual([]);
    const planned = step(r, 'fetch').counts.series as number;
    expect(step(r, 'fetch').counts['raw discarded']).toBe(planned);
    expect(step(r, 'preprocess').counts).toMatchObject({ series: planned, staged: planned, overlapped: 'with fetch' });
    expectSameStaging(dataDir);
    expect(referenceRejects.length).toBeGreaterThan(0);
    expect(rejects(dataDir)).toEqual(referenceRejects);

    const again = await runPipeline(file, { discardRaw: true }, w.ctx(dataDir));
    expect(again.ran).toBe(0);
  }, 120_000);

  it('refetches a series whose ZIP was discarded and whose staging is gone, and only that one', async () => {
    const dataDir = path.join(w.root, 'data-lost');
    const file = w.pipeline({ stream: { discardRaw: true } }, 'lost');
    await runPipeline(file, {}, w.ctx(dataDir));
    const [lost] = [...reference.keys()].filter((k) => k.endsWith('.arrow'));
    fs.rmSync(path.join(dataDir, 'staging', lost!));
    fs.rmSync(path.join(dataDir, 'staging', lost!.replace(/\.arrow$/, '.json')));
    const before = w.server.stats().requests;
    const r = await runPipeline(file, {}, w.ctx(dataDir));
    expect(step(r, 'fetch').status).toBe('skipped');
    expect(step(r, 'preprocess').counts).toMatchObject({ staged: 1, 'already staged': reference.size / 2 - 1 });
    expect(w.server.stats().requests - before).toBeGreaterThan(0);
    expect(zips(dataDir)).toEqual([]);
    expectSameStaging(dataDir);
  }, 120_000);

  it('turning --discard-raw on later deletes the ZIPs of staged series without downloading them again', async () => {
    const dataDir = path.join(w.root, 'data-later');
    const file = w.pipeline({}, 'later');
    await runPipeline(file, {}, w.ctx(dataDir));
    expect(zips(dataDir).length).toBe(reference.size / 2);
    const r = await runPipeline(file, { discardRaw: true }, w.ctx(dataDir));
    expect(step(r, 'fetch').counts).toMatchObject({ downloaded: 0, 'raw discarded': reference.size / 2 });
    expect(zips(dataDir)).toEqual([]);
    expectSameStaging(dataDir);
  }, 120_000);

  it('streams IDC and auto sources alike (auto: CT from TCIA, the rest from IDC, at once)', async () => {
    // An index without the CT series: source auto takes those from TCIA, the others from IDC.
    const full = path.join(w.root, 'idc-full.parquet');
    const store = new ObjectStore({ endpoint: s3.url });
    await store.downloadUrl(s3.indexUrl, full);
    store.close();
    const partial = path.join(w.root, 'idc-no-ct.parquet');
    await writeIdcIndexParquet(partial, (await readIdcIndex(full)).series.filter((r) => r.Modality !== 'CT'), 'no-ct-1');
    for (const [source, idcIndex] of [['idc', s3.indexUrl], ['auto', partial]] as const) {
      // IDC's ZIPs are assembled from objects (other bytes than TCIA's): the reference is the same source, not overlapped.
      const opts = { source, idcIndex, idcEndpoint: s3.url };
      const refDir = path.join(w.root, `data-${source}-reference`);
      await runPipeline(w.pipeline({ stream: { overlap: false } }, `${source}-reference`), opts, w.ctx(refDir));
      const dataDir = path.join(w.root, `data-${source}`);
      const r = await runPipeline(w.pipeline({ stream: { rawWindow: 3 } }, source), { ...opts, discardRaw: true }, w.ctx(dataDir));
      const counts = step(r, 'fetch').counts;
      if (source === 'auto') expect(Number(counts['from IDC']) * Number(counts['from TCIA'])).toBeGreaterThan(0);
      expect(counts['raw discarded'], source).toBe(reference.size / 2);
      expect(zips(dataDir), source).toEqual([]);
      expectSameStaging(dataDir, stagingFiles(refDir));
    }
  }, 180_000);

  it('a preprocess reject budget overrun fails the streamed run with exit 3; etl preprocess then warns about the discarded ZIPs', async () => {
    const dataDir = path.join(w.root, 'data-budget');
    const strict = w.pipeline({ stream: { discardRaw: true }, preprocess: { size: 16, fit: 'stretch', normalize: 'minmax', workers: 0, maxRejectRate: 0 } }, 'budget');
    const err = await runPipeline(strict, {}, w.ctx(dataDir)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(RejectBudgetError);
    expect(rejects(dataDir)).toEqual(referenceRejects);
    // Every series was staged before the budget was checked: their ZIPs are gone, their sidecars stay.
    expect(zips(dataDir)).toEqual([]);
    const ctx = w.ctx(dataDir);
    const r = await preprocess({ size: 8, workers: 0, maxRejectRate: 1 }, ctx);
    expect(r.staged).toBe(0);
    expect(ctx.lines.join('\n')).toContain(`${reference.size / 2} verified series have no raw ZIP any more`);
  }, 120_000);

  it('refuses --discard-raw without the overlap, before any request', async () => {
    const before = w.server.stats().requests;
    await expect(runPipeline(w.pipeline({ stream: { overlap: false } }, 'refuse'), { discardRaw: true }, w.ctx(path.join(w.root, 'data-refuse')))).rejects.toThrow(/`discardRaw` needs `overlap` on/);
    expect(w.server.stats().requests).toBe(before);
  });
});
