import fs from 'node:fs';
import crypto from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import {
  FixedSizeBinary,
  Int32,
  Message,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  makeData,
  type Data,
} from 'apache-arrow';
import { shardSchema, type ShardSchemaInfo } from './schema.ts';
import { shardFileName } from './naming.ts';
import type { Split } from '../core/types.ts';

/** One row of a shard, as the shuffle hands it to the writer. */
export interface ShardRow {
  image: Uint8Array;
  label: number;
  dataset: string;
  patient: string;
  series: string;
  sop: string;
  frame: number;
  pixelHash: string;
}

/** What the manifest records for one finished shard file. */
export interface ShardFileInfo {
  file: string;
  split: Split;
  index: number;
  count: number;
  bytes: number;
  rows: number;
  batches: number;
  sha256: string;
}

/**
 * CRC-32s (zlib's) of one shard, taken as it is written: each record-batch block (message + body, as
 * the footer locates it) and all other bytes (magic, schema, footer) in file order. They go into the
 * batch index, so a reader checks each batch it reads, and the rest of the file at open.
 */
export interface ShardCrc32 {
  blocks: number[];
  rest: number;
}

/** Hard limit: Node's readFileSync and some readers refuse files of 2 GiB or more (shards.md §0.2). */
export const MAX_SHARD_BYTES = 2 ** 31 - 1;
const SMALL_WRITE = 64 * 1024;

/**
 * RecordBatchFileWriter with two fixes (shards.md §2): the Schema message is written right after the
 * magic, so the embedded stream is spec-compliant (arrow-js#51; `open_stream(file[8:])` works); and
 * bytes go straight to a file descriptor (small pieces coalesced), hashed on the way, instead of
 * queueing in the library's AsyncByteQueue — so memory stays bounded and batch buffers may be reused
 * as soon as `write` returns.
 */
class DirectFileWriter extends RecordBatchFileWriter {
  private readonly fd: number;
  private readonly hash: crypto.Hash | undefined;
  private readonly pending = Buffer.alloc(SMALL_WRITE);
  private pendingLength = 0;
  bytesOut = 0;
  /** CRC-32 of each record-batch block (message + body), in file order, and of every byte outside them. */
  readonly blockCrcs: number[] = [];
  restCrc = 0;
  private blockCrc: number | undefined;

  constructor(fd: number, hashInline: boolean) {
    super();
    this.fd = fd;
    this.hash = hashInline ? crypto.createHash('sha256') : undefined;
  }

  protected override _writeSchema(schema: Schema): this {
    this._writeMagic()._writePadding(2);
    return this._writeMessage(Message.from(schema));
  }

  protected override _write(chunk: any): this {
    if (!this._started) return this;
    const view = chunk as ArrayBufferView;
    const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    if (bytes.byteLength === 0) return this;
    if (this.blockCrc === undefined) this.restCrc = zlib.crc32(bytes, this.restCrc);
    else this.blockCrc = zlib.crc32(bytes, this.blockCrc);
    if (bytes.byteLength <= SMALL_WRITE - this.pendingLength) {
      this.pending.set(bytes, this.pendingLength);
      this.pendingLength += bytes.byteLength;
    } else {
      this.flush();
      if (bytes.byteLength < SMALL_WRITE) {
        this.pending.set(bytes, 0);
        this.pendingLength = bytes.byteLength;
      } else {
        this.writeOut(bytes);
      }
    }
    this._position += bytes.byteLength;
    return this;
  }

  flush(): void {
    if (this.pendingLength === 0) return;
    this.writeOut(this.pending.subarray(0, this.pendingLength));
    this.pendingLength = 0;
  }

  private writeOut(bytes: Uint8Array): void {
    this.hash?.update(bytes);
    let off = 0;
    while (off < bytes.byteLength) off += fs.writeSync(this.fd, bytes, off, bytes.byteLength - off);
    this.bytesOut += bytes.byteLength;
  }

  get batchBlocks(): number {
    return this._recordBatchBlocks.length;
  }

