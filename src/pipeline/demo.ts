import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunContext } from '../core/context.ts';
import { startStandIn } from '../standins/tcia/index.ts';
import { SYNTH_FILE, SYNTH_GENERATOR, synthesize, type SynthRecord } from '../standins/synth/index.ts';
import { runPipeline, type PipelineResult } from './run.ts';

/**
 * `etl demo` (`npm run demo`): the README's first command. Generates the synthetic `demo` archive
 * (once), serves it with the TCIA stand-in inside this process on a free port, and runs
 * pipelines/demo.yaml against it end to end — fetch, preprocess, split, shard, a small ResNet-18 on
 * the CPU, its evaluation on the held-out test datasets, and the report. A second run finds every
 * step up to date and takes seconds.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** pipelines/demo.yaml of this checkout (or of the working directory when run from a build elsewhere). */
export const DEMO_PIPELINE = [path.join(REPO_ROOT, 'pipelines', 'demo.yaml'), path.resolve('pipelines', 'demo.yaml')].find((f) => fs.existsSync(f)) ?? path.join(REPO_ROOT, 'pipelines', 'demo.yaml');

export interface DemoOptions {
  /** Pipeline file (default pipelines/demo.yaml). */
  pipeline?: string;
  /** Synthetic archive folder (default <dataDir>/tcia-synth). */
  archiveDir?: string;
  seed?: number;
  force?: boolean;
}

export interface DemoResult {
  archiveDir: string;
  generated: boolean;
  apiUrl: string;
  seconds: number;
  pipeline: PipelineResult;
}

export async function runDemo(o: DemoOptions, ctx: RunContext): Promise<DemoResult> {
  const t0 = performance.now();
  const archiveDir = path.resolve(o.archiveDir ?? ctx.paths.synthArchive);
  const seed = o.seed ?? 1;
  ctx.log.info(`demo: data in ${ctx.dataDir}, synthetic archive in ${archiveDir}`);
  let generated = false;
  if (!isDemoArchive(archiveDir, seed)) {
    ctx.log.info('demo: generating the synthetic "demo" collections (once)…');
    const s = await synthesize({ preset: 'demo', out: archiveDir, seed, log: ctx.log });
    ctx.log.info(`demo: ${s.collections.length} collections, ${s.collections.reduce((a, c) => a + c.images, 0)} images, ${(s.bytes / 2 ** 20).toFixed(0)} MiB of DICOM`);
    generated = true;
  } else ctx.log.info('demo: synthetic archive already generated');

  // Level-1 deflate: the real server's level 6 would make the in-process stand-in the bottleneck on 2 cores.
  const server = await startStandIn({ dataDir: archiveDir, port: 0, zipCompressionLevel: 1 });
  ctx.log.info(`demo: TCIA stand-in serving at ${server.url}`);
  try {
    const pipeline = await runPipeline(o.pipeline ?? DEMO_PIPELINE, { apiUrl: server.url, ...(o.force ? { force: true } : {}) }, ctx);
    return { archiveDir, generated, apiUrl: server.url, seconds: (performance.now() - t0) / 1000, pipeline };
  } finally {
    await server.close();
  }
}

function isDemoArchive(dir: string, seed: number): boolean {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, SYNTH_FILE), 'utf8')) as SynthRecord;
    return r.preset === 'demo' && r.seed === seed && r.generator === SYNTH_GENERATOR;
  } catch {
    return false;
  }
}
