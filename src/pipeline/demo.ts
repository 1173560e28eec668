import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunContext } from '../core/context.ts';
import { startS3StandIn } from '../standins/s3/index.ts';
import { startStandIn } from '../standins/tcia/index.ts';
import { SYNTH_FILE, SYNTH_GENERATOR, synthesize, type SynthPreset, type SynthRecord } from '../standins/synth/index.ts';
import type { FetchSource } from './env.ts';
import { runPipeline, type PipelineResult } from './run.ts';

/**
 * `etl demo` (`npm run demo`): the README's first command. Generates the synthetic `demo` archive
 * (once), serves it with the TCIA stand-in inside this process on a free port, and runs
 * pipelines/demo.yaml against it end to end — fetch, preprocess, split, shard, a small ResNet-18 on
 * the CPU, its evaluation on the held-out test datasets, and the report. A second run finds every
 * step up to date and takes seconds. `--source idc` (or `auto`) also serves the archive as IDC does
 * (the S3 stand-in: one object per instance and a generated index) and fetches from there.
 */

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** pipelines/demo.yaml of this checkout (or of the working directory when run from a build elsewhere). */
export const DEMO_PIPELINE = [path.join(REPO_ROOT, 'pipelines', 'demo.yaml'), path.resolve('pipelines', 'demo.yaml')].find((f) => fs.existsSync(f)) ?? path.join(REPO_ROOT, 'pipelines', 'demo.yaml');

export interface DemoOptions {
  /** Pipeline file (default pipelines/demo.yaml). */
  pipeline?: string;
  /** Synthetic archive folder (default <dataDir>/tcia-synth). */
  archiveDir?: string;
  /** Synthetic preset (default demo; tests use tiny). */
  preset?: SynthPreset;
  seed?: number;
  force?: boolean;
  /** Where the fetch step takes series from (default tcia). */
  source?: FetchSource;
}

export interface DemoResult {
  archiveDir: string;
  generated: boolean;
  apiUrl: string;
  /** The S3 stand-in's endpoint, when the source is idc or auto. */
  s3Url?: string;
  seconds: number;
  pipeline: PipelineResult;
}

export async function runDemo(o: DemoOptions, ctx: RunContext): Promise<DemoResult> {
  const t0 = performance.now();
  const archiveDir = path.resolve(o.archiveDir ?? ctx.paths.synthArchive);
  const preset = o.preset ?? 'demo';
  const seed = o.seed ?? 1;
  const source = o.source ?? 'tcia';
  ctx.log.info(`demo: data in ${ctx.dataDir}, synthetic archive in ${archiveDir}`);
  let generated = false;
  if (!isDemoArchive(archiveDir, preset, seed)) {
    ctx.log.info(`demo: generating the synthetic "${preset}" collections (once)…`);
    const s = await synthesize({ preset, out: archiveDir, seed, log: ctx.log });
    ctx.log.info(`demo: ${s.collections.length} collections, ${s.collections.reduce((a, c) => a + c.images, 0)} images, ${(s.bytes / 2 ** 20).toFixed(0)} MiB of DICOM`);
    generated = true;
  } else ctx.log.info('demo: synthetic archive already generated');

  // Level-1 deflate: the real server's level 6 would make the in-process stand-in the bottleneck on 2 cores.
  const server = await startStandIn({ dataDir: archiveDir, port: 0, zipCompressionLevel: 1 });
  ctx.log.info(`demo: TCIA stand-in serving at ${server.url}`);
  const s3 = source === 'tcia' ? undefined : await startS3StandIn({ dataDir: archiveDir, port: 0 });
  if (s3) ctx.log.info(`demo: IDC (S3) stand-in serving at ${s3.url}, index ${s3.indexUrl}`);
  try {
    const idc = s3 ? { source, idcIndex: s3.indexUrl, idcEndpoint: s3.url } : {};
    const pipeline = await runPipeline(o.pipeline ?? DEMO_PIPELINE, { apiUrl: server.url, ...idc, ...(o.force ? { force: true } : {}) }, ctx);
    return { archiveDir, generated, apiUrl: server.url, ...(s3 ? { s3Url: s3.url } : {}), seconds: (performance.now() - t0) / 1000, pipeline };
  } finally {
    await server.close();
    await s3?.close();
  }
}

function isDemoArchive(dir: string, preset: SynthPreset, seed: number): boolean {
  try {
    const r = JSON.parse(fs.readFileSync(path.join(dir, SYNTH_FILE), 'utf8')) as SynthRecord;
    return r.preset === preset && r.seed === seed && r.generator === SYNTH_GENERATOR;
  } catch {
    return false;
  }
}
