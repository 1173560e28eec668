import fs from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { parseS3Url } from './indexFile.ts';

/**
 * The IDC portal's / idc-index's s5cmd manifest (idc.md): one `cp s3://<bucket>/<uuid>/* <dest>`
 * line per series. Comments (`#`) and blank lines are skipped; any other line is an error with its
 * number, since a silently skipped line is a silently missing series.
 */
export interface S5cmdManifest {
  /** crdc_series_uuid values in file order, duplicates removed. */
  seriesUuids: string[];
  /** uuid → bucket as written. */
  buckets: Map<string, string>;
}

export function parseS5cmdManifest(text: string, source = 's5cmd manifest'): S5cmdManifest {
  const seriesUuids: string[] = [];
  const buckets = new Map<string, string>();
  text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^cp\s+(?:--\S+\s+)*(\S+)(?:\s+\S+)?$/.exec(line);
    const url = m ? parseS3Url(m[1]!) : undefined;
    const uuid = url?.prefix.replace(/\/$/, '');
    if (!url || !uuid || uuid.includes('/')) {
      throw new ConfigError(`${source} line ${i + 1}: expected "cp s3://<bucket>/<series uuid>/* <dest>", got "${line.slice(0, 120)}"`, {
        hint: 'export the manifest from the IDC portal (s5cmd format) or with idc-index',
      });
    }
    if (buckets.has(uuid)) return;
    buckets.set(uuid, url.bucket);
    seriesUuids.push(uuid);
  });
  if (seriesUuids.length === 0) throw new ConfigError(`${source} lists no series`, { hint: 'expected lines like cp s3://idc-open-data/<uuid>/* .' });
  return { seriesUuids, buckets };
}

export function loadS5cmdManifest(file: string): S5cmdManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`s5cmd manifest ${file} not found`, { hint: 'pass the file the IDC portal exported' });
  }
  return parseS5cmdManifest(text, file);
}
