import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { runDemo } from '../../src/pipeline/index.ts';
import type { PipelineInput } from '../../src/pipeline/schema.ts';
import { synthesize } from '../../src/standins/synth/index.ts';

/**
 * `etl demo --source idc` as CI runs it: the demo pipeline (pipelines/demo.yaml, its sizes shrunk and
 * its manifest swapped for the tiny preset's) with the archive served as IDC serves it — one S3
 * object per instance and a generated index — fetched from there, and carried through to the report.
 */
let root: string;
let archiveDir: string;
let pipelineFile: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-demo-idc-'));
  archiveDir = path.join(root, 'archive');
  const summary = await synthesize({ preset: 'tiny', out: archiveDir, seed: 1 });
  const manifest = path.join(root, 'tiny.json');
  fs.writeFileSync(manifest, JSON.stringify({ name: 'tiny', datasets: summary.collections.map((c) => ({ name: c.collection, source: 'tcia', location: c.location, split: c.split })) }));
  const def = YAML.parse(fs.readFileSync('pipelines/demo.yaml', 'utf8')) as PipelineInput;
  def.source.tcia = { ...def.source.tcia, manifest, caps: { CT: 40, MR: 40 } };
  def.split = { ...def.split, manifest };
  def.preprocess = { ...def.preprocess, size: 16, workers: 0, maxRejectRate: 0.25 };
  def.shard = { ...def.shard, batch: 4, shardSizeMb: 1 };
  def.train = { ...def.train!, epochs: 1, batch: 4, width: 0.125, imageSize: 16, backend: 'wasm' };
  pipelineFile = path.join(root, 'demo-tiny.yaml');
  fs.writeFileSync(pipelineFile, YAML.stringify(def));
}, 120_000);
afterAll(() => {
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

describe('etl demo --source idc', () => {
  it('fetches every series from the S3 stand-in and runs the demo pipeline to its report', async () => {
    const dataDir = path.join(root, 'data');
    const ctx = createRunContext({ dataDir, logger: memoryLogger(), tty: false });
    const r = await runDemo({ pipeline: pipelineFile, archiveDir, preset: 'tiny', seed: 1, source: 'idc' }, ctx);
    expect(r.generated).toBe(false); // the archive the test made is the one served
    expect(r.s3Url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(r.pipeline.steps.map((s) => s.step)).toEqual(expect.arrayContaining(['fetch', 'preprocess', 'split', 'shard', 'train', 'evaluate', 'report']));

    const sidecars = fs.readdirSync(path.join(dataDir, 'raw'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json') && !path.basename(f).startsWith('.'));
    expect(sidecars.length).toBeGreaterThan(3);
    for (const f of sidecars) {
      const rec = JSON.parse(fs.readFileSync(path.join(dataDir, 'raw', f), 'utf8')) as { source?: string; apiUrl: string; md5Verified: boolean };
      expect(rec.source, f).toBe('idc');
      expect(rec.apiUrl.startsWith(`${r.s3Url}/`), rec.apiUrl).toBe(true);
      expect(rec.md5Verified).toBe(true);
    }
    expect(r.pipeline.evaluation).toBeDefined();
    expect(fs.existsSync(r.pipeline.report!.html)).toBe(true);
  }, 300_000);
});
