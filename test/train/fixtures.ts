import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../../src/core/context.ts';
import { writeJsonAtomic } from '../../src/core/fsAtomic.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import { DEFAULT_CLASSES, type Split, type StagedSample, type StagingRecord } from '../../src/core/types.ts';
import { canonicalConfig, configHash, resolvePreprocessConfig } from '../../src/preprocess/preprocessConfig.ts';
import { writeStaging } from '../../src/preprocess/staging.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { syntheticSamples } from '../../src/train/data.ts';

/**
 * A small published shard set built through the real staging → shard path: one dataset per
 * (split, class) with its own body location, images from `syntheticSamples` (class-specific
 * textures + noise), series of 8 images.
 */
export const LOCATIONS: Record<string, string> = { CT: 'chest', MR: 'brain', PT: 'abdomen', XR: 'extremity' };

export async function buildSyntheticShards(
  ctx: RunContext,
  opts: { name?: string; size?: number; perClass?: Partial<Record<Split, number>>; batch?: number; seed?: number } = {},
): Promise<{ name: string; manifestPath: string }> {
  const name = opts.name ?? 'synthetic';
  const size = opts.size ?? 64;
  const perClass = { train: 128, validate: 32, test: 32, ...opts.perClass };
  const cfg = resolvePreprocessConfig({ size });
  const metadata = { configHash: configHash(cfg), preprocessConfig: canonicalConfig(cfg) };
  const datasets: Array<{ name: string; source: 'external'; location: string; split: Split; classes: string[] }> = [];
  let seed = opts.seed ?? 7;
  for (const split of ['train', 'validate', 'test'] as const) {
    for (const [label, cls] of DEFAULT_CLASSES.entries()) {
      const dataset = `SYN-${split}-${cls}`;
      datasets.push({ name: dataset, source: 'external', location: LOCATIONS[cls]!, split, classes: [cls] });
      const imgs = syntheticSamples(perClass[split] * 4, size, 4, seed++, dataset).filter((s) => s.label === label);
      for (let s = 0; s * 8 < imgs.length; s++) {
        const seriesUid = `1.2.826.0.1.${split.length}.${label}.${s}`;
        const samples: StagedSample[] = imgs.slice(s * 8, s * 8 + 8).map((m, i) => ({
          image: m.image, dataset, patientId: `${dataset}-P${s}`, studyUid: `${seriesUid}.9`, seriesUid, sopUid: `${seriesUid}.${i}`,
          frame: 0, modality: cls === 'XR' ? 'CR' : cls, label: cls, bodyPart: LOCATIONS[cls]!, rows: size, cols: size, normLo: 0, normHi: 1,
          pixelHash: sha256Hex(m.image).slice(0, 16),
        }));
        const file = ctx.paths.staging(dataset, seriesUid);
        await writeStaging(file, samples, size, metadata);
        const rec: StagingRecord = { version: 1, collection: dataset, seriesUid, configHash: metadata.configHash, inputSha256: sha256Hex(seriesUid), size, samples: samples.length, rejects: 0, stagedAt: '2026-01-01T00:00:00Z' };
        await writeJsonAtomic(ctx.paths.stagingSidecar(dataset, seriesUid), rec);
      }
    }
  }
  const manifestPath = path.join(ctx.dataDir, 'manifest.json');
  fs.mkdirSync(ctx.dataDir, { recursive: true });
  fs.writeFileSync(manifestPath, JSON.stringify({ name, datasets }, null, 2));
  await shardDataset({ name, manifest: manifestPath, batch: opts.batch ?? 32, seed: 1 }, ctx);
  return { name, manifestPath };
}
