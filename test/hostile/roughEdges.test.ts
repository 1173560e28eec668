import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../src/core/errors.ts';
import { collectTiming } from '../../src/report/collect.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { throughputOf } from '../../src/report/summarize.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { verifyDataset } from '../../src/shards/verify.ts';
import { fixtureReport } from '../report/fixture.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

describe('report rough edges', () => {
  it('the run that writes the report (no end line yet) is ok or failed by its steps, not "in progress"', () => {
    const dir = tempDataDir();
    const log = path.join(dir, 'pipeline-x.jsonl');
    const lines = [
      { type: 'start', pipeline: 'x', time: '2026-01-01T00:00:00Z', pid: 1, host: 'h', dataDir: dir, apiUrl: 'u' },
      { type: 'step', step: 'shard', status: 'ran', seconds: 2, counts: { images: 10 }, time: 't' },
    ];
    fs.writeFileSync(log, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    expect(collectTiming(dir, 'x', log).value?.status).toBe('ok');
    fs.appendFileSync(log, JSON.stringify({ type: 'step', step: 'train', status: 'failed', seconds: 1, counts: {}, time: 't' }) + '\n');
    expect(collectTiming(dir, 'x', log).value?.status).toBe('failed');
  });

  it('no throughput for verify (a reused check over the whole dataset is not a speed)', () => {
    expect(throughputOf({ step: 'verify', status: 'ran', seconds: 0.001, counts: { images: 4816 } })).toBeUndefined();
    expect(throughputOf({ step: 'shard', status: 'ran', seconds: 2, counts: { images: 400 } })).toBe('200 images/s');
  });

  it('report.md escapes HTML from the data', () => {
    const d = fixtureReport();
    d.dataset!.name = '<script>alert(1)</script>';
    d.notes = ['a <b>note</b> & more'];
    d.rejects!.reasons[0]!.examples[0]!.reason = '<img src=x onerror=alert(1)>';
    const md = renderMarkdown(d);
    expect(md).not.toMatch(/<script>|<img|<b>/);
    expect(md).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(md).toContain('a &lt;b&gt;note&lt;/b&gt; &amp; more');
  });
});

describe('etl verify on an unreadable manifest', () => {
  it('is a data-integrity failure: exit 3', async () => {
    const root = tempDataDir();
    await stageSeries(root, [{ dataset: 'A', label: 'CT', images: 8 }, { dataset: 'B', label: 'MR', images: 8 }], 8);
    const mf = writeManifest(path.join(root, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]);
    const r = await shardDataset({ name: 'um', batch: 4, manifest: mf, seed: 1 }, quietContext(root));
    fs.writeFileSync(path.join(r.dir, 'manifest.json'), '{"format": "medimg-sha');
    const err = await verifyDataset({ name: 'um' }, quietContext(root)).catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(3);
  });
});

describe('usage hints', () => {
  const etlDir = new URL('../../src/cli/etl/', import.meta.url);
  it('name the command, never the values typed after it, and suggest the near option', async () => {
    const { usageHint } = await import('../../src/cli/main.ts');
    expect(usageHint('etl', etlDir, ['shard', 'x', '128', '--batchh', '3'], 'Unknown argument: batchh', ['batch', 'name', 'manifest']))
      .toBe('did you mean --batch? run `etl shard --help`');
    expect(usageHint('etl', etlDir, ['fetch', 'tcia', 'LIDC'], 'Missing required argument: x')).toBe('run `etl fetch tcia --help`');
    expect(usageHint('etl', etlDir, ['shrd'], 'Did you mean shard?')).toBe('run `etl --help` for the list of commands');
    expect(usageHint('etl', etlDir, ['shard', '--zzzzzz'], 'Unknown argument: zzzzzz', ['batch'])).toBe('run `etl shard --help`');
  });

  it('the CLI: a mistyped flag exits 2 suggesting the near flag', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['bin/etl.js', 'fetch', 'tcia', '--collectoin', 'X'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Unknown argument: collectoin\n  hint: did you mean --collection\? run `etl fetch tcia --help`/);
  });

  it('a library error names the option; the CLI prints the flag the user typed', async () => {
    await expect(shardDataset({ name: 'x', batch: 0, splitFile: 'none.json' }, quietContext(tempDataDir()))).rejects.toThrow(/^`batch` must be a positive integer/);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['bin/etl.js', 'shard', '--name', 'x', '--split-file', 'none.json', '--batch', '0', '--data-dir', tempDataDir()], { cwd: new URL('../..', import.meta.url), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--batch must be a positive integer \(got 0\)\n  hint: e\.g\. --batch 128/);
    // Boolean options print as the flags that set them.
    const { inFlagWords } = await import('../../src/cli/flagWording.ts');
    expect(inFlagWords('`discardRaw` needs `overlap` on; `rawWindow` ≥ 1')).toBe('--discard-raw needs --overlap on; --raw-window ≥ 1');
  });
});
