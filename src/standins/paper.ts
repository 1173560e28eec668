import fs from 'node:fs';
import path from 'node:path';
import { datasetSource } from '../curate/index.ts';
import { synthesize, type SynthSummary } from './synth/index.ts';
import { loadPaperManifest } from './synth/paperPreset.ts';
import { planCollection } from './synth/plan.ts';
import { runSeries } from './synth/pool.ts';
import type { CollectionSpec } from './synth/presets.ts';
import { generateExternal, type GeneratedExternal } from './external/index.ts';

/**
 * The paper in miniature (test world): the TCIA collections of manifests/paper-2021.json as a synth
 * archive for the stand-in server (preset `paper`), and each external dataset written in its real
 * on-disk layout into the folder the manifest's `external.path` names, so
 * `etl run pipelines/paper-2021.yaml --api-url <stand-in> --external-dir <externalDir>` runs all 103.
 */

export interface PaperWorld {
  tciaDir: string;
  externalDir: string;
  tcia: SynthSummary;
  externals: GeneratedExternal[];
}

export async function generatePaperWorld(out: string, o: { seed?: number; scale?: number; manifestFile?: string } = {}): Promise<PaperWorld> {
  const seed = o.seed ?? 1;
  const manifest = loadPaperManifest(o.manifestFile);
  const tciaDir = path.join(out, 'tcia');
  const externalDir = path.join(out, 'external');
  const tcia = await synthesize({ preset: 'paper', out: tciaDir, seed });
  const externals: GeneratedExternal[] = [];
  for (const d of manifest.datasets.filter((x) => datasetSource(x) === 'external' && x.external)) {
    const want = path.join(externalDir, d.external!.path);
    const g = d.external!.format === 'oai' ? await writeOai(want, seed) : await generateExternal(d.external!.format, externalDir, { seed, scale: o.scale ?? 0.5 });
    // The manifest's path must be the folder the real download unpacks to (the generators write that).
    if (path.resolve(g.dir) !== path.resolve(want)) throw new Error(`${d.name}: generator wrote ${g.dir}, the manifest expects ${want}`);
    externals.push(g);
  }
  return { tciaDir, externalDir, tcia, externals };
}

/** OAI ships knee radiographs as DICOM in its own folders: synthetic DX knee series, two patients. */
async function writeOai(dir: string, seed: number): Promise<GeneratedExternal> {
  const spec: CollectionSpec = {
    collection: 'OAI', modality: 'DX', location: 'extremity', split: 'test', site: 'Synthetic OAI site',
    patients: 2, studiesPerPatient: [1, 1], seriesPerStudy: [1, 1], instances: [1, 1], matrices: [[80, 64]],
    transferSyntaxes: ['explicit', 'jpegLossless'], releaseFrom: '2019-01-01',
  };
  const plans = planCollection(spec, seed);
  fs.mkdirSync(dir, { recursive: true });
  const results = await runSeries(plans, dir, 1);
  return {
    format: 'oai',
    dir,
    images: results.reduce((n, r) => n + r.images, 0),
    patients: [...new Set(plans.map((p) => p.patientId))],
    bad: [],
  };
}
