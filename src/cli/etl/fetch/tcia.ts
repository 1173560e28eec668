import type { CommandModule } from 'yargs';
import { runCommand, printSummary, type GlobalArgs } from '../../command.ts';
import { parsePartition } from '../../../core/partition.ts';
import { parseCaps } from '../../../curate/index.ts';
import { parseModalities } from '../../../core/classMap.ts';
import { DEFAULT_API_URL } from '../../../tcia/index.ts';
import { budgetError, DEFAULT_CONCURRENCY, fetchSummaryFigures, fetchTcia, validateFetchOptions } from '../../../pipeline/index.ts';

interface FetchTciaArgs {
  apiUrl: string;
  collection?: string[];
  manifest?: string;
  tciaManifest?: string;
  modality?: string[];
  cap?: string[];
  capOrder?: 'tcia' | 'spread';
  concurrency: number;
  partition?: string;
  planName?: string;
  maxRejectRate: number;
  maxAttempts: number;
  verifyExisting: boolean;
  reuseCatalog: boolean;
  planOnly: boolean;
}

export const command: CommandModule<GlobalArgs, FetchTciaArgs & GlobalArgs> = {
  command: 'tcia',
  describe: 'catalog TCIA collections, plan with modality mapping and caps, download verified series ZIPs (resumable)',
  builder: (y) =>
    y
      .option('api-url', { type: 'string', default: DEFAULT_API_URL, describe: 'NBIA API v4 base URL' })
      .option('collection', { type: 'string', array: true, describe: 'TCIA collection name(s)' })
      .option('manifest', { type: 'string', describe: 'dataset manifest, e.g. manifests/paper-2021.json' })
      .option('tcia-manifest', { type: 'string', describe: '.tcia manifest file from the TCIA portal' })
      .option('modality', { type: 'string', array: true, describe: 'only these DICOM modalities, e.g. CT,MR' })
      .option('cap', { type: 'string', array: true, describe: 'images per dataset per class, e.g. CT=50000,MR=100000' })
      .option('cap-order', { choices: ['tcia', 'spread'] as const, describe: 'series order the caps consume: as TCIA lists them, or round-robin over patients (default tcia)' })
      .option('concurrency', { type: 'number', default: DEFAULT_CONCURRENCY, describe: 'parallel series downloads' })
      .option('partition', { type: 'string', describe: 'i/P: only series with hash(SeriesInstanceUID) mod P = i' })
      .option('plan-name', { type: 'string', describe: 'plans/<name>.json (default: manifest name, or "fetch")' })
      .option('max-reject-rate', { type: 'number', default: 0.01, describe: 'failed series allowed (fraction of planned) before exit 3' })
      .option('max-attempts', { type: 'number', default: 5, describe: 'attempts per request or series download' })
      .option('verify-existing', { type: 'boolean', default: false, describe: 're-hash already downloaded ZIPs instead of the size check' })
      .option('reuse-catalog', { type: 'boolean', default: false, describe: 'use catalog snapshots already on disk' })
      .option('plan-only', { type: 'boolean', default: false, describe: 'write the plan and stop' }) as never,
  handler: runCommand<FetchTciaArgs>(async (args, ctx) => {
    const modalities = parseModalities(args.modality);
    const caps = parseCaps(args.cap);
    const options = validateFetchOptions({
      apiUrl: args.apiUrl,
      ...(args.collection ? { collections: args.collection.flatMap((c) => c.split(',')) } : {}),
      ...(args.manifest ? { manifest: args.manifest } : {}),
      ...(args.tciaManifest ? { tciaManifest: args.tciaManifest } : {}),
      ...(modalities ? { modalities } : {}),
      ...(caps ? { caps } : {}),
      ...(args.capOrder ? { capOrder: args.capOrder } : {}),
      concurrency: args.concurrency,
      partition: parsePartition(args.partition),
      ...(args.planName !== undefined ? { planName: args.planName } : {}),
      maxRejectRate: args.maxRejectRate,
      retry: { maxAttempts: args.maxAttempts },
      verifyExisting: args.verifyExisting,
      reuseCatalog: args.reuseCatalog,
      planOnly: args.planOnly,
      throwOnBudget: false,
    });
    const start = performance.now();
    const result = await fetchTcia(options, ctx);
    const summary = { title: 'fetch tcia', figures: fetchSummaryFigures(result) };
    if (result.overBudget) {
      printSummary(ctx, summary, (performance.now() - start) / 1000);
      throw budgetError(result, options.maxRejectRate, ctx);
    }
    return summary;
  }),
};
