import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { SPLITS } from '../core/types.ts';

/**
 * Dataset manifests (`manifests/*.json`): which datasets make a training set, where each comes
 * from, its body location, and (once reviewed) its split. Data reviewed like code.
 */

/** Where a dataset's files come from. `auto`: IDC when it mirrors the collection, else TCIA. */
export const DATASET_SOURCES = ['tcia', 'idc', 'auto', 'external'] as const;
export type DatasetSource = (typeof DATASET_SOURCES)[number];

/** IDC's collection_id: the TCIA name lower-cased, every non-alphanumeric character → `_`. */
const IDC_COLLECTION_ID = /^[a-z0-9_]+$/;

const externalSchema = z
  .object({
    /** Importer format, e.g. `chexpert`, `mrnet`, `brats20`, `folder` (see `etl import --help`). */
    format: z.string().min(1),
    /** Where the files lie, relative to the external directory (`--external-dir`, default data/external/). */
    path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.split(/[\\/]/).includes('..'), {
      message: 'must be a relative path inside the external directory (no leading "/", no "..")',
    }),
    /** Where a user gets the files. */
    url: z.string().url(),
    /** True when the download needs an account or a data-use agreement. */
    registration: z.boolean().optional(),
  })
  .strict();

/** One row of the paper's Table 3: this dataset's images of one modality at one body location. */
const paperRowSchema = z
  .object({
    location: z.string().min(1),
    modality: z.string().min(1),
    /** Accuracy in percent, as the paper prints it. */
    accuracy: z.number().min(0).max(100),
  })
  .strict();

const datasetSchema = z
  .object({
    /** Dataset name, unique in the manifest (the TCIA collection name for TCIA datasets). */
    name: z.string().min(1),
    /** Default: `external` when `external` is given, else `tcia` (see datasetSource). */
    source: z.enum(DATASET_SOURCES).optional(),
    /** TCIA collection name (defaults to `name`). */
    collection: z.string().min(1).optional(),
    /** IDC collection_id, e.g. `tcga_luad` (defaults to idcCollectionIdOf(collection)). */
    idcCollectionId: z.string().regex(IDC_COLLECTION_ID, 'must be lower case letters, digits and "_" (IDC collection_id), e.g. tcga_luad').optional(),
    /** DICOM modalities to take from this dataset (default: every modality the class map knows). */
    modalities: z.array(z.string().min(1)).optional(),
    /** Class(es) the paper used this dataset for, e.g. ["CT"] or ["CT", "PT"]. */
    classes: z.array(z.string().min(1)).optional(),
    /** Body location(s), e.g. "chest", "brain". */
    location: z.string().min(1),
    split: z.enum(SPLITS).nullable().optional(),
    /** External datasets: importer format, path under the external directory, download page. */
    external: externalSchema.optional(),
    /** For external sets: where a user gets them (older manifests; prefer external.url). */
    url: z.string().optional(),
    license: z.string().min(1).optional(),
    doi: z.string().min(1).optional(),
    /** The paper's Table 3 figures for this dataset (one object or one per location × modality). */
    paper: z.union([paperRowSchema, z.array(paperRowSchema).min(1)]).transform((v) => (Array.isArray(v) ? v : [v])).optional(),
    notes: z.string().optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.source === 'external' && d.idcCollectionId) {
      ctx.addIssue({ code: 'custom', path: ['idcCollectionId'], message: 'an external dataset has no IDC collection (remove idcCollectionId or change source)' });
    }
    if (d.external && d.source !== undefined && d.source !== 'external') {
      ctx.addIssue({ code: 'custom', path: ['external'], message: `only external datasets have "external" (source is "${d.source}")` });
    }
  });

const capsSchema = z.record(z.string(), z.number().int().positive());

