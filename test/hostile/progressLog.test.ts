import { describe, expect, it } from 'vitest';
import { createLogger, setTerminalLine } from '../../src/core/log.ts';
import { createProgress } from '../../src/core/progress.ts';

describe('progress and log lines', () => {
  it('--log-format json: progress lines are events with stage, counts, rate and eta fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ format: 'json', write: (l) => lines.push(l) });
    const p = createProgress('preprocess', 10, { logger, tty: false, intervalSeconds: 0, unit: 'series' });
    p.tick(4, 1000);
    p.stop();
    const ev = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(ev).toMatchObject({ event: 'progress', stage: 'preprocess', done: 4, total: 10, unit: 'series', bytes: 1000 });
    expect(typeof ev.rate).toBe('number');
    expect(typeof ev.etaSeconds).toBe('number');
  });

  it('text: an event line shows its text only', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => lines.push(l) });
    createProgress('shard', 2, { logger, tty: false, intervalSeconds: 0 }).tick();
    expect(lines[0]).toMatch(/^shard: 1\/2 items \(50\.0%\), [\d.]+ items\/s$/);
  });

  it('a log line written while a bar is drawn clears the bar line first and redraws it after', () => {
    const writes: string[] = [];
    const orig = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (writes.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      setTerminalLine({ clear: () => writes.push('<clear>'), redraw: () => writes.push('<redraw>') });
      createLogger().info('epoch 1 step 7: loss 0.5');
    } finally {
      setTerminalLine(undefined);
      process.stderr.write = orig;
    }
    expect(writes).toEqual(['<clear>', 'epoch 1 step 7: loss 0.5\n', '<redraw>']);
  });
});
