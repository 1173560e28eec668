import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stableJson } from '../../../src/core/fsAtomic.ts';
import { parseManifest } from '../../../src/curate/manifest.ts';
import { SPLITS } from '../../../src/core/types.ts';
import { presetManifest } from '../../../src/standins/synth/manifest.ts';
import { planCollection } from '../../../src/standins/synth/plan.ts';
import { presetSpecs } from '../../../src/standins/synth/presets.ts';

describe('synth presets and their manifests', () => {
  for (const preset of ['tiny', 'demo'] as const) {
    it(`manifests/${preset}.json matches the preset and parses`, () => {
      const text = fs.readFileSync(new URL(`../../../manifests/${preset}.json`, import.meta.url), 'utf8');
      expect(text).toBe(stableJson(presetManifest(preset)));
      const m = parseManifest(JSON.parse(text), `${preset}.json`);
      expect(m.datasets.map((d) => d.name)).toEqual(presetSpecs(preset).map((s) => s.collection));
    });
  }

  it('demo: every split has every class, train has 2 locations per class, ≥2 locations per class overall, no dataset in two splits', () => {
    const specs = presetSpecs('demo');
    const m = presetManifest('demo');
    for (const split of SPLITS) {
      const classes = new Set(m.datasets.filter((d) => d.split === split).flatMap((d) => d.classes ?? []));
      expect([...classes].sort(), split).toEqual(['CT', 'MR', 'PT', 'XR']);
    }
    for (const cls of ['CT', 'MR', 'PT', 'XR']) {
      const train = new Set(m.datasets.filter((d) => d.split === 'train' && d.classes?.includes(cls)).map((d) => d.location));
      expect(train.size, cls).toBeGreaterThanOrEqual(2);
    }
    expect(new Set(specs.map((s) => s.collection)).size).toBe(specs.length);
  });

  it('demo plan: a few thousand images, rare corrupt files (≤ 0.2 %), every transfer syntax', () => {
    const plans = presetSpecs('demo').flatMap((s) => planCollection(s, 1));
    const images = plans.filter((p) => p.kind === 'image');
    const n = images.reduce((a, p) => a + p.instances, 0);
    expect(n).toBeGreaterThanOrEqual(2000);
    expect(n).toBeLessThanOrEqual(3500);
    const corrupt = images.reduce((a, p) => a + p.corrupt.length, 0);
    expect(corrupt).toBeGreaterThan(0);
    expect(corrupt / n).toBeLessThanOrEqual(0.002);
    expect(new Set(images.map((p) => p.ts)).size).toBe(6);
    expect(new Set(plans.filter((p) => p.kind !== 'image').map((p) => p.kind))).toEqual(new Set(['SEG', 'RTSTRUCT', 'SR']));
    // Release dates spread over about two years, for incremental-sync tests.
    const dates = images.map((p) => p.dateReleased).sort();
    expect(Date.parse(dates.at(-1)!) - Date.parse(dates[0]!)).toBeGreaterThan(365 * 86_400_000);
  });
});

describe('the paper preset', () => {
  it('serves every TCIA collection of manifests/paper-2021.json under its name, one spec per class, in the manifest\u2019s split', async () => {
    const { loadPaperManifest } = await import('../../../src/standins/synth/paperPreset.ts');
    const m = loadPaperManifest();
    const specs = presetSpecs('paper');
    const tcia = [...m.datasets, ...(m.optionalDatasets ?? [])].filter((d) => d.source !== 'external');
    expect(tcia).toHaveLength(97);
    expect([...new Set(specs.map((s) => s.collection))].sort()).toEqual(tcia.map((d) => d.name).sort());
    for (const d of tcia) {
      const mine = specs.filter((s) => s.collection === d.name);
      const classes = mine.map((s) => ({ CR: 'XR', DX: 'XR', MG: 'XR' })[s.modality as 'CR'] ?? s.modality);
      expect(classes, d.name).toEqual(d.classes);
      for (const s of mine) expect(s.split).toBe(d.split);
    }
    expect(specs.find((s) => s.collection === 'CBIS-DDSM')!.modality).toBe('MG');
    // Specs sharing a collection never share a series: every UID is distinct.
    const uids = specs.flatMap((s) => planCollection(s, 1)).map((p) => p.seriesUid);
    expect(new Set(uids).size).toBe(uids.length);
  });
});
