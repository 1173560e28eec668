import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { SPLITS } from '../core/types.ts';

/**
 * Dataset manifests (`manifests/*.json`): which datasets make a training set, where each comes
 * from, its body location, and (once reviewed) its split. Data reviewed like code.
 */

const datasetSchema = z
  .object({
    /** Dataset name, unique in the manifest (the TCIA collection name for TCIA datasets). */
    name: z.string().min(1),
    source: z.enum(['tcia', 'external']),
    /** TCIA collection name (defaults to `name`). */
    collection: z.string().min(1).optional(),
    /** DICOM modalities to take from this dataset (default: every modality the class map knows). */
    modalities: z.array(z.string().min(1)).optional(),
    /** Class(es) the paper used this dataset for, e.g. ["CT"] or ["CT", "PT"]. */
    classes: z.array(z.string().min(1)).optional(),
    /** Body location(s), e.g. "chest", "brain". */
    location: z.string().min(1),
    split: z.enum(SPLITS).nullable().optional(),
    /** For external sets: where a user gets them and how to import them. */
    url: z.string().optional(),
    notes: z.string().optional(),
  })
  .strict();

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
  for (const d of result.data.datasets) {
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
