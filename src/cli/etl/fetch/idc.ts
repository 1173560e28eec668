import type { CommandModule } from 'yargs';
import { runCommand, printSummary, type GlobalArgs } from '../../command.ts';
import { parsePartition } from '../../../core/partition.ts';
import { parseModalities } from '../../../core/classMap.ts';
import { parseCaps } from '../../../curate/index.ts';
import { DEFAULT_INDEX_URL } from '../../../idc/index.ts';
import { DEFAULT_IDC_CONCURRENCY, budgetError, fetchIdc, fetchSummaryFigures, validateIdcOptions } from '../../../pipeline/index.ts';

interface FetchIdcArgs {
  index: string;
  endpoint: string;
  collection?: string[];
  manifest?: string;
  s5cmdManifest?: string;
  modality?: string[];
  license?: string[];
  cap?: string[];
  capOrder?: 'tcia' | 'spread';
  concurrency: number;
  partition?: string;
  planName?: string;
  maxRejectRate: number;
  maxAttempts: number;
  verifyExisting: boolean;
  planOnly: boolean;
}

export const command: CommandModule<GlobalArgs, FetchIdcArgs & GlobalArgs> = {
  command: 'idc',
  describe: 'the same collections from NCI Imaging Data Commons\' public buckets: index → plan (class map, caps) → verified object downloads, one ZIP per series in raw/ (resumable)',
  builder: (y) =>
    y
      .option('index', { type: 'string', default: DEFAULT_INDEX_URL, describe: 'IDC series index (idc_index.parquet): a file or an http(s) URL; URLs are cached per release under catalog/idc/' })
      .option('endpoint', { type: 'string', default: 'aws', describe: 'aws (https://s3.amazonaws.com), gcs (https://storage.googleapis.com) or an S3 endpoint URL (path-style)' })
      .option('collection', { type: 'string', array: true, describe: 'IDC collection_id (lidc_idri) or TCIA collection name (LIDC-IDRI)' })
      .option('manifest', { type: 'string', describe: 'dataset manifest, e.g. manifests/paper-2021.json' })
      .option('s5cmd-manifest', { type: 'string', describe: 'IDC portal export: lines "cp s3://<bucket>/<uuid>/* ."' })
      .option('modality', { type: 'string', array: true, describe: 'only these DICOM modalities, e.g. CT,MR' })
      .option('license', { type: 'string', array: true, describe: 'only series under these licences (license_short_name), e.g. "CC BY 4.0"' })
      .option('cap', { type: 'string', array: true, describe: 'images per dataset per class, e.g. CT=50000,MR=100000' })
      .option('cap-order', { choices: ['tcia', 'spread'] as const, describe: 'series order the caps consume: index order, or round-robin over patients (default tcia)' })
      .option('concurrency', { type: 'number', default: DEFAULT_IDC_CONCURRENCY, describe: 'parallel object requests across all series' })
      .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
      .option('plan-name', { type: 'string', describe: 'plans/<name>.json (default: manifest name, or "fetch")' })
      .option('max-reject-rate', { type: 'number', default: 0.01, describe: 'failed series allowed (fraction of planned) before exit 3' })
      .option('max-attempts', { type: 'number', default: 5, describe: 'attempts per request' })
      .option('verify-existing', { type: 'boolean', default: false, describe: 're-hash already fetched series instead of the size check' })
      .option('plan-only', { type: 'boolean', default: false, describe: 'write the plan and stop' }) as never,
  handler: runCommand<FetchIdcArgs>(async (args, ctx) => {
    const modalities = parseModalities(args.modality);
    const caps = parseCaps(args.cap);
    const options = validateIdcOptions({
      index: args.index,
      endpoint: args.endpoint,
      ...(args.collection ? { collections: args.collection.flatMap((c) => c.split(',')) } : {}),
      ...(args.manifest ? { manifest: args.manifest } : {}),
      ...(args.s5cmdManifest ? { s5cmdManifest: args.s5cmdManifest } : {}),
      ...(modalities ? { modalities } : {}),
      ...(args.license ? { licenses: args.license } : {}),
      ...(caps ? { caps } : {}),
      ...(args.capOrder ? { capOrder: args.capOrder } : {}),
      concurrency: args.concurrency,
      partition: parsePartition(args.partition),
      ...(args.planName !== undefined ? { planName: args.planName } : {}),
      maxRejectRate: args.maxRejectRate,
      retry: { maxAttempts: args.maxAttempts },
      verifyExisting: args.verifyExisting,
      planOnly: args.planOnly,
      throwOnBudget: false,
    });
    const start = performance.now();
    const result = await fetchIdc(options, ctx);
    const figures = fetchSummaryFigures(result);
    figures['IDC index'] = `${result.release} (${result.indexFile})`;
    figures['collections → collection_id'] = Object.entries(result.collectionMap).map(([k, v]) => (k === v ? k : `${k} → ${v}`)).join(', ');
    const summary = { title: 'fetch idc', figures };
    if (result.overBudget) {
      printSummary(ctx, summary, (performance.now() - start) / 1000);
      throw budgetError(result, options.maxRejectRate, ctx);
    }
    return summary;
  }),
};
