import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunContext, type RunContext } from '../../src/core/context.ts';
import { writeJsonAtomic } from '../../src/core/fsAtomic.ts';
import { sha256Hex } from '../../src/core/hash.ts';
import { createLogger } from '../../src/core/log.ts';
import type { Split, StagedSample, StagingRecord } from '../../src/core/types.ts';
import { writeStaging } from '../../src/preprocess/staging.ts';

/** Synthetic staging for shard/split tests: real staging files written by writeStaging. */

export interface SeriesSpec {
  dataset: string;
  label: string;
  bodyPart?: string;
  images: number;
  /** Patient IDs are `${patient}` (default `${dataset}-P${series}`). */
  patient?: string;
  /** Make image i of this series identical to the image of this (dataset, series, i) — planted duplicate. */
  copyPixelsFrom?: string;
}

/** A fresh data directory, under the test run's temporary directory (removed when the run ends: tmpRoot.setup.ts). */
export function tempDataDir(prefix = 'medimg-shards-'): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return d;
}

export function quietContext(dataDir: string): RunContext {
  return createRunContext({ dataDir, rejectsInMemory: true, logger: createLogger({ level: 'error', write: () => undefined }), tty: false });
}

/** Pixels that identify the sample: first 4 bytes carry a sample number (tests check them back). */
export function patternImage(n: number, size: number): Uint8Array {
  const img = new Uint8Array(size * size);
  for (let k = 0; k < img.length; k++) img[k] = (k * 31 + n * 7) & 255;
  new DataView(img.buffer).setUint32(0, n, true);
  return img;
}

export async function stageSeries(dataDir: string, specs: SeriesSpec[], size = 16, configHash = 'cfg1'): Promise<number> {
  let n = 0;
  const perDataset = new Map<string, number>();
  const pixelsBy = new Map<string, Uint8Array[]>();
  for (const spec of specs) {
    const si = perDataset.get(spec.dataset) ?? 0;
    perDataset.set(spec.dataset, si + 1);
    const seriesUid = `1.2.826.${spec.dataset.length}.${si}.${n}`;
    const copy = spec.copyPixelsFrom ? pixelsBy.get(spec.copyPixelsFrom) : undefined;
    const samples: StagedSample[] = [];
    const imgs: Uint8Array[] = [];
    for (let i = 0; i < spec.images; i++) {
      const image = copy?.[i] ?? patternImage(n, size);
      imgs.push(image);
      samples.push({
        image, dataset: spec.dataset, patientId: spec.patient ?? `${spec.dataset}-P${si}`, studyUid: `${seriesUid}.0`,
        seriesUid, sopUid: `${seriesUid}.${i}`, frame: 0, modality: spec.label === 'XR' ? 'CR' : spec.label,
        label: spec.label, bodyPart: spec.bodyPart ?? 'CHEST', rows: 512, cols: 512, normLo: 0, normHi: 1,
        pixelHash: sha256Hex(image).slice(0, 16),
      });
      n++;
    }
    pixelsBy.set(`${spec.dataset}#${si}`, imgs);
    const dir = path.join(dataDir, 'staging', spec.dataset);
    await writeStaging(path.join(dir, `${seriesUid}.arrow`), samples, size, { configHash });
    const rec: StagingRecord = {
      version: 1, collection: spec.dataset, seriesUid, configHash, inputSha256: sha256Hex(seriesUid), size,
      samples: samples.length, rejects: 0, stagedAt: '2026-11-22T00:00:00.000Z',
    };
    await writeJsonAtomic(path.join(dir, `${seriesUid}.json`), rec);
  }
  return n;
}

export function writeManifest(file: string, name: string, datasets: Array<{ name: string; split?: Split | null; location?: string }>): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    JSON.stringify({
      name,
      datasets: datasets.map((d) => ({ name: d.name, source: 'tcia', location: d.location ?? 'chest', ...(d.split !== undefined ? { split: d.split } : {}) })),
    }),
  );
  return file;
}
