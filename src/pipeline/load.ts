import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.ts';
import { pipelineSchema, type PipelineDefinition } from './schema.ts';

/** A validated pipeline plus where it came from (paths inside it resolve against `baseDir`). */
export interface LoadedPipeline {
  definition: PipelineDefinition;
  /** The file it was read from, or "<inline>". */
  source: string;
  /** Directory relative paths (manifests, external folders) are resolved against. */
  baseDir: string;
}

/** Read, parse and validate a pipeline YAML file. Every problem is a ConfigError (exit 2) naming the field. */
export function loadPipelineFile(file: string): LoadedPipeline {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`pipeline file ${file} not found`, { hint: 'pass a file such as pipelines/demo.yaml' });
  }
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos?.[0] ? ` line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
    throw new ConfigError(`${file}:${where} is not valid YAML: ${e.message.split('\n')[0]}`, {
      hint: 'check indentation and quoting at that line',
    });
  }
  return {
    definition: parsePipeline(doc.toJS(), file),
    source: file,
    baseDir: resolveBaseDir(file),
  };
}

/** Validate an already-parsed definition (tests, programmatic use). */
export function parsePipeline(value: unknown, source = '<inline>'): PipelineDefinition {
  const result = pipelineSchema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new ConfigError(`${source}: ${describeIssue(value, issue)}`, {
    hint: 'see pipelines/README.md for every field and its meaning',
    details: { issues: result.error.issues.slice(0, 10).map((i) => describeIssue(value, i)) },
  });
}

/** "shard.batch: expected integer ≥ 1, got \"abc\"". */
export function describeIssue(root: unknown, issue: z.core.$ZodIssue): string {
  const at = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${at ? at + ': ' : ''}unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}`;
  }
  const got = valueAt(root, issue.path);
  const gotText = got.present ? `got ${preview(got.value)}` : 'got nothing (field missing)';
  return `${at || 'top level'}: ${issue.message}, ${gotText}`;
}

function formatPath(p: PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : `${out ? '.' : ''}${String(k)}`;
  return out;
}

function valueAt(root: unknown, p: PropertyKey[]): { present: boolean; value?: unknown } {
  let node: unknown = root;
  for (const k of p) {
    if (node === null || typeof node !== 'object' || !(k in (node as object))) return { present: false };
    node = (node as Record<PropertyKey, unknown>)[k];
  }
  return { present: true, value: node };
}

function preview(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  const s = JSON.stringify(v);
  return s.length > 60 ? s.slice(0, 57) + '…"' : s;
}

/**
 * Relative paths in a pipeline are written from the repository root (`manifests/demo.json`), and
 * pipeline files live in `<root>/pipelines/`: resolve against the file's parent's parent when the file
 * sits in a `pipelines` folder, else against the file's own folder.
 */
function resolveBaseDir(file: string): string {
  const dir = path.dirname(path.resolve(file));
  return path.basename(dir) === 'pipelines' ? path.dirname(dir) : dir;
}

/** Resolve a path written in a pipeline: absolute stays, relative is taken from the cwd if it exists there, else from baseDir. */
export function resolveFrom(baseDir: string, p: string): string {
  if (path.isAbsolute(p)) return p;
  const fromCwd = path.resolve(p);
  if (fs.existsSync(fromCwd)) return fromCwd;
  return path.resolve(baseDir, p);
}
