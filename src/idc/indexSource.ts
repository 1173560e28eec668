import fs from 'node:fs';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { ConfigError, DataError, isEtlError } from '../core/errors.ts';
import { writeJsonAtomic } from '../core/fsAtomic.ts';
import { readIdcIndex } from './indexFile.ts';
import type { ObjectStore } from './objectStore.ts';
import { sha256Hex } from '../core/hash.ts';

/**
 * `--index FILE|URL`: a local Parquet file is read in place; a URL is downloaded into
 * `catalog/idc/<release>/idc_index.parquet`. The default is the latest idc-index-data release
 * asset: its tag comes first from GitHub's release API, so an unchanged release is never downloaded
 * twice and the pinned asset of that tag is what is cached. Any other URL is downloaded and named by
 * the `idc_index_data_version` the file carries (or its SHA-256).
 */
export const DEFAULT_INDEX_URL = 'https://github.com/ImagingDataCommons/idc-index-data/releases/latest/download/idc_index.parquet';
/** The same file on IDC's public GCS bucket (the `current/` folder follows the latest release). */
export const GCS_INDEX_URL = 'https://storage.googleapis.com/idc-index-data-artifacts/current/idc_index.parquet';
const LATEST_RELEASE_API = 'https://api.github.com/repos/ImagingDataCommons/idc-index-data/releases/latest';
const RELEASE_ASSET = (tag: string) => `https://github.com/ImagingDataCommons/idc-index-data/releases/download/${encodeURIComponent(tag)}/idc_index.parquet`;

export interface ResolvedIndex {
  file: string;
  /** Release tag, or the file's version (or hash) for other URLs; `local` for a file given by path. */
  release: string;
  url?: string;
  downloaded: boolean;
}

export function isUrl(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

export function validateIndexSpec(spec: string | undefined): string {
  const s = (spec ?? DEFAULT_INDEX_URL).trim();
  if (isUrl(s)) return s;
  if (!fs.existsSync(s) || !fs.statSync(s).isFile()) {
    throw new ConfigError(`\`index\` ${s}: no such file, and not an http(s) URL`, { hint: `omit \`index\` to use ${DEFAULT_INDEX_URL}` });
  }
  return s;
}

export async function resolveIndex(spec: string, store: ObjectStore, ctx: RunContext): Promise<ResolvedIndex> {
  if (!isUrl(spec)) return { file: path.resolve(spec), release: 'local', downloaded: false };
  if (spec === DEFAULT_INDEX_URL) return latestRelease(store, ctx);
  const root = path.dirname(path.dirname(ctx.paths.idcIndex('x')));
  const tmp = path.join(root, '.download', 'idc_index.parquet');
  ctx.log.info(`downloading the IDC index from ${spec}`);
  await store.downloadUrl(spec, tmp);
  const version = (await readIdcIndex(tmp, { seriesUids: new Set() })).version;
  const release = version ?? `sha256-${sha256Hex(fs.readFileSync(tmp)).slice(0, 16)}`;
  const file = ctx.paths.idcIndex(release);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.renameSync(tmp, file);
  await writeJsonAtomic(path.join(path.dirname(file), 'source.json'), { url: spec, release, downloadedAt: new Date().toISOString() });
  return { file, release, url: spec, downloaded: true };
}

async function latestRelease(store: ObjectStore, ctx: RunContext): Promise<ResolvedIndex> {
  let tag: string;
  try {
    const rel = (await store.json(LATEST_RELEASE_API)) as { tag_name?: unknown };
    if (typeof rel?.tag_name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(rel.tag_name)) throw new DataError('IDC_RELEASE_UNKNOWN', `${LATEST_RELEASE_API} names no release tag`);
    tag = rel.tag_name;
  } catch (err) {
    if (!isEtlError(err)) throw err;
    const cached = newestCached(ctx);
    if (!cached) throw err;
    ctx.log.warn(`cannot ask GitHub for the latest IDC index (${err.code}); using the cached release ${cached.release}`);
    return { ...cached, url: DEFAULT_INDEX_URL, downloaded: false };
  }
  const file = ctx.paths.idcIndex(tag);
  const url = RELEASE_ASSET(tag);
  if (fs.existsSync(file)) return { file, release: tag, url, downloaded: false };
  ctx.log.info(`downloading the IDC index ${tag} from ${url}`);
  await store.downloadUrl(url, file);
  await writeJsonAtomic(path.join(path.dirname(file), 'source.json'), { url, release: tag, downloadedAt: new Date().toISOString() });
  return { file, release: tag, url, downloaded: true };
}

function newestCached(ctx: RunContext): { file: string; release: string } | undefined {
  const dir = path.dirname(path.dirname(ctx.paths.idcIndex('x')));
  let best: { file: string; release: string; mtime: number } | undefined;
  for (const release of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const file = ctx.paths.idcIndex(release);
    const st = fs.statSync(file, { throwIfNoEntry: false });
    if (st && (!best || st.mtimeMs > best.mtime)) best = { file, release, mtime: st.mtimeMs };
  }
  return best && { file: best.file, release: best.release };
}
