import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { fetchOutcome, fetchSelectionConfig, fetchSelectionOptions, type FetchSelectionArgs } from '../../fetchOptions.ts';
import { DEFAULT_API_URL } from '../../../tcia/index.ts';
import { fetchSummaryFigures, fetchTcia, validateFetchOptions } from '../../../pipeline/index.ts';

interface FetchTciaArgs extends FetchSelectionArgs {
  apiUrl: string;
  tciaManifest?: string;
  reuseCatalog: boolean;
}

export const command: CommandModule<GlobalArgs, FetchTciaArgs & GlobalArgs> = {
  command: 'tcia',
  describe: 'catalog TCIA collections, plan with modality mapping and caps, download verified series ZIPs (resumable)',
  builder: (y) =>
    fetchSelectionOptions(
      y
        .option('api-url', { type: 'string', default: DEFAULT_API_URL, describe: 'NBIA API v4 base URL' })
        .option('tcia-manifest', { type: 'string', describe: '.tcia manifest file from the TCIA portal' })
        .option('reuse-catalog', { type: 'boolean', default: false, describe: 'use catalog snapshots already on disk' }),
      'tcia',
    ) as never,
  handler: runCommand<FetchTciaArgs>(async (args, ctx) => {
    const options = validateFetchOptions({
      apiUrl: args.apiUrl,
      ...fetchSelectionConfig(args),
      ...(args.tciaManifest ? { tciaManifest: args.tciaManifest } : {}),
      reuseCatalog: args.reuseCatalog,
    });
    const start = performance.now();
    const result = await fetchTcia(options, ctx);
    return fetchOutcome(ctx, { title: 'fetch tcia', figures: fetchSummaryFigures(result) }, result, options.maxRejectRate, start);
  }),
};
