import crypto from 'node:crypto';
import path from 'node:path';

/**
 * The one place that knows the data directory layout (architecture.md §3). Collection and series
 * names come from servers and manifests, so every component goes through `safeSegment`.
 */
export interface DataPaths {
  root: string;
  catalog(collection: string): string;
  plan(name: string): string;
  rawDir(collection: string): string;
  rawZip(collection: string, seriesUid: string): string;
  rawSidecar(collection: string, seriesUid: string): string;
  /** Verified objects of a series still being fetched from IDC (a dot folder: preprocess ignores it). */
  rawParts(collection: string, seriesUid: string): string;
  /** A cached IDC index release. */
  idcIndex(release: string): string;
  stagingDir(collection: string): string;
  staging(collection: string, seriesUid: string): string;
  stagingSidecar(collection: string, seriesUid: string): string;
  datasetRoot(name: string): string;
  datasetVersion(name: string, version: string): string;
  datasetCurrent(name: string): string;
  splitProposal(name: string): string;
  runs: string;
  run(id: string): string;
  rejects: string;
  state: string;
  /** Default folder of the external datasets' downloads (`--external-dir`). */
  external: string;
}

/**
 * A path component that cannot escape its directory: `/`, `\`, `..` and control characters are
 * replaced; a name too long for a file name (NAME_MAX is 255 bytes) keeps its start and gets a hash
 * of the whole, so distinct names stay distinct.
 */
export function safeSegment(name: string): string {
  const cleaned = name.replace(/[\/\\\u0000-\u001f]/g, '_').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') return '_' + cleaned.replace(/\./g, '_');
  if (Buffer.byteLength(cleaned) <= MAX_SEGMENT_BYTES) return cleaned;
  let head = cleaned.slice(0, 120);
  while (Buffer.byteLength(head) > 120) head = head.slice(0, -1);
  return `${head}~${crypto.createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
}

/** Room for the suffixes added to a segment (`.json`, `.<pid>.<rand>.tmp`) within NAME_MAX (255). */
const MAX_SEGMENT_BYTES = 200;

export function dataPaths(root: string): DataPaths {
  const r = path.resolve(root);
  const seg = safeSegment;
  return {
    root: r,
    catalog: (c) => path.join(r, 'catalog', `${seg(c)}.json`),
    plan: (n) => path.join(r, 'plans', `${seg(n)}.json`),
    rawDir: (c) => path.join(r, 'raw', seg(c)),
    rawZip: (c, s) => path.join(r, 'raw', seg(c), `${seg(s)}.zip`),
    rawSidecar: (c, s) => path.join(r, 'raw', seg(c), `${seg(s)}.json`),
    rawParts: (c, s) => path.join(r, 'raw', seg(c), `.${seg(s)}.parts`),
    idcIndex: (release) => path.join(r, 'catalog', 'idc', seg(release), 'idc_index.parquet'),
    stagingDir: (c) => path.join(r, 'staging', seg(c)),
    staging: (c, s) => path.join(r, 'staging', seg(c), `${seg(s)}.arrow`),
    stagingSidecar: (c, s) => path.join(r, 'staging', seg(c), `${seg(s)}.json`),
    datasetRoot: (n) => path.join(r, 'datasets', seg(n)),
    datasetVersion: (n, v) => path.join(r, 'datasets', seg(n), seg(v)),
    datasetCurrent: (n) => path.join(r, 'datasets', seg(n), 'current'),
    splitProposal: (n) => path.join(r, 'splits', `${seg(n)}.proposal.json`),
    runs: path.join(r, 'runs'),
    run: (id) => path.join(r, 'runs', seg(id)),
    rejects: path.join(r, 'rejects.jsonl'),
    state: path.join(r, 'state'),
    external: path.join(r, 'external'),
  };
}
