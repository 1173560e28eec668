import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { balancedAccuracy, collectEvaluation, collectRejects, collectTraining } from '../../src/report/collect.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import { generateReport } from '../../src/report/report.ts';
import { heatmap, niceTicks, stackedBarChart } from '../../src/report/svg.ts';
import { fixtureReport } from './fixture.ts';

describe('svg charts', () => {
  it('ticks are round and cover the range', () => {
    expect(niceTicks(0, 2000)).toEqual([0, 500, 1000, 1500, 2000]);
    expect(niceTicks(0, 0.93)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 7).at(-1)).toBeGreaterThanOrEqual(7);
  });

  it('bar heights are proportional to values and stack', () => {
    const svg = stackedBarChart({ title: 't', categories: ['a', 'b'], series: [{ name: 'x', values: [100, 50] }, { name: 'y', values: [100, 0] }] });
    const heights = [...svg.matchAll(/class="bar"[^>]*height="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(heights).toHaveLength(3); // zero values draw nothing
    expect(heights[0]).toBeCloseTo(heights[1]!, 0);
    expect(heights[0]! / heights[2]!).toBeCloseTo(2, 1);
    expect(svg).toContain('>200<'); // total on top of bar a
  });

  it('a row-normalised heatmap shades by recall', () => {
    const svg = heatmap({ title: 'c', rows: ['A', 'B'], cols: ['A', 'B'], values: [[9, 1], [50, 50]], normalizeRows: true });
    expect(svg.match(/class="cell"/g)).toHaveLength(4);
    expect(svg).toContain('A → A: 9 (90.0%)');
    expect(svg).toContain('B → A: 50 (50.0%)');
  });

  it('a heatmap is wide enough for its title, however few the classes', () => {
    const title = 'Confusion matrix (validate, rows = true class)';
    const svg = heatmap({ title, rows: ['CT', 'MR'], cols: ['CT', 'MR'], values: [[1, 0], [0, 1]] });
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    // 13px semi-bold titles take ~7 px a character; centred, they clip at both ends when wider.
    expect(width).toBeGreaterThanOrEqual(title.length * 7 + 10);
  });
});

describe('report', () => {
  it('renders every section of a full fixture in HTML and Markdown', () => {
    const d = fixtureReport();
    const html = renderHtml(d);
    expect(html.match(/<svg\b/g)!.length).toBe(3 + 1 + 2 + 1 + 1); // 3 splits, confusion, 2 curves, rejects, steps
    expect(html).not.toMatch(/<script|<link|src="http/); // self-contained
    expect(html).toContain('93.5%');
    const md = renderMarkdown(d);
    expect(md).toContain('| train | 2,000 | 1,900 | 600 | 900 | 5,400 | 6 | 5 |');
    expect(md).toContain('| CT | 240 | 6 | 4 | 0 |');
  });

  it('says what is missing instead of failing', () => {
    const { dataset, training, evaluation, timing, caps, rejects, ...rest } = fixtureReport();
    void [dataset, training, evaluation, timing, caps, rejects];
    const html = renderHtml(rest);
    expect(html).toContain('No published dataset found');
    expect(html).toContain('no training run');
    expect(html).toContain('No pipeline run log found');
    expect(html).toContain('No rejected files');
  });

  it('shows validation next to test, marks locations unseen in train, and warns when the two differ by > 15 points', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-report-'));
    try {
      const run = path.join(dir, 'runs', 'r1');
      fs.mkdirSync(run, { recursive: true });
      const ev = (split: string, acc: number, unseenInTrain: boolean) => JSON.stringify({
        split, classNames: ['CT', 'MR'], confusion: [[10 * acc, 10 - 10 * acc], [0, 10]], accuracy: acc, balancedAccuracy: acc, images: 20,
        groups: [{ dataset: `${split}-CT`, modality: 'CT', location: 'knee', images: 10, correct: 10 * acc, accuracy: acc, unseenInTrain }],
      });
      fs.writeFileSync(path.join(run, 'eval-test.json'), ev('test', 0.9, true));
      fs.writeFileSync(path.join(run, 'eval-validate.json'), ev('validate', 0.6, false));
      const ctx = createRunContext({ dataDir: dir, logger: memoryLogger(), rejectsInMemory: true });
      const out = await generateReport({ dataDir: dir, runDir: run }, ctx);
      expect(out.data.validation?.perDataset[0]).toMatchObject({ dataset: 'validate-CT', unseenInTrain: false });
      expect(out.data.evaluation?.perDataset[0]).toMatchObject({ dataset: 'test-CT', unseenInTrain: true });
      const html = fs.readFileSync(out.html, 'utf8');
      expect(html).toContain('Evaluation on the validate split');
      expect(html.indexOf('Evaluation on the validate split')).toBeLessThan(html.indexOf('Evaluation on the test split'));
      expect(html).toContain('<b>unseen in train</b>');
      expect(html).toContain('differ by 30.0 points');
      const md = fs.readFileSync(out.markdown, 'utf8');
      expect(md).toContain('validate split: 20 images');
      expect(md).toContain('**unseen**');
      // Close figures: no warning.
      fs.writeFileSync(path.join(run, 'eval-validate.json'), ev('validate', 0.85, false));
      expect(fs.readFileSync((await generateReport({ dataDir: dir, runDir: run }, ctx)).html, 'utf8')).not.toContain('differ by');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads metrics, evaluation and rejects files; an empty data dir gives an empty report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-report-'));
    try {
      const run = path.join(dir, 'runs', 'r1');
      fs.mkdirSync(run, { recursive: true });
      fs.writeFileSync(path.join(run, 'metrics.jsonl'), [1, 2].map((e) => JSON.stringify({ epoch: e, trainLoss: 1 / e, trainAccuracy: [0, 0.6, 0.7][e], valLoss: 1.2 / e, valAccuracy: [0, 0.5, 0.6][e], lr: 0.1 })).join('\n') + '\n');
      fs.writeFileSync(
        path.join(run, 'eval-test.json'),
        JSON.stringify({ split: 'test', classNames: ['CT', 'MR'], confusion: [[8, 2], [0, 10]], accuracy: 0.9, balancedAccuracy: 0.9, images: 20, groups: [{ dataset: 'D1', modality: 'CT', location: 'chest', images: 10, correct: 8, accuracy: 0.8 }] }),
      );
      const t = collectTraining(run).value!;
      expect(t.epochs).toEqual([
        { epoch: 1, trainLoss: 1, trainAcc: 0.6, valLoss: 1.2, valAcc: 0.5, lr: 0.1 },
        { epoch: 2, trainLoss: 0.5, trainAcc: 0.7, valLoss: 0.6, valAcc: 0.6, lr: 0.1 },
      ]);
      const e = collectEvaluation(run).value!;
      expect(e.perDataset).toEqual([{ dataset: 'D1', label: 'CT', location: 'chest', images: 10, correct: 8, accuracy: 0.8 }]);
      expect(e.perClass![0]).toMatchObject({ label: 'CT', recall: 0.8, precision: 1 });
      expect(balancedAccuracy([[8, 2], [0, 10]])).toBeCloseTo(0.9);

      const rejects = path.join(dir, 'rejects.jsonl');
      const rec = (key: string, code: string) => JSON.stringify({ time: 't', stage: 'preprocess', key, code, reason: `bad ${key}` });
      fs.writeFileSync(rejects, [rec('a', 'X'), rec('a', 'X'), rec('b', 'X'), rec('c', 'Y')].join('\n') + '\n');
      const r = collectRejects(rejects).value!;
      expect(r.total).toBe(3); // the same file rejected by two runs counts once
      expect(r.reasons.map((x) => [x.code, x.count])).toEqual([['X', 2], ['Y', 1]]);

      const ctx = createRunContext({ dataDir: dir, logger: memoryLogger(), rejectsInMemory: true });
      const out = await generateReport({ dataDir: dir, runDir: run }, ctx);
      const html = fs.readFileSync(out.html, 'utf8');
      expect(html).toContain('No published dataset found');
      expect(html).toContain('Per-dataset accuracy');
      expect(out.charts).toBe(2 + 1 + 1); // curves, confusion, rejects
      expect(fs.existsSync(out.markdown)).toBe(true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
