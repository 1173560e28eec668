import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { RunContext } from '../core/context.ts';
import { InputError } from '../core/errors.ts';
import { IntegrityError, type VerifyProblem } from './integrity.ts';
import { decodeColumns, ipcFileLayout, readAt, readIpcLayout, type BatchLayout, type ByteRange, type FileLayout } from '../core/ipcLayout.ts';
import { SPLITS, type Split } from '../core/types.ts';
import { LeakageCollector, formatLeakage, type LeakageReport } from '../curate/index.ts';
import { checkBatchIndex } from './batchIndex.ts';
import { readShardManifest, shardsOf, type ShardManifest } from './manifest.ts';
import { readCurrent } from './publish.ts';
import { readShardSchemaInfo } from './schema.ts';
import { sha256File } from '../core/hash.ts';
import { shardCrc32 } from './crc.ts';
import type { ShardCrc32, ShardFileInfo } from './writer.ts';
import { stableJson } from '../core/fsAtomic.ts';

/**
 * `etl verify`: a published dataset against its manifest — every shard's bytes and SHA-256 (so any
 * flipped byte or truncation names the shard), magic, Schema message at the start, schema
 * metadata, batch sizes, row/class/dataset counts, and leakage recomputed from the stored
 * dataset/patient/pixel_hash columns. Problems end the command with exit code 3 (DATA_INTEGRITY).
 */

export { INTEGRITY_EXIT, IntegrityError, type VerifyProblem } from './integrity.ts';

export interface VerifyReport {
  name: string;
  version: string;
  ok: boolean;
  shards: number;
  bytes: number;
  rows: number;
  problems: VerifyProblem[];
  leakage?: LeakageReport;
}

/** Presence, size and SHA-256 of every shard the manifest lists. */
export async function verifyShardFiles(dir: string, manifest: ShardManifest, opts: { throwOnError?: boolean } = {}): Promise<VerifyProblem[]> {
  const { problems } = await checkShardFiles(dir, manifest, false, false);
  if (opts.throwOnError && problems.length > 0) {
    throw new IntegrityError(`${problems.length} shard problem(s): ${problems.slice(0, 3).map((p) => p.message).join('; ')}`, problems);
  }
  return problems;
}

/**
 * verifyShardFiles' checks. `trustDigests`: sizes only, for a caller that computed the digests from
 * the very bytes it wrote (no second read to re-hash them); `withCrc32`: also each shard's CRC-32s,
 * from the same read (for the batch index's check).
 */
async function checkShardFiles(dir: string, manifest: ShardManifest, trustDigests: boolean, withCrc32: boolean): Promise<{ problems: VerifyProblem[]; crc32: Map<string, ShardCrc32> }> {
  const problems: VerifyProblem[] = [];
  const crc32 = new Map<string, ShardCrc32>();
  for (const s of manifest.shards) {
    const file = path.join(dir, s.file);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      problems.push({ shard: s.file, code: 'MISSING', message: `${s.file} is missing` });
      continue;
    }
    if (st.size !== s.bytes) {
      problems.push({ shard: s.file, code: 'SIZE', message: `${s.file} has ${st.size} bytes, manifest says ${s.bytes} (truncated or extended)` });
      continue;
    }
    if (trustDigests) continue;
    const digest = withCrc32 ? await digestShard(file, s.file, crc32) : await sha256File(file);
    if (digest !== s.sha256) problems.push({ shard: s.file, code: 'CHECKSUM', message: `${s.file} SHA-256 ${digest.slice(0, 16)}… differs from the manifest’s ${s.sha256.slice(0, 16)}…` });
  }
  return { problems, crc32 };
}

/**
 * SHA-256 of a whole shard, with its CRC-32s (into `crc32`) from the same read when its footer is
 * readable; a shard whose footer is not gets the SHA-256 alone (checkShardContent names the damage).
 */
async function digestShard(file: string, name: string, crc32: Map<string, ShardCrc32>): Promise<string> {
  const hash = crypto.createHash('sha256');
  try {
    const blocks: ByteRange[] = (await ipcFileLayout(file)).batches.map((b) => ({ offset: b.offset, length: b.metadataLength + b.bodyLength }));
    crc32.set(name, await shardCrc32(file, blocks, (bytes) => hash.update(bytes)));
  } catch {
    // No readable layout, or blocks that overlap or run past the end: hashed alone, the index check reports it.
    return sha256File(file);
  }
  return hash.digest('hex');
}

