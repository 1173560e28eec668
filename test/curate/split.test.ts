import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { buildSplitTable, formatSplitTable, loadSplitFile, parseTargets, splitDatasets } from '../../src/curate/split.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

async function setup() {
  const dir = tempDataDir();
  await stageSeries(dir, [
    { dataset: 'CT-chest', label: 'CT', images: 6, bodyPart: 'CHEST' },
    { dataset: 'CT-head', label: 'CT', images: 4 },
    { dataset: 'MR-brain', label: 'MR', images: 5 },
    { dataset: 'MR-knee', label: 'MR', images: 3 },
    { dataset: 'Extra', label: 'CT', images: 2 },
  ]);
  return dir;
}

describe('etl split', () => {
  it('keeps the manifest’s splits and writes counts per split × class × location', async () => {
    const dir = await setup();
    const mf = writeManifest(path.join(dir, 'm.json'), 'paper', [
      { name: 'CT-chest', split: 'train', location: 'chest' }, { name: 'CT-head', split: 'test', location: 'head' },
      { name: 'MR-brain', split: 'train', location: 'brain' }, { name: 'MR-knee', split: 'validate', location: 'knee' },
      { name: 'Extra', split: null, location: 'pelvis' },
    ]);
    const ctx = quietContext(dir);
    const r = await splitDatasets({ manifest: mf }, ctx);
    expect(r.file).toBe(path.join(dir, 'splits', 'paper.json'));
    expect(r.result.assignments).toEqual({ 'CT-chest': 'train', 'CT-head': 'test', 'MR-brain': 'train', 'MR-knee': 'validate' });
    expect(r.result.unassigned).toEqual(['Extra']);
    expect(r.result.table.rows).toContainEqual({ split: 'train', label: 'CT', location: 'chest', datasets: 1, images: 6 });
    expect(r.result.table.rows).toContainEqual({ split: 'unassigned', label: 'CT', location: 'pelvis', datasets: 1, images: 2 });
    expect(r.result.table.totals.train).toEqual({ CT: 6, MR: 5 });
    expect(r.proposal).toBeUndefined();
    // Stable JSON on disk, and loadSplitFile accepts it while the manifest is unchanged.
    expect(loadSplitFile(r.file).assignments).toEqual(r.result.assignments);
    const first = fs.readFileSync(r.file);
    await splitDatasets({ manifest: mf }, ctx);
    expect(fs.readFileSync(r.file).equals(first)).toBe(true);
    fs.appendFileSync(mf, '\n ');
    expect(() => loadSplitFile(r.file)).toThrow(/older/);
  });

  it('rejects datasets missing from the manifest unless --auto, which proposes without moving assigned ones', async () => {
    const dir = await setup();
    const mf = writeManifest(path.join(dir, 'm.json'), 'partial', [{ name: 'CT-chest', split: 'test' }, { name: 'MR-brain', split: 'train' }]);
    const ctx = quietContext(dir);
    await expect(splitDatasets({ manifest: mf }, ctx)).rejects.toBeInstanceOf(ConfigError);
    const r = await splitDatasets({ manifest: mf, auto: true, seed: 3 }, ctx);
    expect(r.proposalFile).toBe(ctx.paths.splitProposal('partial'));
    expect(fs.existsSync(r.proposalFile!)).toBe(true);
    expect(Object.keys(r.proposal!.proposed).sort()).toEqual(['CT-head', 'Extra', 'MR-knee']);
    expect(r.proposal!.fixed).toEqual({ 'CT-chest': 'test', 'MR-brain': 'train' });
    // The manifest itself is untouched.
    expect(JSON.parse(fs.readFileSync(mf, 'utf8')).datasets).toHaveLength(2);
  });

  it('flags validate/test class × location pairs that train lacks, in the table and its text', () => {
    const cells = [
      { dataset: 'A', label: 'CT', location: 'chest', images: 10 },
      { dataset: 'B', label: 'CT', location: 'head', images: 5 },
      { dataset: 'C', label: 'MR', location: 'brain', images: 7 },
      { dataset: 'D', label: 'CT', location: 'chest', images: 3 },
      { dataset: 'E', label: 'MR', location: 'knee', images: 4 },
    ];
    const t = buildSplitTable(cells, { A: 'train', C: 'train', B: 'validate', D: 'validate', E: 'test' });
    expect(t.rows.filter((r) => r.unseenInTrain).map((r) => `${r.split} ${r.label} ${r.location}`)).toEqual(['validate CT head', 'test MR knee']);
    expect(t.rows.find((r) => r.split === 'validate' && r.location === 'chest')!.unseenInTrain).toBeUndefined();
    expect(t.unseen).toEqual({ validate: ['CT head'], test: ['MR knee'] });
    const text = formatSplitTable(t);
    expect(text).toMatch(/validate\s+CT\s+head\s+1\s+5\s+location unseen in train/);
    expect(text).toContain('validate: class × location unseen in train: CT head');
    const seen = formatSplitTable(buildSplitTable(cells.slice(0, 4), { A: 'train', B: 'train', C: 'train', D: 'validate' }));
    expect(seen).toContain('validate: every class × location is also in train');
  });

  it('parses --targets and rejects bad ones', () => {
    expect(parseTargets('0.8,0.1,0.1')).toEqual([0.8, 0.1, 0.1]);
    expect(() => parseTargets('0.8,0.2')).toThrow(ConfigError);
  });
});
