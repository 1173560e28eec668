import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { fetchOutcome, fetchSelectionConfig, fetchSelectionOptions, type FetchSelectionArgs } from '../../fetchOptions.ts';
import { DEFAULT_INDEX_URL } from '../../../idc/index.ts';
import { fetchIdc, fetchSummaryFigures, validateIdcOptions } from '../../../pipeline/index.ts';

interface FetchIdcArgs extends FetchSelectionArgs {
  index: string;
  endpoint: string;
  s5cmdManifest?: string;
  license?: string[];
}

export const command: CommandModule<GlobalArgs, FetchIdcArgs & GlobalArgs> = {
  command: 'idc',
  describe: 'the same collections from NCI Imaging Data Commons\' public buckets: index → plan (class map, caps) → verified object downloads, one ZIP per series in raw/ (resumable)',
  builder: (y) =>
    fetchSelectionOptions(
      y
        .option('index', { type: 'string', default: DEFAULT_INDEX_URL, describe: 'IDC series index (idc_index.parquet): a file or an http(s) URL; URLs are cached per release under catalog/idc/' })
        .option('endpoint', { type: 'string', default: 'aws', describe: 'aws (https://s3.amazonaws.com), gcs (https://storage.googleapis.com) or an S3 endpoint URL (path-style)' })
        .option('s5cmd-manifest', { type: 'string', describe: 'IDC portal export: lines "cp s3://<bucket>/<uuid>/* ."' })
        .option('license', { type: 'string', array: true, describe: 'only series under these licences (license_short_name), e.g. "CC BY 4.0"' }),
      'idc',
    ) as never,
  handler: runCommand<FetchIdcArgs>(async (args, ctx) => {
    const options = validateIdcOptions({
      index: args.index,
      endpoint: args.endpoint,
      ...fetchSelectionConfig(args),
      ...(args.s5cmdManifest ? { s5cmdManifest: args.s5cmdManifest } : {}),
      ...(args.license ? { licenses: args.license } : {}),
    });
    const start = performance.now();
    const result = await fetchIdc(options, ctx);
    const figures = fetchSummaryFigures(result);
    figures['IDC index'] = `${result.release} (${result.indexFile})`;
    figures['collections → collection_id'] = Object.entries(result.collectionMap).map(([k, v]) => (k === v ? k : `${k} → ${v}`)).join(', ');
    return fetchOutcome(ctx, { title: 'fetch idc', figures }, result, options.maxRejectRate, start);
  }),
};
