import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../core/errors.ts';
import { sha256File, sha256Hex } from '../core/hash.ts';
import type { BatchIndexFile } from './batchIndex.ts';
import { IntegrityError } from './integrity.ts';
import type { ShardManifest } from './manifest.ts';
import type { ShardFileInfo } from './writer.ts';

/**
 * The reader's open shards: a file handle and where each batch lies. Block positions come from the
 * dataset's `batch-index.json` (its SHA-256 checked against the manifest); a dataset without one is
 * laid out from each shard's footer instead. Each shard is opened once, on first use, and shared by
 * every iterator of the handle.
 */

export interface Block {
  offset: number;
  metadataLength: number;
  length: number;
}

export interface OpenShard {
  info: ShardFileInfo;
  handle: fsp.FileHandle;
  blocks: Block[];
}

export class ShardHandles {
  private readonly opening = new Map<string, Promise<OpenShard>>();
  private index: Map<string, Block[]> | undefined;

  constructor(private readonly dir: string, private readonly manifest: ShardManifest, private readonly checksums: boolean) {}

  /** Opened once per shard (memoised promise, so concurrent iterators share one handle). */
  open(info: ShardFileInfo): Promise<OpenShard> {
    let p = this.opening.get(info.file);
    if (!p) {
      p = this.openShard(info);
      this.opening.set(info.file, p);
    }
    return p;
  }

  private async openShard(info: ShardFileInfo): Promise<OpenShard> {
    const file = path.join(this.dir, info.file);
    if (this.checksums) await checkShardBytes(file, info);
    const blocks = this.blocksFromIndex(info) ?? (await blocksFromFooter(file));
    if (blocks.length === 0) throw new InputError('SHARDS_EMPTY', `${file} has no record batches`);
    return { info, handle: await fsp.open(file, 'r'), blocks };
  }

  private blocksFromIndex(info: ShardFileInfo): Block[] | undefined {
    const want = this.manifest.batchIndex;
    if (!want) return undefined;
    if (!this.index) {
      const text = fs.readFileSync(path.join(this.dir, want.file), 'utf8');
      if (sha256Hex(text) !== want.sha256) {
        throw new IntegrityError(`${want.file} does not match the SHA-256 in the manifest (corrupted)`, [{ code: 'BATCH_INDEX', message: `${want.file} SHA-256 differs from the manifest’s` }]);
      }
      const parsed = JSON.parse(text) as BatchIndexFile;
      this.index = new Map(parsed.shards.map((s) => [s.file, s.batches.map((b) => ({ offset: b.offset, metadataLength: b.metadataLength, length: b.metadataLength + b.bodyLength }))]));
    }
    return this.index.get(info.file);
  }

  async close(): Promise<void> {
    const all = await Promise.allSettled(this.opening.values());
    this.opening.clear();
    await Promise.all(all.map((r) => (r.status === 'fulfilled' ? r.value.handle.close() : undefined)));
  }
}

/** Blocks from the shard's footer (datasets written before the batch index existed). */
async function blocksFromFooter(file: string): Promise<Block[]> {
  const { ipcFileLayout } = await import('../core/ipcLayout.ts');
  const layout = await ipcFileLayout(file);
  return layout.batches.map((b) => ({ offset: b.offset, metadataLength: b.metadataLength, length: b.metadataLength + b.bodyLength }));
}

/**
 * A shard's size and SHA-256 against the manifest, checked when the shard is first opened (one
 * sequential read, which also warms the page cache for the preads that follow): training and
 * evaluation never consume a flipped byte or a cut file. Exit 3 naming the shard.
 */
async function checkShardBytes(file: string, info: ShardFileInfo): Promise<void> {
  const size = await fsp.stat(file).then((st) => st.size, () => -1);
  const problem =
    size < 0 ? { code: 'MISSING', message: `${info.file} is missing` }
    : size !== info.bytes ? { code: 'SIZE', message: `${info.file} has ${size} bytes, the manifest says ${info.bytes} (truncated or extended)` }
    : (await sha256File(file)) !== info.sha256 ? { code: 'CHECKSUM', message: `${info.file} does not match the SHA-256 in the manifest (corrupted)` }
    : undefined;
  if (problem) throw new IntegrityError(`shard ${problem.message}: ${file}`, [{ shard: info.file, ...problem }]);
}

/** Fill `into` from `position` of the shard. */
export async function readFully(handle: fsp.FileHandle, into: Uint8Array, position: number): Promise<void> {
  let off = 0;
  while (off < into.byteLength) {
    const { bytesRead } = await handle.read(into, off, into.byteLength - off, position + off);
    if (bytesRead === 0) throw new InputError('SHARDS_TRUNCATED', `unexpected end of shard file at byte ${position + off}`, { hint: 'run `etl verify`' });
    off += bytesRead;
  }
}
