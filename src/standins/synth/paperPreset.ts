import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { datasetSource, parseManifest, type DatasetManifest, type ManifestDataset } from '../../curate/index.ts';
import type { TsName } from './dicom.ts';
import type { CollectionSpec, ImageModality, Location } from './presets.ts';

/**
 * The `paper` preset: every TCIA collection of manifests/paper-2021.json (optional ones included)
 * under its real name, split as the manifest has it, with one small series per class the real
 * collection holds (CT, MR, PT, XR → CR/DX/MG) drawn at the phantom location nearest the
 * collection's body location. Tiny on purpose (a few images per dataset), so the whole paper
 * protocol runs in CI; the external datasets come from src/standins/external.
 */

export const PAPER_MANIFEST = fileURLToPath(new URL('../../../manifests/paper-2021.json', import.meta.url));

/** Where each modality's phantoms can draw (phantoms/*.ts), nearest first for a manifest location. */
const PHANTOM: Record<'CT' | 'MR' | 'PT' | 'XR', Partial<Record<string, Location>> & { default: Location }> = {
  CT: { head: 'head', 'head-neck': 'head', chest: 'chest', breast: 'chest', 'whole-body': 'chest', phantom: 'chest', multiple: 'chest', default: 'abdomen' },
  MR: { head: 'brain', 'head-neck': 'brain', mouse: 'brain', phantom: 'brain', knee: 'knee', 'soft-tissue': 'knee', default: 'abdomen' },
  PT: { head: 'head', 'head-neck': 'head', default: 'chest' },
  XR: { breast: 'breast', hand: 'extremity', knee: 'extremity', 'upper-extremity': 'extremity', 'soft-tissue': 'extremity', default: 'chest' },
};

/** Transfer syntaxes cycled over the collections, so the miniature decodes every codec path. */
const SYNTAXES: readonly TsName[] = ['explicit', 'implicit', 'rle', 'jpegLossless', 'jpegLs', 'j2k'];

export function loadPaperManifest(file = PAPER_MANIFEST): DatasetManifest {
  return parseManifest(JSON.parse(fs.readFileSync(file, 'utf8')), file);
}

/** One spec per (TCIA collection, class); specs of one collection take different patients. */
export function paperSpecs(manifest: DatasetManifest = loadPaperManifest()): CollectionSpec[] {
  const tcia = [...manifest.datasets, ...(manifest.optionalDatasets ?? [])].filter((d) => datasetSource(d) !== 'external');
  const specs: CollectionSpec[] = [];
  tcia.forEach((d, i) => {
    (d.classes ?? ['CT']).forEach((cls, k) => specs.push(specFor(d, cls, i, k)));
  });
  return specs;
}

function specFor(d: ManifestDataset, cls: string, i: number, k: number): CollectionSpec {
  const table = PHANTOM[cls as keyof typeof PHANTOM] ?? PHANTOM.CT;
  const location = table[d.location] ?? table.default;
  const modality: ImageModality = cls === 'XR' ? (location === 'breast' ? 'MG' : location === 'chest' ? 'CR' : 'DX') : (cls as ImageModality);
  const xr = cls === 'XR';
  return {
    collection: d.collection ?? d.name,
    modality,
    location,
    split: d.split ?? 'train',
    site: `Synthetic site for ${d.name}`,
    patients: 1,
    firstPatient: k,
    studiesPerPatient: [1, 1],
    seriesPerStudy: [1, 1],
    instances: xr ? [1, 1] : [2, 2],
    matrices: xr ? [[80, 64]] : modality === 'PT' ? [[48, 48]] : [[64, 64]],
    transferSyntaxes: [SYNTAXES[(i + k) % SYNTAXES.length]!],
    releaseFrom: '2019-01-01',
  };
}
