import type { ShardRow } from './writer.ts';
import { sha256Bytes } from '../core/hash.ts';

/**
 * The rows of one split, without their images: key, metadata and where the image lies (staging
 * file number and byte offset). Numbers live in typed arrays and repeated strings (dataset,
 * patient, series: the same for every row of a series) are shared, so a row costs about 150 bytes
 * (its SOP UID and pixel hash) whatever the image size: millions of rows fit, and the images are
 * read later, once each, straight into the batch they belong to.
 *
 * Order: every row gets a 64-bit sort key = SHA-256(seed, split, dataset, series, sop, frame); the
 * output is "rows sorted by key" (ties, a 64-bit collision, in scan order): a uniformly random
 * permutation fixed by the seed and the samples' identities, not by scan order or memory.
 */

export function sortKey(seed: number, split: string, dataset: string, series: string, sop: string, frame: number): [number, number] {
  const d = sha256Bytes(`${seed}\u0000${split}\u0000${dataset}\u0000${series}\u0000${sop}\u0000${frame}`);
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
}

export type RowMeta = Omit<ShardRow, 'image'>;

export class SplitRows {
  count = 0;
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private labels = new Int32Array(1024);
  private frames = new Int32Array(1024);
  private files = new Uint32Array(1024);
  private offsets = new Float64Array(1024);
  private readonly datasets: string[] = [];
  private readonly patients: string[] = [];
  private readonly series: string[] = [];
  private readonly sops: string[] = [];
  private readonly hashes: string[] = [];

  constructor(readonly seed: number, readonly split: string) {}

  add(row: RowMeta, file: number, offset: number): void {
    const [hi, lo] = sortKey(this.seed, this.split, row.dataset, row.series, row.sop, row.frame);
    this.addKeyed(hi, lo, row, file, offset);
  }

  /** Add a row whose key is known (read back from a bucket file). */
  addKeyed(hi: number, lo: number, row: RowMeta, file: number, offset: number): void {
    const i = this.count;
    if (i === this.hi.length) this.grow();
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.labels[i] = row.label;
    this.frames[i] = row.frame;
    this.files[i] = file;
    this.offsets[i] = offset;
    this.datasets.push(shared(this.datasets, row.dataset));
    this.patients.push(shared(this.patients, row.patient));
    this.series.push(shared(this.series, row.series));
    this.sops.push(row.sop);
    this.hashes.push(row.pixelHash);
    this.count++;
  }

  private grow(): void {
    const n = this.hi.length * 2;
    const more = <T extends Uint32Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.hi = more(this.hi);
    this.lo = more(this.lo);
    this.labels = more(this.labels);
    this.frames = more(this.frames);
    this.files = more(this.files);
    this.offsets = more(this.offsets);
  }

  /** Row numbers in output order: by key, equal keys in scan order. */
  order(): Uint32Array {
    const { hi, lo } = this;
    const order = Uint32Array.from({ length: this.count }, (_, i) => i);
    return order.sort((x, y) => hi[x]! - hi[y]! || lo[x]! - lo[y]! || x - y);
  }

  meta(i: number): RowMeta {
    return {
      label: this.labels[i]!, dataset: this.datasets[i]!, patient: this.patients[i]!, series: this.series[i]!,
      sop: this.sops[i]!, frame: this.frames[i]!, pixelHash: this.hashes[i]!,
    };
  }

  /** Row i as one line of a bucket file (key, metadata, image location). */
  line(i: number): string {
    const m = this.meta(i);
    return JSON.stringify([this.hi[i], this.lo[i], m.label, m.dataset, m.patient, m.series, m.sop, m.frame, m.pixelHash, this.files[i], this.offsets[i]]);
  }

  /** Add the rows of bucket-file lines (inverse of `line`). */
  addLines(lines: string[]): void {
    for (const l of lines) {
      const [hi, lo, label, dataset, patient, series, sop, frame, pixelHash, file, offset] = JSON.parse(l) as [number, number, number, string, string, string, string, number, string, number, number];
      this.addKeyed(hi, lo, { label, dataset, patient, series, sop, frame, pixelHash }, file, offset);
    }
  }

  /** Key's top 32 bits of row i (bucket boundaries are ranges of it). */
  keyHi(i: number): number {
    return this.hi[i]!;
  }

  file(i: number): number {
    return this.files[i]!;
  }

  offset(i: number): number {
    return this.offsets[i]!;
  }
}

/** The previous row's string when equal (one copy per series instead of one per row). */
function shared(column: string[], value: string): string {
  const last = column[column.length - 1];
  return last === value ? last : value;
}