  /** Write one record batch as one block, its CRC-32 taken from the very bytes that go out. */
  writeBlock(batch: RecordBatch): void {
    const start = this._position;
    this.blockCrc = 0;
    try {
      this.write(batch);
    } finally {
      const crc = this.blockCrc;
      this.blockCrc = undefined;
      const block = this._recordBatchBlocks[this._recordBatchBlocks.length - 1];
      // The library writes a batch as message + body, nothing else: the bytes hashed are the block's.
      if (block && this._position - start === block.metaDataLength + Number(block.bodyLength) && Number(block.offset) === start) this.blockCrcs.push(crc);
    }
  }

  /** SHA-256 of everything written, or '' when hashing was left to a BackgroundHasher. */
  digest(): string {
    return this.hash ? this.hash.digest('hex') : '';
  }
}

interface FinishedShard {
  bytes: number;
  sha256: string;
  rows: number;
  batches: number;
  crc32: ShardCrc32;
}

/** One shard file being written: open → writeBatch × n → finish (fsync, close). */
export class ShardFileWriter {
  readonly schema: Schema;
  private readonly writer: DirectFileWriter;
  private rows = 0;
  private batches = 0;
  private done = false;

  private constructor(readonly file: string, private readonly fd: number, schema: Schema, hashInline: boolean) {
    this.schema = schema;
    this.writer = new DirectFileWriter(fd, hashInline);
    this.writer.reset(undefined, schema);
  }

  /** Create `file` (must not exist) and write the magic and Schema message. */
  static open(file: string, schema: Schema, hashInline = true): ShardFileWriter {
    const fd = fs.openSync(file, 'wx');
    return new ShardFileWriter(file, fd, schema, hashInline);
  }

  get position(): number {
    return this.writer.bytesOut;
  }

  writeBatch(batch: RecordBatch): void {
    // The library compares schemas and silently finalises the file on any difference (arrow-js#388):
    // batches are built on this.schema, and a dropped batch is detected by the block count.
    const before = this.writer.batchBlocks;
    this.writer.writeBlock(batch);
    if (this.writer.batchBlocks !== before + 1) throw new Error(`Arrow writer dropped a batch in ${this.file}`);
    if (this.writer.blockCrcs.length !== before + 1) throw new Error(`Arrow writer wrote batch ${before} of ${this.file} outside its footer block`);
    this.rows += batch.numRows;
    this.batches++;
  }

  /** Write the footer, fsync and close. The file keeps its name; publishing renames the directory. */
  finish(): FinishedShard {
    const r = this.writeFooter();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    return r;
  }

  /**
   * Like `finish`, but fsync and close run on libuv's thread pool: the caller can write the next
   * shard while this one's pages go to disk. The file is durable once the promise resolves.
   */
  finishAsync(): FinishedShard & { durable: Promise<void> } {
    const r = this.writeFooter();
    const fd = this.fd;
    const durable = new Promise<void>((resolve, reject) => {
      fs.fsync(fd, (err) => fs.close(fd, (err2) => (err ?? err2 ? reject(err ?? err2) : resolve())));
    });
    return { ...r, durable };
  }

  private writeFooter(): FinishedShard {
    if (this.done) throw new Error('shard already finished');
    this.writer.finish();
    this.writer.flush();
    this.done = true;
    const crc32 = { blocks: [...this.writer.blockCrcs], rest: this.writer.restCrc };
    return { bytes: this.writer.bytesOut, sha256: this.writer.digest(), rows: this.rows, batches: this.batches, crc32 };
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    fs.rmSync(this.file, { force: true });
  }
}

/** Reused column buffers for one batch; `toRecordBatch` builds on the given (writer's) schema. */
export class BatchAssembler {
  readonly images: Uint8Array;
  readonly labels: Int32Array;
  readonly frames: Int32Array;
  private readonly strings: string[][];
  length = 0;

  constructor(readonly capacity: number, readonly pixels: number) {
    this.images = new Uint8Array(capacity * pixels);
    this.labels = new Int32Array(capacity);
    this.frames = new Int32Array(capacity);
    this.strings = [0, 1, 2, 3, 4].map(() => new Array<string>(capacity));
  }

