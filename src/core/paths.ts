import path from 'node:path';
import { sha256Hex } from './hash.ts';

/**
 * The one place that knows the data directory layout (architecture.md §3). Collection and series
 * names come from servers and manifests, so every component goes through `safeSegment`.
 */
export interface DataPaths {
  root: string;
  catalogRoot: string;
  catalog(collection: string): string;
  plansRoot: string;
  plan(name: string): string;
  rawRoot: string;
  rawDir(collection: string): string;
  rawZip(collection: string, seriesUid: string): string;
  rawSidecar(collection: string, seriesUid: string): string;
  /** Verified objects of a series still being fetched from IDC (a dot folder: preprocess ignores it). */
  rawParts(collection: string, seriesUid: string): string;
  /** A cached IDC index release. */
  idcIndex(release: string): string;
  stagingRoot: string;
  stagingDir(collection: string): string;
  staging(collection: string, seriesUid: string): string;
  stagingSidecar(collection: string, seriesUid: string): string;
  datasetsRoot: string;
  datasetRoot(name: string): string;
  datasetVersion(name: string, version: string): string;
  datasetCurrent(name: string): string;
  /** The committed split of a dataset manifest (`splits/<name>.json`). */
  splitFile(manifestName: string): string;
  splitProposal(name: string): string;
  /** Report folder (`reports/<name>`): `report.html`, `report.md`, `report.json`. */
  report(name: string): string;
  runs: string;
  run(id: string): string;
  /** Pipeline run logs (`logs/pipeline-<name>-<time>.jsonl`). */
  logs: string;
  rejects: string;
  state: string;
  /** A pipeline's incremental state (`state/<name>.json`). */
  pipelineState(pipeline: string): string;
  /** The one-run-at-a-time lock of a pipeline (`state/<name>.lock`). */
  pipelineLock(pipeline: string): string;
  /** Default folder of the demo's synthetic archive (`etl demo`). */
  synthArchive: string;
  /** Default folder of the external datasets' downloads (`--external-dir`). */
  external: string;
}

/** The data directory when none is given (`--data-dir`, `dataDir`). */
export const DEFAULT_DATA_DIR = 'data';

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
  return `${head}~${sha256Hex(name).slice(0, 16)}`;
}

/** Room for the suffixes added to a segment (`.json`, `.<pid>.<rand>.tmp`) within NAME_MAX (255). */
const MAX_SEGMENT_BYTES = 200;

export function dataPaths(root: string): DataPaths {
  const r = path.resolve(root);
  const seg = safeSegment;
  return {
    root: r,
    catalogRoot: path.join(r, 'catalog'),
    catalog: (c) => path.join(r, 'catalog', `${seg(c)}.json`),
    plansRoot: path.join(r, 'plans'),
    plan: (n) => path.join(r, 'plans', `${seg(n)}.json`),
    rawRoot: path.join(r, 'raw'),
    rawDir: (c) => path.join(r, 'raw', seg(c)),
    rawZip: (c, s) => path.join(r, 'raw', seg(c), `${seg(s)}.zip`),
    rawSidecar: (c, s) => path.join(r, 'raw', seg(c), `${seg(s)}.json`),
    rawParts: (c, s) => path.join(r, 'raw', seg(c), `.${seg(s)}.parts`),
    idcIndex: (release) => path.join(r, 'catalog', 'idc', seg(release), 'idc_index.parquet'),
    stagingRoot: path.join(r, 'staging'),
    stagingDir: (c) => path.join(r, 'staging', seg(c)),
    staging: (c, s) => path.join(r, 'staging', seg(c), `${seg(s)}.arrow`),
    stagingSidecar: (c, s) => path.join(r, 'staging', seg(c), `${seg(s)}.json`),
    datasetsRoot: path.join(r, 'datasets'),
    datasetRoot: (n) => path.join(r, 'datasets', seg(n)),
    datasetVersion: (n, v) => path.join(r, 'datasets', seg(n), seg(v)),
    datasetCurrent: (n) => path.join(r, 'datasets', seg(n), 'current'),
    splitFile: (n) => path.join(r, 'splits', `${seg(n)}.json`),
    splitProposal: (n) => path.join(r, 'splits', `${seg(n)}.proposal.json`),
    report: (n) => path.join(r, 'reports', seg(n)),
    runs: path.join(r, 'runs'),
    run: (id) => path.join(r, 'runs', seg(id)),
    logs: path.join(r, 'logs'),
    rejects: path.join(r, 'rejects.jsonl'),
    state: path.join(r, 'state'),
    pipelineState: (n) => path.join(r, 'state', `${seg(n)}.json`),
    pipelineLock: (n) => path.join(r, 'state', `${seg(n)}.lock`),
    synthArchive: path.join(r, 'tcia-synth'),
    external: path.join(r, 'external'),
  };
}
