import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../src/curate/manifest.ts';
import { collectEvaluation } from '../../src/report/collect.ts';
import { renderHtml } from '../../src/report/html.ts';
import { renderMarkdown } from '../../src/report/markdown.ts';
import type { GroupAccuracy } from '../../src/train/metrics.ts';
import { comparePaper, paperMarkdown } from '../../src/train/paperComparison.ts';

const manifest = parseManifest({
  name: 'm',
  paperHeadline: { arch: 'resnet18', accuracy: 96, balancedAccuracy: 86.17 },
  datasets: [
    { name: 'TRAIN-A', location: 'chest', split: 'train', paper: { location: 'chest', modality: 'CT', accuracy: 50 } },
    { name: 'CPTAC-LSCC', location: 'chest', split: 'test', paper: [{ location: 'chest', modality: 'CT', accuracy: 100 }, { location: 'chest', modality: 'XR', accuracy: 92 }] },
    { name: 'MURA', location: 'upper-extremity', split: 'test', external: { format: 'mura', path: 'mura', url: 'https://x.org/mura' }, paper: { location: 'bone', modality: 'XR', accuracy: 28 } },
    { name: 'LDCT', location: 'multiple', split: 'test' },
  ],
  optionalDatasets: [{ name: 'BTP', location: 'head', split: 'test', paper: { location: 'head', modality: 'MR', accuracy: 92 } }],
});

const group = (dataset: string, modality: string, images: number, correct: number): GroupAccuracy => ({ dataset, location: 'x', modality, images, correct, accuracy: correct / images, topConfusion: null });

describe('the paper beside an evaluation', () => {
  const groups = [group('CPTAC-LSCC', 'CT', 10, 9), group('CPTAC-LSCC', 'PT', 4, 4), group('MURA', 'XR', 8, 2), group('LDCT', 'CT', 5, 5)];
  const c = comparePaper(manifest, groups, { arch: 'resnet18', accuracy: 20 / 27, balancedAccuracy: 0.5 })!;

  it('pairs every test dataset × class with the paper\u2019s Table 3 figure, missing figures as null', () => {
    expect(c.rows).toEqual([
      { dataset: 'CPTAC-LSCC', location: 'chest', modality: 'CT', paper: 100, ours: 90, images: 10 },
      { dataset: 'CPTAC-LSCC', location: 'chest', modality: 'XR', paper: 92, ours: null, images: 0 },
      { dataset: 'CPTAC-LSCC', location: 'chest', modality: 'PT', paper: null, ours: 100, images: 4 },
      { dataset: 'MURA', location: 'bone', modality: 'XR', paper: 28, ours: 25, images: 8 },
      { dataset: 'LDCT', location: 'multiple', modality: 'CT', paper: null, ours: 100, images: 5 },
    ]);
    expect(c.headline).toEqual({ arch: 'resnet18', accuracy: 96, balancedAccuracy: 86.17 });
    expect(c.ours).toEqual({ arch: 'resnet18', accuracy: 74.07, balancedAccuracy: 50 });
  });

  it('adds an optional dataset only when it was evaluated, and nothing without paper figures', () => {
    const withBtp = comparePaper(manifest, [...groups, group('BTP', 'MR', 2, 1)], { arch: 'r', accuracy: 1, balancedAccuracy: 1 })!;
    expect(withBtp.rows.at(-1)).toEqual({ dataset: 'BTP', location: 'head', modality: 'MR', paper: 92, ours: 50, images: 2 });
    expect(comparePaper(parseManifest({ name: 'n', datasets: [{ name: 'A', location: 'chest', split: 'test' }] }), groups, { arch: 'r', accuracy: 1, balancedAccuracy: 1 })).toBeUndefined();
  });

  it('shows in the eval Markdown and in the HTML and Markdown reports', () => {
    const md = paperMarkdown(c).join('\n');
    expect(md).toContain('| paper, resnet18 | 96.00 % | 86.17 % |');
    expect(md).toContain('| MURA | bone | XR | 8 | 28 % | 25 % | -3.0 |');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-paper-'));
    try {
      fs.writeFileSync(
        path.join(dir, 'eval-test.json'),
        JSON.stringify({ split: 'test', classNames: ['CT', 'XR'], confusion: [[9, 1], [6, 2]], accuracy: 11 / 18, balancedAccuracy: 0.575, images: 18, groups: [], paper: c }),
      );
      const e = collectEvaluation(dir).value!;
      expect(e.paper).toEqual(c);
      const data = { title: 't', generatedAt: 'now', dataDir: dir, notes: [], evaluation: e };
      const html = renderHtml(data);
      expect(html).toContain('The paper beside this run (Table 3)');
      expect(html).toMatch(/<td>MURA<\/td><td>bone<\/td><td>XR<\/td><td class="n">8<\/td><td class="n">28 %<\/td><td class="n">25 %<\/td>/);
      expect(html).toContain('paper (resnet18)');
      expect(html).toContain('96.00 % / 86.17 %');
      expect(renderMarkdown(data)).toContain('| this run, resnet18 | 74.07 % | 50 % |');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
