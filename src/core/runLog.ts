import fs from 'node:fs';
import path from 'node:path';
import { dataPaths } from './paths.ts';

/**
 * One JSON line per pipeline step (`logs/pipeline-<name>-<timestamp>.jsonl`): step, status
 * (ran / skipped / failed), seconds and counts; a `start` and an `end` line frame the run. Appended
 * synchronously, so a killed run still leaves the lines of the steps it finished.
 */

export type StepStatus = 'ran' | 'skipped' | 'failed';

export interface StepLogLine {
  type: 'step';
  step: string;
  status: StepStatus;
  seconds: number;
  counts: Record<string, number | string>;
  /** Why it was skipped or ran ("up to date", "inputs changed", "outputs missing"…). */
  reason?: string;
  error?: string;
  time: string;
}

export interface RunStartLine {
  type: 'start';
  pipeline: string;
  time: string;
  pid: number;
  host: string;
  dataDir: string;
  apiUrl: string;
  partition?: string;
}

export interface RunEndLine {
  type: 'end';
  status: 'ok' | 'failed';
  exitCode: number;
  seconds: number;
  time: string;
  error?: string;
}

export type RunLogLine = RunStartLine | StepLogLine | RunEndLine;

/** `2026-11-22T14-03-05-123Z`: sortable, and legal in file names everywhere. */
export function fileTimestamp(d = new Date()): string {
  return d.toISOString().replace(/[:.]/g, '-');
}

export class RunLog {
  readonly file: string;
  constructor(dataDir: string, pipeline: string, started = new Date()) {
    this.file = path.join(dataPaths(dataDir).logs, `pipeline-${pipeline}-${fileTimestamp(started)}.jsonl`);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
  }
  write(line: RunLogLine): void {
    fs.appendFileSync(this.file, JSON.stringify(line) + '\n');
  }
}

export function readRunLog(file: string): RunLogLine[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as RunLogLine];
      } catch {
        return []; // a line cut by a kill
      }
    });
}

/** Run logs of a pipeline (or all pipelines), newest first. */
export function listRunLogs(dataDir: string, pipeline?: string): string[] {
  const dir = dataPaths(dataDir).logs;
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const prefix = pipeline ? `pipeline-${pipeline}-` : 'pipeline-';
  return names
    .filter((n) => n.startsWith(prefix) && n.endsWith('.jsonl') && (!pipeline || /^\d{4}-/.test(n.slice(prefix.length))))
    .sort()
    .reverse()
    .map((n) => path.join(dir, n));
}