export const manifestSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Citation or reference for the dataset list. */
    source: z.string().optional(),
    classes: z.array(z.string().min(1)).optional(),
    /** DICOM Modality → class. */
    classMap: z.record(z.string(), z.string()).optional(),
    caps: capsSchema.optional(),
    capOrder: z.enum(['tcia', 'spread']).optional(),
    datasets: z.array(datasetSchema).min(1),
    /** The paper's test-set headline to compare a run with (percent), e.g. ResNet-18 96.00 / 86.17. */
    paperHeadline: z
      .object({ arch: z.string().min(1), accuracy: z.number().min(0).max(100), balancedAccuracy: z.number().min(0).max(100), source: z.string().optional() })
      .strict()
      .optional(),
    /** Datasets left out of the list by default that a run may opt into (e.g. a second source's extra). */
    optionalDatasets: z.array(datasetSchema).optional(),
  })
  .strict();

export type DatasetManifest = z.infer<typeof manifestSchema>;
export type ManifestDataset = z.infer<typeof datasetSchema>;

/** Parse and validate a manifest object; errors name the entry and field. */
export function parseManifest(value: unknown, source = 'manifest'): DatasetManifest {
  const result = manifestSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const at = describePath(value, issue.path);
    throw new ConfigError(`${source} ${at}: ${issue.message}`, {
      hint: 'fix the entry; see manifests/README.md for the fields',
      details: { issues: result.error.issues.slice(0, 10) },
    });
  }
  const seen = new Set<string>();
  for (const d of [...result.data.datasets, ...(result.data.optionalDatasets ?? [])]) {
    if (seen.has(d.name)) throw new ConfigError(`${source}: dataset "${d.name}" appears twice`, { hint: 'dataset names must be unique' });
    seen.add(d.name);
  }
  return result.data;
}

export function loadManifest(file: string): DatasetManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`manifest ${file} not found`, { hint: 'pass a path such as manifests/paper-2021.json' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`manifest ${file} is not valid JSON: ${(err as Error).message}`);
  }
  return parseManifest(value, file);
}

/** "at datasets[3] (\"LIDC-IDRI\").split" — points at the entry by index and name. */
function describePath(value: unknown, path: PropertyKey[]): string {
  if (path.length === 0) return 'at the top level';
  let label = '';
  let node: unknown = value;
  for (const p of path) {
    if (typeof p === 'number') {
      label += `[${p}]`;
      node = Array.isArray(node) ? node[p] : undefined;
      const name = node && typeof node === 'object' ? (node as { name?: unknown }).name : undefined;
      if (typeof name === 'string') label += ` ("${name}")`;
    } else {
      label += (label ? '.' : '') + String(p);
      node = node && typeof node === 'object' ? (node as Record<string, unknown>)[p as string] : undefined;
    }
  }
  return `at ${label}`;
}

export function collectionOf(d: ManifestDataset): string {
  return d.collection ?? d.name;
}

/** Where the dataset's files come from: the explicit source, else `external` when `external` is given, else `tcia`. */
export function datasetSource(d: ManifestDataset): DatasetSource {
  return d.source ?? (d.external ? 'external' : 'tcia');
}

/** IDC's collection_id for a TCIA collection name: lower case, every non-alphanumeric → `_` (TCGA-LUAD → tcga_luad). */
export function idcCollectionIdOf(collection: string): string {
  return collection.toLowerCase().replace(/[^a-z0-9]/g, '_');
}

/** The IDC collection_id of a non-external dataset: the manifest's, else derived from its TCIA collection name. */
export function idcCollectionOf(d: ManifestDataset): string {
  return d.idcCollectionId ?? idcCollectionIdOf(collectionOf(d));
}

/** The manifest's datasets plus the optional ones named in `include` (unknown names are an error). */
export function selectDatasets(m: DatasetManifest, include: readonly string[] = [], source = 'manifest'): ManifestDataset[] {
  const optional = m.optionalDatasets ?? [];
  const picked: ManifestDataset[] = [];
  for (const name of include) {
    const d = optional.find((o) => o.name.toLowerCase() === name.toLowerCase());
    if (!d) {
      throw new ConfigError(`${source}: no optional dataset "${name}"`, {
        hint: optional.length ? `optional datasets: ${optional.map((o) => o.name).join(', ')}` : 'this manifest has no optionalDatasets',
      });
    }
    if (!picked.includes(d)) picked.push(d);
  }
  return [...m.datasets, ...picked];
}
