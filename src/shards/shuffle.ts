import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type { ShardRow } from './writer.ts';

/**
 * Global shuffle of one split with sequential I/O only (a two-pass bucketed external shuffle).
 *
 * Every row gets a 64-bit sort key = SHA-256(seed, split, dataset, series, sop, frame); the output
 * order is "rows sorted by key", a uniformly random permutation fixed by the seed and the samples'
 * identities — not by scan order, and not by the memory budget. Pass 1 appends each row to bucket
 * ⌊key·K/2⁶⁴⌋ (buckets are key ranges, so concatenating them keeps the global order); pass 2 loads
 * one bucket at a time (sized to fit the memory budget), sorts it by key in memory and hands rows on.
 * With K = 1 the bucket stays in memory and nothing touches disk.
 */

export function sortKey(seed: number, split: string, dataset: string, series: string, sop: string, frame: number): [number, number] {
  const d = crypto.createHash('sha256').update(`${seed}\u0000${split}\u0000${dataset}\u0000${series}\u0000${sop}\u0000${frame}`).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

/** Buckets needed so one bucket's pixels take about half the memory budget. */
export function bucketCount(rowsUpperBound: number, pixels: number, memoryBytes: number): number {
  const bytes = rowsUpperBound * (pixels + 256);
  return Math.max(1, Math.ceil(bytes / Math.max(1, memoryBytes / 2)));
}

interface Bucket {
  /** Image bytes not yet on disk: a growing slab list (K = 1), or one reused write-behind slab (K > 1). */
  slabs: Buffer[];
  slabUsed: number;
  /** Metadata lines not yet on disk. */
  meta: string[];
  pendingBytes: number;
  rows: number;
  imageFile: string;
  metaFile: string;
  spilled: boolean;
}

const SLAB = 4 * 2 ** 20;

export class ExternalShuffle {
  readonly buckets: Bucket[];
  private rowCount = 0;
  private readonly flushAt: number;

  constructor(
    private readonly dir: string,
    private readonly pixels: number,
    readonly bucketTotal: number,
    private readonly seed: number,
    private readonly split: string,
    /** Write-behind memory shared by this shuffle's buckets during pass 1 (independent of K, so RSS stays flat). */
    writeBehindBytes = 16 * 2 ** 20,
  ) {
    if (bucketTotal > 1) fs.mkdirSync(dir, { recursive: true });
    this.flushAt = Math.max(pixels * 4, Math.min(8 * 2 ** 20, Math.floor(writeBehindBytes / bucketTotal)));
    this.buckets = Array.from({ length: bucketTotal }, (_, k) => ({
      slabs: [],
      slabUsed: 0,
      meta: [],
      pendingBytes: 0,
      rows: 0,
      imageFile: path.join(dir, `${split}-${k}.img`),
      metaFile: path.join(dir, `${split}-${k}.jsonl`),
      spilled: false,
    }));
  }

  get rows(): number {
    return this.rowCount;
  }

  add(row: ShardRow): void {
    if (row.image.length !== this.pixels) throw new Error(`image of ${row.image.length} bytes, expected ${this.pixels}`);
    const [hi, lo] = sortKey(this.seed, this.split, row.dataset, row.series, row.sop, row.frame);
    const k = Math.floor((hi / 2 ** 32) * this.bucketTotal);
    const b = this.buckets[k]!;
    let slab = b.slabs[b.slabs.length - 1];
    // Spilling buckets reuse one write-behind slab (allocation churn would inflate RSS).
    const slabSize = this.bucketTotal > 1 ? Math.ceil(this.flushAt / this.pixels) * this.pixels : Math.max(SLAB, this.pixels);
    if (!slab || b.slabUsed + this.pixels > slab.length) {
      slab = Buffer.allocUnsafe(slabSize);
      b.slabs.push(slab);
      b.slabUsed = 0;
    }
    slab.set(row.image, b.slabUsed);
    b.slabUsed += this.pixels;
    b.meta.push(JSON.stringify([hi, lo, row.label, row.dataset, row.patient, row.series, row.sop, row.frame, row.pixelHash]));
    b.pendingBytes += this.pixels;
    b.rows++;
    this.rowCount++;
    if (this.bucketTotal > 1 && b.pendingBytes >= this.flushAt) this.spill(b);
  }

  private spill(b: Bucket): void {
    const fd = fs.openSync(b.imageFile, 'a');
    try {
      b.slabs.forEach((s, i) => {
        const len = i === b.slabs.length - 1 ? b.slabUsed : Math.floor(s.length / this.pixels) * this.pixels;
        let off = 0;
        while (off < len) off += fs.writeSync(fd, s, off, len - off);
      });
    } finally {
      fs.closeSync(fd);
    }
    fs.appendFileSync(b.metaFile, b.meta.join('\n') + '\n');
    b.slabs = b.slabs.slice(-1);
    b.slabUsed = 0;
    b.meta = [];
    b.pendingBytes = 0;
    b.spilled = true;
  }

  /** End of pass 1: with K > 1, put every bucket's pending rows on disk and free the write-behind slabs. */
  seal(): void {
    if (this.bucketTotal === 1) return;
    for (const b of this.buckets) {
      if (b.meta.length > 0) this.spill(b);
      b.slabs = [];
      b.slabUsed = 0;
    }
  }

  /** Largest bucket's image bytes: the size of the scratch buffer `drain` needs. */
  get maxBucketBytes(): number {
    return Math.max(0, ...this.buckets.map((b) => b.rows * this.pixels));
  }

  /**
   * Pass 2: rows in global key order. Spilled buckets are read into `scratch` (≥ maxBucketBytes;
   * one buffer reused for every bucket and split keeps memory flat). Each row's image is valid
   * until the next row is taken.
   */
  *drain(scratch?: Buffer): Generator<ShardRow> {
    for (const b of this.buckets) {
      if (b.rows === 0) continue;
      let images: Buffer;
      let lines: string[];
      if (b.spilled) {
        if (b.meta.length > 0) this.spill(b);
        b.slabs = [];
        const bytes = b.rows * this.pixels;
        images = scratch && scratch.length >= bytes ? scratch.subarray(0, bytes) : Buffer.allocUnsafe(bytes);
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
        lines = fs.readFileSync(b.metaFile, 'utf8').split('\n');
        lines.pop();
      } else {
        images = b.slabs.length === 1 ? b.slabs[0]! : this.joinSlabs(b);
        lines = b.meta;
      }
      b.slabs = [];
      b.meta = [];
      const meta = lines.map((l) => JSON.parse(l) as [number, number, number, string, string, string, string, number, string]);
      if (meta.length !== b.rows || images.length < b.rows * this.pixels) throw new Error(`shuffle bucket ${b.imageFile} is incomplete`);
      const order = Array.from({ length: meta.length }, (_, i) => i);
      order.sort((x, y) => meta[x]![0] - meta[y]![0] || meta[x]![1] - meta[y]![1] || x - y);
      for (const i of order) {
        const m = meta[i]!;
        yield {
          image: images.subarray(i * this.pixels, (i + 1) * this.pixels),
          label: m[2],
          dataset: m[3],
          patient: m[4],
          series: m[5],
          sop: m[6],
          frame: m[7],
          pixelHash: m[8],
        };
      }
      if (b.spilled) {
        fs.rmSync(b.imageFile, { force: true });
        fs.rmSync(b.metaFile, { force: true });
      }
    }
  }

  private joinSlabs(b: Bucket): Buffer {
    const per = Math.floor(Math.max(SLAB, this.pixels) / this.pixels);
    const out = Buffer.allocUnsafe(b.rows * this.pixels);
    b.slabs.forEach((s, i) => {
      const rows = i === b.slabs.length - 1 ? b.slabUsed / this.pixels : per;
      out.set(s.subarray(0, rows * this.pixels), i * per * this.pixels);
    });
    return out;
  }

  /** Remove spilled bucket files (after success or failure). */
  dispose(): void {
    for (const b of this.buckets) {
      fs.rmSync(b.imageFile, { force: true });
      fs.rmSync(b.metaFile, { force: true });
      b.slabs = [];
      b.meta = [];
    }
  }
}
