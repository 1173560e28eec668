import type { ShardRow } from './writer.ts';
import { sha256Top64 } from '../core/hash.ts';

/**
 * The rows of one split, without their images: key, metadata and where the image lies (staging
 * file number and byte offset). Everything lives in typed arrays, outside V8's heap: numbers, an id
 * per row for the strings that repeat (dataset, patient, series), the UTF-8 bytes of those that do
 * not (SOP UID, pixel hash). A row costs 144 bytes with 58-character UIDs (measured at a million
 * rows; strings per row on the heap took 339) whatever the image size: millions of rows fit, and
 * the images are read later, once each, straight into the batch they belong to.
 *
 * Order: every row gets a 64-bit sort key = SHA-256(seed, split, dataset, series, sop, frame); the
 * output is "rows sorted by key" (ties, a 64-bit collision, in scan order): a uniformly random
 * permutation fixed by the seed and the samples' identities, not by scan order or memory.
 */

export function sortKey(seed: number, split: string, dataset: string, series: string, sop: string, frame: number): [number, number] {
  return sha256Top64(`${seed}\u0000${split}\u0000${dataset}\u0000${series}\u0000${sop}\u0000${frame}`);
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
  private readonly datasets = new RunColumn();
  private readonly patients = new RunColumn();
  private readonly series = new RunColumn();
  private readonly sops = new BytesColumn();
  private readonly hashes = new BytesColumn();

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
    this.datasets.set(i, row.dataset);
    this.patients.set(i, row.patient);
    this.series.set(i, row.series);
    this.sops.set(i, row.sop);
    this.hashes.set(i, row.pixelHash);
    this.count++;
  }

  private grow(): void {
    const n = this.hi.length * 2;
    this.hi = more(this.hi, n);
    this.lo = more(this.lo, n);
    this.labels = more(this.labels, n);
    this.frames = more(this.frames, n);
    this.files = more(this.files, n);
    this.offsets = more(this.offsets, n);
  }

  /** Row numbers in output order: by key, equal keys in scan order. */
  order(): Uint32Array {
    const { hi, lo } = this;
    const order = Uint32Array.from({ length: this.count }, (_, i) => i);
    return order.sort((x, y) => hi[x]! - hi[y]! || lo[x]! - lo[y]! || x - y);
  }

  meta(i: number): RowMeta {
    return {
      label: this.labels[i]!, dataset: this.datasets.get(i), patient: this.patients.get(i), series: this.series.get(i),
      sop: this.sops.get(i), frame: this.frames[i]!, pixelHash: this.hashes.get(i),
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

/*
 * Columns of strings kept out of V8's heap: a string per row there costs its header, a slot, and
 * old-space growth sized by it; here a row costs an id, or its UTF-8 bytes and an end offset.
 */

/** A copy of `a` with room for `n` elements. */
function more<T extends Uint32Array | Int32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** Strings that repeat in runs (dataset, patient, series: one value for every row of a series): an id a row, a string a run. */
class RunColumn {
  private ids = new Uint32Array(1024);
  private readonly values: string[] = [];

  set(i: number, value: string): void {
    if (i >= this.ids.length) this.ids = more(this.ids, Math.max(i + 1, this.ids.length * 2));
    if (this.values[this.values.length - 1] !== value) this.values.push(value);
    this.ids[i] = this.values.length - 1;
  }

  get(i: number): string {
    return this.values[this.ids[i]!]!;
  }
}

/** Strings unique to a row (SOP UID, pixel hash): their UTF-8 bytes end to end. Rows are set in order 0, 1, 2, … */
class BytesColumn {
  private bytes = Buffer.allocUnsafe(16384);
  private ends = new Float64Array(1024);
  private used = 0;

  set(i: number, value: string): void {
    if (i >= this.ends.length) this.ends = more(this.ends, Math.max(i + 1, this.ends.length * 2));
    const need = this.used + Buffer.byteLength(value);
    if (need > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.bytes.length * 2));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    this.used += this.bytes.write(value, this.used);
    this.ends[i] = this.used;
  }

  get(i: number): string {
    return this.bytes.toString('utf8', i === 0 ? 0 : this.ends[i - 1], this.ends[i]);
  }
}