  get full(): boolean {
    return this.length === this.capacity;
  }

  add(row: ShardRow): void {
    if (row.image.length !== this.pixels) throw new Error(`image of ${row.image.length} bytes, expected ${this.pixels}`);
    this.addFilled(row, (into) => into.set(row.image));
  }

  /** Add a row whose image `fill` writes into its place in the batch (e.g. a pread: no copy in between). */
  addFilled(row: Omit<ShardRow, 'image'>, fill: (into: Uint8Array) => void): void {
    const i = this.length;
    if (i >= this.capacity) throw new Error('batch is full');
    fill(this.images.subarray(i * this.pixels, (i + 1) * this.pixels));
    this.labels[i] = row.label;
    this.frames[i] = row.frame;
    const s = this.strings;
    s[0]![i] = row.dataset;
    s[1]![i] = row.patient;
    s[2]![i] = row.series;
    s[3]![i] = row.sop;
    s[4]![i] = row.pixelHash;
    this.length++;
  }

  /** A RecordBatch viewing this assembler's buffers (valid until the next `add` after `clear`). */
  toRecordBatch(schema: Schema): RecordBatch {
    const n = this.length;
    const s = this.strings;
    const children: Data[] = [
      makeData({ type: new FixedSizeBinary(this.pixels), length: n, nullCount: 0, data: this.images.subarray(0, n * this.pixels) }),
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.labels.subarray(0, n) }),
      utf8Data(s[0]!, n),
      utf8Data(s[1]!, n),
      utf8Data(s[2]!, n),
      utf8Data(s[3]!, n),
      makeData({ type: new Int32(), length: n, nullCount: 0, data: this.frames.subarray(0, n) }),
      utf8Data(s[4]!, n),
    ];
    const data = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
    return new RecordBatch(schema, data);
  }

  clear(): void {
    this.length = 0;
  }
}

function utf8Data(values: string[], n: number): Data<Utf8> {
  const offsets = new Int32Array(n + 1);
  let total = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = total;
    total += Buffer.byteLength(values[i]!, 'utf8');
  }
  offsets[n] = total;
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < n; i++) bytes.write(values[i]!, offsets[i]!, 'utf8');
  return makeData({ type: new Utf8(), length: n, nullCount: 0, valueOffsets: offsets, data: bytes });
}

export interface SplitWriterOptions {
  dir: string;
  split: Split;
  info: Omit<ShardSchemaInfo, 'split' | 'shardIndex' | 'shardCount'>;
  /** Rows the split will receive (known after the shuffle's first pass). */
  totalRows: number;
  batchesPerShard: number;
  /** keep: the last batch may be partial; drop: rows past the last full batch are not written. */
  partial: 'keep' | 'drop';
  /** Hash finished shards elsewhere (e.g. BackgroundHasher) instead of inline while writing. */
  hasher?: (file: string) => Promise<string>;
  /** The batch buffers to fill (empty; one set shared by the splits written one after another). */
  assembler?: BatchAssembler;
}

/**
 * Writes one split's rows, in order, as shards of `batchesPerShard` batches of exactly `batchSize`
 * rows (only the split's last batch may be partial). Shard count is fixed up front so names are
 * `<split>-i-of-n` from the first file on.
 */
export class SplitShardWriter {
  readonly batches: number;
  readonly shardCount: number;
  readonly rowsToWrite: number;
  /** One batch of images (batchSize × H × W bytes): let go by `finish`, so a finished split holds none. */
  private assembler: BatchAssembler | undefined;
  private current: ShardFileWriter | undefined;
  private shardIndex = 0;
  private batchesInShard = 0;
  private rowsSeen = 0;
  private readonly finished: ShardFileInfo[] = [];
  /** CRC-32s of each finished shard, by file name (for the batch index). */
  readonly crc32 = new Map<string, ShardCrc32>();
  private readonly pendingHashes: Array<Promise<string>> = [];
  private readonly pendingSyncs: Array<Promise<void>> = [];

