import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, RejectBudgetError } from '../../src/core/errors.ts';
import { RejectsSink, readRejects } from '../../src/core/rejects.ts';

describe('rejects sink', () => {
  it('append one JSON line per reject with stage, key, code and reason', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rej-')), 'rejects.jsonl');
    const sink = new RejectsSink(file);
    sink.record({ stage: 'preprocess', key: 'DS/1.2/1.2.3', error: new DataError('TRUNCATED', 'PixelData shorter than expected') });
    sink.record({ stage: 'fetch', key: '1.2.9', error: 'plain string', code: 'HTTP_500' });
    const back = readRejects(file);
    expect(back.map((r) => [r.stage, r.key, r.code, r.reason])).toEqual([
      ['preprocess', 'DS/1.2/1.2.3', 'TRUNCATED', 'PixelData shorter than expected'],
      ['fetch', '1.2.9', 'HTTP_500', 'plain string'],
    ]);
    expect(sink.byReason()).toEqual([
      { reason: 'fetch:HTTP_500', count: 1 },
      { reason: 'preprocess:TRUNCATED', count: 1 },
    ]);
  });

  it('fail the run past the reject budget, and not before', () => {
    const sink = new RejectsSink();
    for (let i = 0; i < 2; i++) sink.record({ stage: 's', key: `k${i}`, error: new DataError('BAD', 'bad') });
    expect(() => sink.checkBudget(200, 0.01)).not.toThrow();
    sink.record({ stage: 's', key: 'k3', error: new DataError('BAD', 'bad') });
    expect(() => sink.checkBudget(200, 0.01)).toThrow(RejectBudgetError);
    // Tiny runs are not judged: one bad file of five is not a broken decoder.
    expect(() => sink.checkBudget(5, 0.01)).not.toThrow();
  });
});
