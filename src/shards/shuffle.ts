import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ShardRow } from './writer.ts';

/**
 * Global shuffle of one split, in memory when it fits, else a two-pass bucketed external shuffle
 * with sequential I/O only.
 *
 * Every row gets a 64-bit sort key = SHA-256(seed, split, dataset, series, sop, frame); the output
 * order is "rows sorted by key" (ties — a 64-bit collision — in scan order), a uniformly random
 * permutation fixed by the seed and the samples' identities: not by scan order, not by the memory
 * budget and not by which path a split took.
 *
 * In memory: rows (key + metadata + a view of the image, no copy: the caller's image buffers, e.g.
 * whole staging files, stay alive until the drain) are collected during the scan and sorted once;
 * nothing touches disk. The splits of one build share one `ShuffleMemory`; when the
 * next row would not fit, the largest in-memory split goes external (its rows so far are written
 * to its buckets) and the others keep going.
 * External: pass 1 appends each row to bucket ⌊key·K/2⁶⁴⌋ (buckets are key ranges, so concatenating
 * them keeps the global order) through a write-behind buffer per bucket flushed in large writes;
 * pass 2 loads one bucket at a time (sized to half the memory budget), sorts it and hands rows on.
 */

export function sortKey(seed: number, split: string, dataset: string, series: string, sop: string, frame: number): [number, number] {
  const d = crypto.createHash('sha256').update(`${seed}\u0000${split}\u0000${dataset}\u0000${series}\u0000${sop}\u0000${frame}`).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/**
 * Default shuffle memory (MB): what fits next to the rest of a run on a modest machine. Larger
 * datasets spill to buckets in large sequential writes, so peak memory stays flat as data grows;
 * the budget never changes the output.
 */
export const DEFAULT_SHUFFLE_MEMORY_MB = 256;

/** Estimated bytes per row beyond the pixels (key + metadata), for budgeting. */
const ROW_OVERHEAD = 256;

/** Buckets needed so one bucket's pixels take about half the memory budget. */
export function bucketCount(rowsUpperBound: number, pixels: number, memoryBytes: number): number {
  const bytes = rowsUpperBound * (pixels + ROW_OVERHEAD);
  return Math.max(1, Math.ceil(bytes / Math.max(1, memoryBytes / 2)));
}

/** Key and metadata of one row (everything but the image). */
type RowMeta = [hi: number, lo: number, label: number, dataset: string, patient: string, series: string, sop: string, frame: number, pixelHash: string];

/** Pass-1 memory shared by one build's split shuffles. */
export class ShuffleMemory {
  used = 0;
  readonly members: ExternalShuffle[] = [];
  constructor(readonly bytes: number) {}

  /** Room for `need` more bytes: spill the largest in-memory shuffles until it fits (or none is left). */
  makeRoom(need: number): void {
    while (this.used + need > this.bytes) {
      let victim: ExternalShuffle | undefined;
      for (const m of this.members) if (m.inMemory && m.rows > 0 && (!victim || m.rows > victim.rows)) victim = m;
      if (!victim) return;
      victim.goExternal();
    }
  }
}

interface Bucket {
  /** Write-behind image bytes (allocated on first use, freed at seal). */
  slab: Buffer | undefined;
  slabUsed: number;
  /** Metadata lines not yet on disk. */
  meta: string[];
  rows: number;
  imageFile: string;
  metaFile: string;
}

export class ExternalShuffle {
  private buckets: Bucket[] = [];
  private rowCount = 0;
  private external = false;
  /** In-memory rows: images (views, not copies) and keys + metadata. */
  private images: Uint8Array[] = [];
  private meta: RowMeta[] = [];
  private flushAt = 0;

  constructor(
    private readonly dir: string,
    private readonly pixels: number,
    /** Buckets used if this split has to go external (sized from an upper bound of its rows). */
    readonly bucketTotal: number,
    private readonly seed: number,
    private readonly split: string,
    /** Shared pass-1 memory; without one the split is external from the start when bucketTotal > 1. */
    private readonly memory: ShuffleMemory = new ShuffleMemory(bucketTotal > 1 ? 0 : Infinity),
    /** Write-behind memory shared by this shuffle's buckets (independent of K, so RSS stays flat). */
    private readonly writeBehindBytes = 64 * 2 ** 20,
  ) {
    memory.members.push(this);
  }

  get rows(): number {
    return this.rowCount;
  }

  get inMemory(): boolean {
    return !this.external;
  }

  /** Take a row. In memory the image is kept by reference: the caller must not reuse its buffer. */
  add(row: ShardRow): void {
    if (row.image.length !== this.pixels) throw new Error(`image of ${row.image.length} bytes, expected ${this.pixels}`);
    const [hi, lo] = sortKey(this.seed, this.split, row.dataset, row.series, row.sop, row.frame);
    const m: RowMeta = [hi, lo, row.label, row.dataset, row.patient, row.series, row.sop, row.frame, row.pixelHash];
    if (!this.external) this.memory.makeRoom(this.pixels + ROW_OVERHEAD);
    if (this.external) {
      this.toBucket(m, row.image);
    } else {
      this.images.push(row.image);
      this.meta.push(m);
      this.memory.used += this.pixels + ROW_OVERHEAD;
    }
    this.rowCount++;
  }

  /** Switch to the external path: create the buckets and move the rows collected so far into them. */
  goExternal(): void {
    if (this.external) return;
    this.external = true;
    fs.mkdirSync(this.dir, { recursive: true });
    const K = this.bucketTotal;
    // Per-bucket write-behind, whole rows, at least a few images so writes stay large.
    this.flushAt = Math.max(4, Math.floor(Math.min(8 * 2 ** 20, this.writeBehindBytes / K) / this.pixels)) * this.pixels;
    this.buckets = Array.from({ length: K }, (_, k) => ({
      slab: undefined, slabUsed: 0, meta: [], rows: 0,
      imageFile: path.join(this.dir, `${this.split}-${k}.img`),
      metaFile: path.join(this.dir, `${this.split}-${k}.jsonl`),
    }));
    const meta = this.meta;
    const images = this.images;
    this.meta = [];
    this.images = [];
    // The write-behind buffers now take the place of the rows in the shared budget.
    this.memory.used += K * this.flushAt - meta.length * (this.pixels + ROW_OVERHEAD);
    meta.forEach((m, i) => this.toBucket(m, images[i]!));
  }

  private toBucket(m: RowMeta, image: Uint8Array): void {
    const b = this.buckets[Math.floor((m[0] / 2 ** 32) * this.bucketTotal)]!;
    b.slab ??= Buffer.allocUnsafe(this.flushAt);
    b.slab.set(image, b.slabUsed);
    b.slabUsed += this.pixels;
    b.meta.push(JSON.stringify(m));
    b.rows++;
    if (b.slabUsed === b.slab.length) this.spill(b);
  }

  /** Append a bucket's pending rows to its files: one large write for the images, one for the metadata. */
  private spill(b: Bucket): void {
    if (b.meta.length === 0) return;
    const fd = fs.openSync(b.imageFile, 'a');
    try {
      for (let off = 0; off < b.slabUsed; ) off += fs.writeSync(fd, b.slab!, off, b.slabUsed - off);
    } finally {
      fs.closeSync(fd);
    }
    fs.appendFileSync(b.metaFile, b.meta.join('\n') + '\n');
    b.slabUsed = 0;
    b.meta = [];
  }

  /** End of pass 1: put every bucket's pending rows on disk and free the write-behind buffers. */
  seal(): void {
    for (const b of this.buckets) {
      this.spill(b);
      b.slab = undefined;
    }
  }

  /** Scratch bytes `drain` needs (largest spilled bucket's images; 0 in memory). */
  get maxBucketBytes(): number {
    return Math.max(0, ...this.buckets.map((b) => b.rows * this.pixels));
  }

  /**
   * Pass 2: rows in global key order. Spilled buckets are read into `scratch` (≥ maxBucketBytes;
   * one buffer reused for every bucket and split keeps memory flat). Each row's image is valid
   * until the next row is taken. In-memory rows are released when the drain ends.
   */
  *drain(scratch?: Buffer): Generator<ShardRow> {
    if (!this.external) {
      const meta = this.meta;
      const images = this.images;
      yield* this.sorted(meta, (i) => images[i]!);
      this.memory.used -= meta.length * (this.pixels + ROW_OVERHEAD);
      this.meta = [];
      this.images = [];
      return;
    }
    for (const b of this.buckets) {
      if (b.rows === 0) continue;
      this.spill(b);
      const bytes = b.rows * this.pixels;
      const images = scratch && scratch.length >= bytes ? scratch.subarray(0, bytes) : Buffer.allocUnsafe(bytes);
      const fd = fs.openSync(b.imageFile, 'r');
      try {
        for (let off = 0; off < bytes; ) {
          const n = fs.readSync(fd, images, off, bytes - off, off);
          if (n === 0) throw new Error(`shuffle bucket ${b.imageFile} is short`);
          off += n;
        }
      } finally {
        fs.closeSync(fd);
      }
      const lines = fs.readFileSync(b.metaFile, 'utf8').split('\n');
      lines.pop();
      const meta = lines.map((l) => JSON.parse(l) as RowMeta);
      if (meta.length !== b.rows) throw new Error(`shuffle bucket ${b.metaFile} is incomplete`);
      yield* this.sorted(meta, (i) => images.subarray(i * this.pixels, (i + 1) * this.pixels));
      fs.rmSync(b.imageFile, { force: true });
      fs.rmSync(b.metaFile, { force: true });
    }
  }

  /** Rows by key; equal keys keep scan order (the same in memory and in buckets). */
  private *sorted(meta: RowMeta[], image: (i: number) => Uint8Array): Generator<ShardRow> {
    const order = Array.from({ length: meta.length }, (_, i) => i);
    order.sort((x, y) => meta[x]![0] - meta[y]![0] || meta[x]![1] - meta[y]![1] || x - y);
    for (const i of order) {
      const m = meta[i]!;
      yield { image: image(i), label: m[2], dataset: m[3], patient: m[4], series: m[5], sop: m[6], frame: m[7], pixelHash: m[8] };
    }
  }

  /** Remove spilled bucket files and drop in-memory rows (after success or failure). */
  dispose(): void {
    for (const b of this.buckets) {
      fs.rmSync(b.imageFile, { force: true });
      fs.rmSync(b.metaFile, { force: true });
      b.slab = undefined;
      b.meta = [];
    }
    this.memory.used -= this.meta.length * (this.pixels + ROW_OVERHEAD);
    this.meta = [];
    this.images = [];
  }
}