  constructor(private readonly o: SplitWriterOptions) {
    const b = o.info.batchSize;
    this.batches = o.partial === 'keep' ? Math.ceil(o.totalRows / b) : Math.floor(o.totalRows / b);
    this.rowsToWrite = o.partial === 'keep' ? o.totalRows : this.batches * b;
    this.shardCount = Math.ceil(this.batches / o.batchesPerShard);
    this.assembler = o.assembler;
  }

  /** Add the next row; returns false when the row falls past the last full batch (partial=drop). */
  add(row: ShardRow): boolean {
    return this.addFilled(row, (into) => {
      if (row.image.length !== into.length) throw new Error(`image of ${row.image.length} bytes, expected ${into.length}`);
      into.set(row.image);
    });
  }

  /** Like `add`, the image written in place by `fill` (not called for a row past the last full batch). */
  addFilled(row: Omit<ShardRow, 'image'>, fill: (into: Uint8Array) => void): boolean {
    if (this.rowsSeen >= this.rowsToWrite) {
      this.rowsSeen++;
      return false;
    }
    this.rowsSeen++;
    this.assembler ??= new BatchAssembler(this.o.info.batchSize, this.o.info.height * this.o.info.width);
    this.assembler.addFilled(row, fill);
    if (this.assembler.full || this.rowsSeen === this.rowsToWrite) this.flushBatch();
    return true;
  }

  private flushBatch(): void {
    if (!this.assembler || this.assembler.length === 0) return;
    if (!this.current) {
      const schema = shardSchema({ ...this.o.info, split: this.o.split, shardIndex: this.shardIndex, shardCount: this.shardCount });
      this.current = ShardFileWriter.open(path.join(this.o.dir, shardFileName(this.o.split, this.shardIndex, this.shardCount)), schema, !this.o.hasher);
    }
    this.current.writeBatch(this.assembler.toRecordBatch(this.current.schema));
    this.assembler.clear();
    this.batchesInShard++;
    if (this.batchesInShard === this.o.batchesPerShard) this.closeShard();
  }

  private closeShard(): void {
    if (!this.current) return;
    const { durable, crc32, ...r } = this.current.finishAsync();
    durable.catch(() => undefined);
    this.crc32.set(path.basename(this.current.file), crc32);
    this.pendingSyncs.push(durable);
    if (this.o.hasher) {
      const p = this.o.hasher(this.current.file);
      p.catch(() => undefined);
      this.pendingHashes.push(p);
    }
    this.finished.push({
      file: path.basename(this.current.file),
      split: this.o.split,
      index: this.shardIndex,
      count: this.shardCount,
      ...r,
    });
    this.current = undefined;
    this.shardIndex++;
    this.batchesInShard = 0;
  }

  async finish(): Promise<ShardFileInfo[]> {
    if (this.rowsSeen !== this.o.totalRows) {
      throw new Error(`split ${this.o.split}: expected ${this.o.totalRows} rows, got ${this.rowsSeen}`);
    }
    this.flushBatch();
    this.assembler = undefined;
    this.closeShard();
    if (this.finished.length !== this.shardCount) {
      throw new Error(`split ${this.o.split}: wrote ${this.finished.length} shards, planned ${this.shardCount}`);
    }
    await Promise.all(this.pendingSyncs);
    if (this.o.hasher) {
      const digests = await Promise.all(this.pendingHashes);
      digests.forEach((d, i) => (this.finished[i]!.sha256 = d));
    }
    return this.finished;
  }

  abort(): void {
    this.current?.abort();
    this.current = undefined;
  }
}

/** Batches per shard for a target shard size, keeping every shard under 2 GiB. */
export function batchesPerShard(shardSizeMb: number, batchSize: number, pixels: number): number {
  const batchBytes = batchSize * (pixels + 512) + 4096;
  const target = Math.min(shardSizeMb * 2 ** 20, MAX_SHARD_BYTES - 2 ** 20);
  return Math.max(1, Math.floor(target / batchBytes));
}
