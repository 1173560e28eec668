import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, InputError, RejectBudgetError, asEnvironmentError, isEtlError, messageOf } from './errors.ts';

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

/** Default reject budget of every stage (`maxRejectRate`): 1 % of its items may fail. */
export const DEFAULT_MAX_REJECT_RATE = 0.01;

/** A stage's reject budget, checked: a fraction from 0 to 1 of `items` (named in the hint). */
export function rejectRateOption(rate: number | undefined, items: string): number {
  const r = rate ?? DEFAULT_MAX_REJECT_RATE;
  if (!(r >= 0 && r <= 1)) {
    throw new ConfigError(`\`maxRejectRate\` must be a fraction from 0 to 1 (got ${rate})`, { hint: `0.01 allows 1 % of ${items} to fail` });
  }
  return r;
}

/**
 * Appends rejects to `rejects.jsonl` (one JSON object a line, appended synchronously so a crash
 * loses none) and counts them per stage and code for the summary and the reject budget. Each line
 * is written whole or not at all: a write that fails part-way (disk full) is cut back off, and a
 * cut-off last line left by an earlier crash is removed before the first append.
 */
export class RejectsSink {
  readonly file: string | undefined;
  private readonly counts = new Map<string, number>();
  private total = 0;

  /** `file` undefined keeps rejects in memory only (tests, dry runs). */
  private repaired = false;

  constructor(file?: string) {
    this.file = file;
    if (file) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
      } catch (err) {
        throw asEnvironmentError(err, path.dirname(file)) ?? err;
      }
    }
  }

  record(input: RejectInput): RejectRecord {
    const { error, code, ...rest } = input;
    const rec: RejectRecord = {
      time: new Date().toISOString(),
      ...rest,
      code: code ?? (isEtlError(error) ? error.code : 'UNKNOWN'),
      reason: messageOf(error),
    };
    if (this.file) {
      if (!this.repaired) repairCutLastLine(this.file);
      this.repaired = true;
      appendWholeLine(this.file, JSON.stringify(rec) + '\n');
    }
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
      { hint: `see ${this.file ?? 'the rejects'} for each file and reason; raise \`maxRejectRate\` only if the rejects are expected` },
    );
  }
}

/** Append `line` entirely or not at all (a partial write is truncated away); environment failures are EnvironmentErrors. */
export function appendWholeLine(file: string, line: string): void {
  const data = Buffer.from(line, 'utf8');
  let fd: number;
  try {
    fd = fs.openSync(file, 'a');
  } catch (err) {
    throw asEnvironmentError(err, file) ?? err;
  }
  try {
    const before = fs.fstatSync(fd).size;
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
    } catch (err) {
      try {
        fs.ftruncateSync(fd, before);
      } catch {
        /* the cut line is removed by the next writer's repair */
      }
      throw asEnvironmentError(err, file) ?? err;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A crash (or an old version) may have left a last line without its newline: drop it. */
function repairCutLastLine(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch {
    return; // missing: nothing to repair
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return;
    const tail = Buffer.alloc(Math.min(size, 64 * 1024));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    if (tail[tail.length - 1] === 0x0a) return;
    const nl = tail.lastIndexOf(0x0a);
    // A last line longer than the tail we read: keep the file (readers skip an unparsable last line).
    if (nl < 0 && size > tail.length) return;
    fs.ftruncateSync(fd, size - tail.length + nl + 1);
  } finally {
    fs.closeSync(fd);
  }
}

/** Read a rejects.jsonl file (missing file = no rejects); a cut-off last line (a crash mid-append) is skipped. */
export function readRejects(file: string): RejectRecord[] {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const out: RejectRecord[] = [];
  lines.forEach((l, i) => {
    if (l.trim().length === 0) return;
    try {
      out.push(JSON.parse(l) as RejectRecord);
    } catch (err) {
      const last = lines.slice(i + 1).every((rest) => rest.trim() === '');
      if (!last) throw new InputError('REJECTS_UNREADABLE', `${file} line ${i + 1} is not JSON: ${messageOf(err)}`, { hint: 'the file was edited or damaged; fix or remove that line' });
    }
  });
  return out;
}
