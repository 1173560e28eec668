import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { isTempName } from '../../src/core/fsAtomic.ts';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';
import { synthesize, type SynthSummary } from '../../src/standins/synth/index.ts';
import type { PipelineInput } from '../../src/pipeline/schema.ts';

/** A tiny synthetic archive, a manifest for it and a stand-in serving it: what every pipeline test runs against. */
export interface TinyWorld {
  root: string;
  synthDir: string;
  manifestFile: string;
  summary: SynthSummary;
  server: StandInServer;
  /** Write a pipeline YAML (tiny defaults + overrides) and return its path. */
  pipeline(overrides?: Partial<PipelineInput>, name?: string): string;
  ctx(dataDir: string): RunContext & { lines: string[] };
  close(): Promise<void>;
}

export async function tinyWorld(): Promise<TinyWorld> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-pipeline-'));
  const synthDir = path.join(root, 'synth');
  const summary = await synthesize({ preset: 'tiny', out: synthDir, seed: 1 });
  const manifestFile = path.join(root, 'tiny.json');
  fs.writeFileSync(
    manifestFile,
    JSON.stringify({
      name: 'tiny',
      datasets: summary.collections.map((c) => ({ name: c.collection, source: 'tcia', location: c.location, split: c.split })),
    }),
  );
  const server = await startStandIn({ dataDir: synthDir, port: 0 });
  return {
    root,
    synthDir,
    manifestFile,
    summary,
    server,
    pipeline(overrides = {}, name = 'tiny') {
      const def: PipelineInput = {
        name,
        source: { tcia: { apiUrl: server.url, manifest: manifestFile, concurrency: 2 } },
        preprocess: { size: 16, fit: 'stretch', normalize: 'minmax', workers: 0, maxRejectRate: 0.25 },
        split: { manifest: manifestFile },
        shard: { name: 'tiny', batch: 4, seed: 3, shardSizeMb: 1, partial: 'keep' },
        report: { enabled: false },
        incremental: { fullListingEvery: 3, overlapDays: 1 },
        ...overrides,
      };
      const file = path.join(root, `${name}.yaml`);
      fs.writeFileSync(file, YAML.stringify(def));
      return file;
    },
    ctx(dataDir) {
      const logger = memoryLogger();
      return Object.assign(createRunContext({ dataDir, logger, tty: false }), { lines: logger.lines });
    },
    async close() {
      await server.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Every staging file (`.arrow` bytes; sidecars without their stagedAt time) by relative path. */
export function stagingFiles(dataDir: string): Map<string, Buffer> {
  const root = path.join(dataDir, 'staging');
  const out = new Map<string, Buffer>();
  for (const c of fs.readdirSync(root).sort()) {
    for (const n of fs.readdirSync(path.join(root, c)).sort()) {
      if (isTempName(n)) continue;
      const bytes = fs.readFileSync(path.join(root, c, n));
      if (n.endsWith('.json')) {
        const rec = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
        delete rec.stagedAt;
        out.set(`${c}/${n}`, Buffer.from(JSON.stringify(rec)));
      } else out.set(`${c}/${n}`, bytes);
    }
  }
  return out;
}
