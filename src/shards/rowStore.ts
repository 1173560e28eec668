import fs from 'node:fs';
import path from 'node:path';
import { SplitRows, type RowMeta } from './splitRows.ts';

/**
 * The rows of one split under a memory budget. Only metadata is held (no image bytes), about
 * ROW_BYTES a row: a budget of 256 MB keeps a million rows in memory. Past the budget, the largest
 * split moves its rows to K bucket files by key range (bucket k holds keys in [k, k+1)·2³²/K of the
 * key's top 32 bits), appended in scan order; concatenating the buckets in order, each sorted,
 * gives the same global order as one sort in memory. Bucket files are JSON lines.
 */

/**
 * Bytes per row of metadata (key, IDs, pixel hash, image location) counted against the budget: 144
 * measured (splitRows.ts); a table's arrays double as it grows, so it may briefly hold ~2× that.
 */
export const ROW_BYTES = 256;

/** Default memory for the rows' metadata (MB): flat whatever the dataset size; does not change the output. */
export const DEFAULT_ROW_MEMORY_MB = 256;

/** Buckets needed so one bucket's rows take about half the budget. */
export function bucketCount(rowsUpperBound: number, memoryBytes: number): number {
  return Math.max(1, Math.ceil((rowsUpperBound * ROW_BYTES) / Math.max(1, memoryBytes / 2)));
}

/** One build's memory for rows, shared by its splits. */
export class RowBudget {
  readonly stores: SplitRowStore[] = [];
  /** Rows held in memory by all stores. */
  held = 0;
  constructor(readonly bytes: number) {}

  /** Room for one more row: the split holding the most rows spills them (until it fits or nothing is held). */
  makeRoom(): void {
    while ((this.held + 1) * ROW_BYTES > this.bytes) {
      const victim = this.stores.reduce<SplitRowStore | undefined>((v, s) => (s.held > (v?.held ?? 0) ? s : v), undefined);
      if (!victim) return;
      victim.spill();
    }
  }
}

export class SplitRowStore {
  private table: SplitRows;
  private spilled = 0;
  private readonly bucketFiles: string[];

  constructor(private readonly dir: string, readonly split: string, private readonly seed: number, buckets: number, private readonly budget: RowBudget) {
    this.table = new SplitRows(seed, split);
    this.bucketFiles = Array.from({ length: buckets }, (_, k) => path.join(dir, `${split}-${k}.jsonl`));
    budget.stores.push(this);
  }

  /** Rows in memory. */
  get held(): number {
    return this.table.count;
  }

  get count(): number {
    return this.spilled + this.table.count;
  }

  add(row: RowMeta, file: number, offset: number): void {
    this.budget.makeRoom();
    this.table.add(row, file, offset);
    this.budget.held++;
  }

  /** Append the rows held to their key-range buckets (one write per bucket) and let them go. */
  spill(): void {
    const t = this.table;
    if (t.count === 0) return;
    fs.mkdirSync(this.dir, { recursive: true });
    const K = this.bucketFiles.length;
    const lines: string[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < t.count; i++) lines[Math.floor((t.keyHi(i) / 2 ** 32) * K)]!.push(t.line(i));
    lines.forEach((ls, k) => ls.length > 0 && fs.appendFileSync(this.bucketFiles[k]!, ls.join('\n') + '\n'));
    this.spilled += t.count;
    this.budget.held -= t.count;
    this.table = new SplitRows(this.seed, this.split);
  }

  /** The rows as tables whose `order()`s, concatenated, are the split's order: one in memory, or bucket by bucket. */
  *tables(): Generator<SplitRows> {
    if (this.spilled === 0) {
      yield this.table;
      return;
    }
    this.spill();
    for (const file of this.bucketFiles) {
      if (!fs.existsSync(file)) continue;
      const t = new SplitRows(this.seed, this.split);
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.pop();
      t.addLines(lines);
      fs.rmSync(file, { force: true });
      yield t;
    }
  }

  dispose(): void {
    for (const f of this.bucketFiles) fs.rmSync(f, { force: true });
    this.budget.held -= this.table.count;
    this.table = new SplitRows(this.seed, this.split);
  }
}