/**
 * Structure and content of one shard whose checksum matched: schema, batches, counts, leakage keys.
 * Reads the footer, each batch's message and the small columns; the image column is covered by the
 * SHA-256 (or was hashed as it was written), so its bytes are not read again here.
 */
async function checkShardContent(
  dir: string, s: ShardFileInfo, m: ShardManifest, isLastShard: boolean, counts: { classes: Record<string, number>; datasets: Record<string, number> },
  leakage: LeakageCollector, problems: VerifyProblem[],
): Promise<number> {
  const file = path.join(dir, s.file);
  const fh = await fsp.open(file, 'r');
  let rows = 0;
  try {
    const head = Buffer.alloc(16);
    await fh.read(head, 0, 16, 0);
    if (head.subarray(0, 6).toString('latin1') !== 'ARROW1' || head.readInt32LE(8) !== -1) {
      problems.push({ shard: s.file, code: 'LAYOUT', message: `${s.file}: no magic + Schema message at the start` });
      return 0;
    }
    const layout = await readIpcLayout(fh, file);
    const info = readShardSchemaInfo(layout.schema);
    const want = { height: m.image.height, width: m.image.width, batchSize: m.batchSize, seed: m.seed, split: s.split, shardIndex: s.index, shardCount: s.count };
    const got = { height: info.height, width: info.width, batchSize: info.batchSize, seed: info.seed, split: info.split, shardIndex: info.shardIndex, shardCount: info.shardCount };
    if (stableJson(want) !== stableJson(got) || stableJson(info.classNames) !== stableJson(m.classNames) || info.configHash !== m.inputs.configHash) {
      problems.push({ shard: s.file, code: 'SCHEMA', message: `${s.file}: schema metadata ${stableJson(got).replace(/\s+/g, ' ')} differs from the manifest` });
    }
    const nb = layout.batches.length;
    if (nb !== s.batches) problems.push({ shard: s.file, code: 'BATCHES', message: `${s.file}: ${nb} batches, manifest says ${s.batches}` });
    for (const [i, b] of layout.batches.entries()) {
      const lastOfSplit = isLastShard && i === nb - 1;
      if (b.rows !== m.batchSize && !(lastOfSplit && m.partial === 'keep' && b.rows < m.batchSize)) {
        problems.push({ shard: s.file, code: 'BATCH_SIZE', message: `${s.file}: batch ${i} has ${b.rows} rows, expected ${m.batchSize}` });
      }
      checkRows(s, i, await smallColumns(fh, layout, b, m.image.height * m.image.width), m, counts, leakage, problems);
      rows += b.rows;
    }
    if (rows !== s.rows) problems.push({ shard: s.file, code: 'ROWS', message: `${s.file}: ${rows} rows, manifest says ${s.rows}` });
  } catch (err) {
    problems.push({ shard: s.file, code: 'UNREADABLE', message: `${s.file}: ${(err as Error).message}` });
  } finally {
    await fh.close().catch(() => undefined);
  }
  return rows;
}

const SMALL_COLUMNS = ['label', 'dataset', 'patient', 'series', 'sop', 'frame', 'pixel_hash'] as const;
type SmallColumns = { label: Int32Array; frame: Int32Array } & Record<'dataset' | 'patient' | 'series' | 'sop' | 'pixel_hash', string[]>;

/** Every column but the image, from one read spanning their buffers (they follow the image in the body). */
async function smallColumns(fh: fsp.FileHandle, layout: FileLayout, b: BatchLayout, pixels: number): Promise<SmallColumns> {
  const image = b.buffers[layout.firstBuffer[0]! + 1]!;
  if (layout.fields[0]?.name !== 'image' || image.length < b.rows * pixels) throw new Error(`image buffer shorter than ${b.rows} rows`);
  const from = b.buffers[layout.firstBuffer[1]!]!.offset;
  const to = b.offset + b.metadataLength + b.bodyLength;
  const chunk = await readAt(fh, from, to - from);
  return decodeColumns(layout, b, chunk, from, SMALL_COLUMNS) as SmallColumns;
}

