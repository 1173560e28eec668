import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/curate/manifest.ts';
import { SPLITS } from '../../src/core/types.ts';

describe('manifests/paper-2021.json', () => {
  const m = loadManifest('manifests/paper-2021.json');

  it('validates against the manifest schema, with unique names', () => {
    // A reconstruction (see its description): 94 TCIA collections + the paper's 7 external sources.
    expect(m.datasets).toHaveLength(101);
    expect(new Set(m.datasets.map((d) => d.name)).size).toBe(m.datasets.length);
    expect(m.description).toMatch(/RECONSTRUCTION/);
  });

  it('has the paper’s caps, order, classes and its seven external sources', () => {
    expect(m.caps).toEqual({ CT: 50000, MR: 100000 });
    expect(m.capOrder).toBe('tcia');
    expect(m.classMap).toEqual({ CT: 'CT', MR: 'MR', PT: 'PT', CR: 'XR', DX: 'XR', MG: 'XR' });
    const external = m.datasets.filter((d) => d.source === 'external');
    expect(external.map((d) => d.name).sort()).toEqual(['BraTS20', 'CheXpert', 'MRNet', 'MURA', 'NIH-Chest-X-ray', 'OAI', 'RSNA-Bone-Age']);
    for (const d of external) expect(d.url).toMatch(/^https:\/\//);
    expect(m.datasets.filter((d) => d.source === 'tcia')).toHaveLength(94);
  });

  it('every class has datasets from at least two body locations in every split', () => {
    for (const cls of m.classes!) {
      for (const split of SPLITS) {
        const ds = m.datasets.filter((d) => d.split === split && d.classes?.includes(cls));
        expect(ds.length, `${cls}/${split}`).toBeGreaterThan(0);
        expect(new Set(ds.map((d) => d.location)).size, `${cls}/${split} locations`).toBeGreaterThanOrEqual(2);
      }
    }
  });
});
