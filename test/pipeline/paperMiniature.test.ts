import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { InputError } from '../../src/core/errors.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { loadManifest } from '../../src/curate/manifest.ts';
import { runPipeline } from '../../src/pipeline/run.ts';
import type { PipelineInput } from '../../src/pipeline/schema.ts';
import { readShardManifest } from '../../src/shards/manifest.ts';
import { generatePaperWorld, type PaperWorld } from '../../src/standins/paper.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';

/**
 * The paper in miniature: every dataset of manifests/paper-2021.json (96 TCIA collections served by
 * the stand-in under their real names, 7 externals in their real layouts) through the paper's
 * pipeline at a size CI affords (16² images, a narrow ResNet-18, one epoch).
 */
const MANIFEST = path.resolve('manifests/paper-2021.json');
let root: string;
let world: PaperWorld;
let server: StandInServer;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-paper-'));
  world = await generatePaperWorld(path.join(root, 'world'), { seed: 1, scale: 0.3 });
  server = await startStandIn({ dataDir: world.tciaDir, port: 0 });
}, 120_000);
afterAll(async () => {
  await server?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

/** pipelines/paper-2021.yaml with the sizes shrunk (the protocol — manifest, caps, split, steps — unchanged). */
function miniature(): string {
  const def = YAML.parse(fs.readFileSync('pipelines/paper-2021.yaml', 'utf8')) as PipelineInput;
  def.source.tcia.manifest = MANIFEST;
  def.source.tcia.concurrency = 4;
  def.split.manifest = MANIFEST;
  def.preprocess = { ...def.preprocess, size: 16, workers: 0, maxRejectRate: 0.05 };
  def.shard = { ...def.shard, batch: 32, shardSizeMb: 1 };
  def.train = { ...def.train!, epochs: 1, batch: 32, lr: 0.02, width: 0.125, imageSize: 16, backend: 'wasm' };
  const file = path.join(root, 'paper-mini.yaml');
  fs.writeFileSync(file, YAML.stringify(def));
  return file;
}

describe('the paper in miniature', () => {
  it('runs all 103 datasets through the paper pipeline: Appendix C split, no leakage, training, Table 3 in the report', async () => {
    const logger = memoryLogger();
    const ctx = createRunContext({ dataDir: path.join(root, 'data'), logger, tty: false });
    const r = await runPipeline(miniature(), { apiUrl: server.url, externalDir: world.externalDir }, ctx);
    expect(r.steps.map((s) => s.step)).toEqual(['catalog', 'plan', 'fetch', 'preprocess', 'import', 'split', 'shard', 'verify', 'publish', 'train', 'evaluate', 'report']);

    const m = loadManifest(MANIFEST);
    const shards = readShardManifest(r.dataset!.dir!);
    for (const split of ['train', 'validate', 'test'] as const) {
      const want = m.datasets.filter((d) => d.split === split).map((d) => d.name).sort();
      expect(Object.keys(shards.splits[split].datasetCounts).sort(), split).toEqual(want);
    }
    expect(shards.leakage.sharedPatients, JSON.stringify(shards.leakage.sharedPatients.examples)).toMatchObject({ count: 0 });
    expect(logger.lines.join('\n')).not.toMatch(/not found at/);

    const evalJson = JSON.parse(fs.readFileSync(path.join(r.run!.dir, 'eval-test.json'), 'utf8'));
    expect(evalJson.paper.headline).toMatchObject({ arch: 'resnet18', accuracy: 96, balancedAccuracy: 86.17 });
    const mura = evalJson.paper.rows.find((x: { dataset: string }) => x.dataset === 'MURA');
    expect(mura).toMatchObject({ modality: 'XR', paper: 28, location: 'bone' });
    expect(mura.images).toBeGreaterThan(0);
    const html = fs.readFileSync(r.report!.html, 'utf8');
    expect(html).toContain('The paper beside this run (Table 3)');
    expect(html).toMatch(/<td>OAI<\/td><td>bone<\/td><td>XR<\/td><td class="n">\d+<\/td><td class="n">62 %<\/td>/);
  }, 300_000);

  it('prints where to get each missing external dataset, and --require-all makes that an error', async () => {
    const empty = path.join(root, 'no-externals');
    fs.mkdirSync(empty);
    const ctx = createRunContext({ dataDir: path.join(root, 'data-missing'), logger: memoryLogger(), tty: false });
    const run = runPipeline(miniature(), { apiUrl: server.url, externalDir: empty, requireAll: true }, ctx);
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/7 of 7 external datasets are missing: CheXpert, RSNA-Bone-Age, NIH-ChestX-ray14, MRNet, MURA, OAI, BraTS20/);
    try {
      await run;
    } catch (err) {
      expect((err as InputError).exitCode).toBe(2);
      expect((err as InputError).hint).toContain(`external dataset OAI (test) not found at ${path.join(empty, 'OAI')}: download from https://nda.nih.gov/oai (registration required)`);
    }
  });
});