function checkRows(
  s: ShardFileInfo, i: number, c: SmallColumns, m: ShardManifest, counts: { classes: Record<string, number>; datasets: Record<string, number> },
  leakage: LeakageCollector, problems: VerifyProblem[],
): void {
  for (let r = 0; r < c.label.length; r++) {
    const cls = m.classNames[c.label[r]!];
    if (cls === undefined) {
      problems.push({ shard: s.file, code: 'LABEL', message: `${s.file}: batch ${i} row ${r} has label ${c.label[r]} outside 0..${m.classNames.length - 1}` });
      continue;
    }
    const d = c.dataset[r]!;
    if (m.inputs.assignments[d] !== s.split) {
      problems.push({ shard: s.file, code: 'SPLIT', message: `${s.file}: dataset ${d} is assigned to ${m.inputs.assignments[d] ?? 'no split'}, found in ${s.split}` });
    }
    counts.classes[cls] = (counts.classes[cls] ?? 0) + 1;
    counts.datasets[d] = (counts.datasets[d] ?? 0) + 1;
    leakage.add(d, c.patient[r]!, c.pixel_hash[r]!, `${d}/${c.series[r]}/${c.sop[r]}#${c.frame[r]}`);
  }
}

export interface VerifyOptions {
  name: string;
  version?: string;
  /** Also fail when leakage between splits is found (it is always reported). */
  strictLeakage?: boolean;
  /**
   * The manifest's SHA-256s were just computed while the shards were written (etl shard's own check
   * before switching `current`): check sizes, structure, counts and leakage, but do not read every
   * byte again to re-hash it. `etl verify` never sets this.
   */
  trustDigests?: boolean;
}

export async function verifyDataset(options: VerifyOptions, ctx: RunContext): Promise<VerifyReport> {
  const root = ctx.paths.datasetRoot(options.name);
  const version = options.version ?? readCurrent(root);
  if (!version) {
    throw new InputError('SHARDS_NOT_FOUND', `dataset ${options.name} has no published version under ${root}`, {
      hint: 'check `name` and `dataDir`, or run `etl shard`',
    });
  }
  const dir = path.join(root, version);
  const m = readShardManifest(dir);
  const { problems, crc32 } = await checkShardFiles(dir, m, options.trustDigests ?? false, true);
  const bad = new Set(problems.map((p) => p.shard));
  const listed = new Set(m.shards.map((s) => s.file));
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.arrow')).sort()) {
    if (!listed.has(f)) problems.push({ shard: f, code: 'UNLISTED', message: `${f} is not in the manifest` });
  }
  problems.push(...(await checkBatchIndex(dir, m, bad, options.trustDigests ? 'as-written' : crc32)));
  const leakage = new LeakageCollector();
  let rows = 0;
  const progress = ctx.progress('verify shards', m.shards.length, 'shards');
  for (const split of SPLITS) {
    const shards = shardsOf(m, split);
    const counts = { classes: {} as Record<string, number>, datasets: {} as Record<string, number> };
    let splitRows = 0;
    let complete = true;
    for (const [i, s] of shards.entries()) {
      if (bad.has(s.file)) {
        complete = false;
        progress.tick();
        continue;
      }
      splitRows += await checkShardContent(dir, s, m, i === shards.length - 1, counts, leakage, problems);
      progress.tick();
    }
    rows += splitRows;
    const sum = m.splits[split as Split];
    if (complete && sum) {
      if (splitRows !== sum.rows) problems.push({ code: 'COUNTS', message: `${split}: ${splitRows} rows, manifest says ${sum.rows}` });
      if (stableJson(counts.classes) !== stableJson(sum.classCounts)) problems.push({ code: 'COUNTS', message: `${split}: class counts differ from the manifest` });
      if (stableJson(counts.datasets) !== stableJson(sum.datasetCounts)) problems.push({ code: 'COUNTS', message: `${split}: dataset counts differ from the manifest` });
    }
  }
  progress.stop();
  const leak = leakage.report(m.inputs.assignments);
  if (!leak.clean) {
    const text = formatLeakage(leak);
    if (options.strictLeakage) problems.push({ code: 'LEAKAGE', message: text.split('\n')[0]! });
    else ctx.log.warn(text);
  }
  const report: VerifyReport = {
    name: options.name, version, ok: problems.length === 0, shards: m.shards.length,
    bytes: m.shards.reduce((a, s) => a + s.bytes, 0), rows, problems, leakage: leak,
  };
  for (const p of problems) ctx.log.error(p.message);
  return report;
}
