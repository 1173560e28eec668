import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { parseManifest } from '../../src/curate/manifest.ts';

const good = {
  name: 'm',
  datasets: [
    { name: 'LIDC-IDRI', source: 'tcia', location: 'chest', split: 'train', classes: ['CT'] },
    { name: 'CheXpert', source: 'external', location: 'chest', split: 'test', url: 'https://stanfordmlgroup.github.io/competitions/chexpert/' },
  ],
};

describe('dataset manifests', () => {
  it('accept a valid manifest', () => {
    expect(parseManifest(good).datasets).toHaveLength(2);
  });

  it('point at the entry by index and name when a field is wrong', () => {
    const bad = structuredClone(good) as { datasets: Array<Record<string, unknown>> };
    bad.datasets[1]!.split = 'val';
    expect(() => parseManifest(bad, 'manifests/x.json')).toThrow(ConfigError);
    expect(() => parseManifest(bad, 'manifests/x.json')).toThrow(/manifests\/x.json at datasets\[1\] \("CheXpert"\)\.split/);
  });

  it('reject duplicate dataset names and unknown fields', () => {
    expect(() => parseManifest({ ...good, datasets: [good.datasets[0], good.datasets[0]] })).toThrow(/appears twice/);
    expect(() => parseManifest({ ...good, datasets: [{ ...good.datasets[0], spilt: 'train' }] })).toThrow(ConfigError);
  });
});
