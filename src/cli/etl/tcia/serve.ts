import fs from 'node:fs';
import path from 'node:path';
import type { CommandModule } from 'yargs';
import { runCommand, type GlobalArgs } from '../../command.ts';
import { ConfigError } from '../../../core/errors.ts';
import { listCollectionDirs, FAULT_KINDS, startStandIn, type FaultKind } from '../../../standins/tcia/index.ts';
import { S3_FAULT_KINDS, startS3StandIn, type S3FaultKind, type S3StandIn } from '../../../standins/s3/index.ts';

interface ServeArgs {
  data: string;
  port: number;
  host: string;
  latencyMs: number;
  bandwidthMbps?: number;
  faultRate: number;
  faults?: string;
  seed: number;
  zipLevel: number;
  s3: boolean;
  s3Port: number;
  s3Faults?: string;
  cacheMb: number;
}

export const command: CommandModule<GlobalArgs, ServeArgs & GlobalArgs> = {
  command: 'serve',
  describe: 'serve NBIA API v4 from local DICOM collections (stand-in for TCIA, with fault injection); prints the base URL',
  builder: (y) =>
    y
      .option('data', { type: 'string', demandOption: true, describe: 'folder of collections (<Collection>/…/*.dcm), e.g. from `etl tcia synth`' })
      .option('port', { type: 'number', default: 0, describe: 'port (0 = any free port)' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'address to bind' })
      .option('latency-ms', { type: 'number', default: 0, describe: 'delay before each response\'s first byte' })
      .option('bandwidth-mbps', { type: 'number', describe: 'capacity of one link shared by all connections (Mbit/s)' })
      .option('fault-rate', { type: 'number', default: 0, describe: 'probability per request of injecting a fault' })
      .option('faults', { type: 'string', describe: `fault kinds, comma-separated: ${FAULT_KINDS.join(',')}` })
      .option('seed', { type: 'number', default: 1, describe: 'seed of the fault generator' })
      .option('s3', { type: 'boolean', default: false, describe: 'also serve the same collections as IDC does: an S3 endpoint with one object per instance and a generated idc_index.parquet (for `etl fetch idc`)' })
      .option('s3-port', { type: 'number', default: 0, describe: 'port of the S3 stand-in (0 = any free port)' })
      .option('s3-faults', { type: 'string', describe: `S3 fault kinds (with --fault-rate), comma-separated: ${S3_FAULT_KINDS.join(',')}` })
      .option('cache-mb', { type: 'number', default: 0, describe: 'benchmarks: keep up to this many MB of getImage ZIPs in memory once built (and, with --s3, every object from the start), so after a warm-up pass the client and the link are measured, not the stand-in' })
      .option('zip-level', { type: 'number', default: 6, describe: 'deflate level of getImage ZIPs, 1-9 (6 = the real server; lower = less CPU)' }) as never,
  handler: runCommand<ServeArgs>(async (args, ctx) => {
    const dataDir = path.resolve(args.data);
    const collections = listCollectionDirs(dataDir).filter((c) => hasFiles(path.join(dataDir, c)));
    if (collections.length === 0) {
      throw new ConfigError(`--data ${args.data}: expected a folder with one sub-folder of DICOM files per collection, got ${fs.existsSync(dataDir) ? 'no collections' : 'no such folder'}`, {
        hint: `etl tcia synth --preset demo --out ${args.data}`,
      });
    }
    const faults = parseFaults(args.faults);
    if (!(args.faultRate >= 0 && args.faultRate <= 1)) throw new ConfigError(`--fault-rate must be between 0 and 1, got ${args.faultRate}`);
    if (args.faultRate > 0 && faults.length === 0) {
      throw new ConfigError('--fault-rate needs --faults', { hint: `e.g. --faults ${FAULT_KINDS.join(',')}` });
    }
    if (!Number.isInteger(args.port) || args.port < 0 || args.port > 65535) throw new ConfigError(`--port must be 0..65535, got ${args.port}`);
    if (!(args.cacheMb >= 0)) throw new ConfigError(`--cache-mb must be 0 or more, got ${args.cacheMb}`, { hint: 'e.g. --cache-mb 2000' });

    const server = await startStandIn({
      dataDir,
      port: args.port,
      host: args.host,
      latencyMs: args.latencyMs,
      ...(args.bandwidthMbps !== undefined ? { bandwidthMbps: args.bandwidthMbps } : {}),
      faultRate: args.faultRate,
      faults,
      seed: args.seed,
      zipCompressionLevel: args.zipLevel,
      zipCacheMb: args.cacheMb,
      log: ctx.log,
    });
    let s3: S3StandIn | undefined;
    if (args.s3) {
      const s3Faults = parseS3Faults(args.s3Faults);
      s3 = await startS3StandIn({
        dataDir,
        port: args.s3Port,
        host: args.host,
        latencyMs: args.latencyMs,
        ...(args.bandwidthMbps !== undefined ? { bandwidthMbps: args.bandwidthMbps } : {}),
        faultRate: s3Faults.length ? args.faultRate : 0,
        faults: s3Faults,
        seed: args.seed,
        cacheObjects: args.cacheMb > 0,
        log: ctx.log,
      });
    }
    // Scripts read the URLs from stdout; everything else goes to stderr.
    process.stdout.write(server.url + '\n');
    if (s3) process.stdout.write(`${s3.url}\n${s3.indexUrl}\n`);
    if (s3) ctx.log.info(`IDC stand-in: etl fetch idc --endpoint ${s3.url} --index ${s3.indexUrl} --collection …`);
    ctx.log.info(`serving ${dataDir} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      if (ctx.signal.aborted) return resolve();
      ctx.signal.addEventListener('abort', stop, { once: true });
      process.once('SIGTERM', stop);
    });
    await server.close();
    await s3?.close();
    const stats = server.stats();
    return {
      title: 'tcia stand-in stopped',
      figures: {
        requests: stats.requests,
        'bytes sent': stats.bytesSent,
        faults: Object.entries(stats.faults).map(([k, v]) => `${k} ×${v}`).join(', ') || 'none',
      },
    };
  }),
};

/** Whether a collection folder holds any file besides collection.json (depth first, stops at the first). */
function hasFiles(dir: string): boolean {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.isFile() && e.name !== 'collection.json') return true;
    if (e.isDirectory() && hasFiles(path.join(dir, e.name))) return true;
  }
  return false;
}

function parseFaults(s: string | undefined): FaultKind[] {
  if (!s) return [];
  const kinds = s.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) throw new ConfigError(`--faults: unknown kind(s) ${bad.join(', ')}`, { hint: `use ${FAULT_KINDS.join(',')}` });
  return kinds as FaultKind[];
}

function parseS3Faults(s: string | undefined): S3FaultKind[] {
  if (!s) return [];
  const kinds = s.split(',').map((k) => k.trim()).filter(Boolean);
  const bad = kinds.filter((k) => !(S3_FAULT_KINDS as readonly string[]).includes(k));
  if (bad.length > 0) throw new ConfigError(`--s3-faults: unknown kind(s) ${bad.join(', ')}`, { hint: `use ${S3_FAULT_KINDS.join(',')}` });
  return kinds as S3FaultKind[];
}
