import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../src/core/fsAtomic.ts';
import type { StagedSample, StagingRecord } from '../src/core/types.ts';
import { encodeStaging } from '../src/preprocess/staging.ts';

/** Synthetic staging for the shard benches: n incompressible size² images, 200 per series, 4 datasets over 3 splits, and their manifest. */
export const BENCH_DATASETS: ReadonlyArray<readonly [dataset: string, label: string, split: string]> = [['DS-CT', 'CT', 'train'], ['DS-MR', 'MR', 'train'], ['DS-PT', 'PT', 'validate'], ['DS-XR', 'XR', 'test']];

export async function makeStaging(dataDir: string, n: number, size: number, datasets = BENCH_DATASETS): Promise<void> {
  const px = size * size;
  const perSeries = 200;
  const base = crypto.randomBytes(px + 4096);
  for (let s = 0, made = 0; made < n; s++) {
    const [dataset, label] = datasets[s % datasets.length]!;
    const count = Math.min(perSeries, n - made);
    const seriesUid = `1.2.3.${s}`;
    const samples: StagedSample[] = [];
    for (let i = 0; i < count; i++) {
      const image = Buffer.from(base.subarray((made + i) % 4096, ((made + i) % 4096) + px));
      image.writeUInt32LE(made + i, 0);
      samples.push({
        image, dataset, patientId: `${dataset}-${s}`, studyUid: seriesUid, seriesUid, sopUid: `${seriesUid}.${i}`, frame: 0,
        modality: label, label, bodyPart: 'CHEST', rows: 512, cols: 512, normLo: 0, normHi: 1,
        pixelHash: crypto.createHash('sha256').update(image).digest('hex').slice(0, 16),
      });
    }
    const dir = path.join(dataDir, 'staging', dataset);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `${seriesUid}.arrow`), encodeStaging(samples, size, { configHash: 'bench' }));
    const rec: StagingRecord = { version: 1, collection: dataset, seriesUid, configHash: 'bench', inputSha256: seriesUid, size, samples: count, rejects: 0, stagedAt: 'bench' };
    fs.writeFileSync(path.join(dir, `${seriesUid}.json`), JSON.stringify(rec));
    made += count;
  }
  await writeFileAtomic(
    path.join(dataDir, 'manifest.json'),
    JSON.stringify({ name: 'bench', datasets: datasets.map(([name, , split]) => ({ name, source: 'tcia', location: 'chest', split })) }),
  );
}
