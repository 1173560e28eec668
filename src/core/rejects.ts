import fs from 'node:fs';
import path from 'node:path';
import { RejectBudgetError, isEtlError, messageOf } from './errors.ts';

/** One skipped item: enough to find the file again and to count reasons. */
export interface RejectRecord {
  time: string;
  stage: string;
  /** Stable key of the item, e.g. `dataset/seriesUid/sopUid#frame` or a series UID. */
  key: string;
  code: string;
  reason: string;
  dataset?: string;
  seriesUid?: string;
  sopUid?: string;
  file?: string;
}

export type RejectInput = Omit<RejectRecord, 'time' | 'code' | 'reason'> & { error: unknown; code?: string };

/**
 * Appends rejects to `rejects.jsonl` (one JSON object a line, appended synchronously so a crash
 * loses none) and counts them per stage and code for the summary and the reject budget.
 */
export class RejectsSink {
  readonly file: string | undefined;
  private readonly counts = new Map<string, number>();
  private total = 0;

  /** `file` undefined keeps rejects in memory only (tests, dry runs). */
  constructor(file?: string) {
    this.file = file;
    if (file) fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  record(input: RejectInput): RejectRecord {
    const { error, code, ...rest } = input;
    const rec: RejectRecord = {
      time: new Date().toISOString(),
      ...rest,
      code: code ?? (isEtlError(error) ? error.code : 'UNKNOWN'),
      reason: messageOf(error),
    };
    if (this.file) fs.appendFileSync(this.file, JSON.stringify(rec) + '\n');
    const k = `${rec.stage}:${rec.code}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
    this.total++;
    return rec;
  }

  get count(): number {
    return this.total;
  }

  /** Counts by `stage:code`, sorted by count descending. */
  byReason(): Array<{ reason: string; count: number }> {
    return [...this.counts.entries()]
      .map(([reason, count]) => ({ reason, count }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  }

  /**
   * Throws RejectBudgetError when rejects exceed `maxRate` of `processed` items. `minProcessed`
   * avoids failing on the first bad file of a tiny run. `counts` selects which `stage:code` reasons
   * count (default: all), e.g. to leave expected policy skips (non-image objects) out of the budget.
   */
  checkBudget(processed: number, maxRate: number, what = 'items', minProcessed = 20, counts?: (reason: string) => boolean): void {
    const reasons = counts ? this.byReason().filter((r) => counts(r.reason)) : this.byReason();
    const total = counts ? reasons.reduce((s, r) => s + r.count, 0) : this.total;
    if (processed < minProcessed || total <= maxRate * processed) return;
    const pct = ((100 * total) / processed).toFixed(2);
    const top = reasons.slice(0, 3).map((r) => `${r.reason} ×${r.count}`).join(', ');
    throw new RejectBudgetError(
      `${total} of ${processed} ${what} rejected (${pct}%), over the budget of ${(100 * maxRate).toFixed(2)}%: ${top}`,
      { hint: `see ${this.file ?? 'the rejects'} for each file and reason; raise --max-reject-rate only if the rejects are expected` },
    );
  }
}

/** Read a rejects.jsonl file (missing file = no rejects). */
export function readRejects(file: string): RejectRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as RejectRecord);
}
