import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { datasetSource, idcCollectionIdOf, idcCollectionOf, parseManifest, selectDatasets } from '../../src/curate/manifest.ts';

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

  it('accept the source fields and default the source from what the entry has', () => {
    const m = parseManifest({
      name: 'm',
      datasets: [
        { name: 'TCGA-LUAD', location: 'chest', idcCollectionId: 'tcga_luad', doi: '10.7937/K9/TCIA.2016.JGNIHEP5', license: 'CC BY 3.0' },
        { name: 'QIN LUNG CT', source: 'auto', location: 'chest' },
        { name: 'MRNet', location: 'knee', split: 'validate', external: { format: 'mrnet', path: 'mrnet', url: 'https://stanfordmlgroup.github.io/competitions/mrnet/' } },
        { name: 'OAI', source: 'external', location: 'knee', external: { format: 'oai', path: 'oai', url: 'https://nda.nih.gov/oai', registration: true }, paper: { location: 'bone', modality: 'XR', accuracy: 62 } },
        { name: 'CPTAC-PDA', source: 'idc', location: 'pancreas', paper: [{ location: 'pancreas', modality: 'CT', accuracy: 100 }, { location: 'pancreas', modality: 'XR', accuracy: 96 }] },
      ],
    });
    expect(m.datasets.map(datasetSource)).toEqual(['tcia', 'auto', 'external', 'external', 'idc']);
    expect(m.datasets[3]!.paper).toEqual([{ location: 'bone', modality: 'XR', accuracy: 62 }]);
    expect(m.datasets[4]!.paper).toHaveLength(2);
    expect(idcCollectionOf(m.datasets[0]!)).toBe('tcga_luad');
    expect(idcCollectionOf(m.datasets[1]!)).toBe('qin_lung_ct');
  });

  it('derive IDC collection ids by IDC\'s rule', () => {
    expect(idcCollectionIdOf('TCGA-LUAD')).toBe('tcga_luad');
    expect(idcCollectionIdOf('Anti-PD-1_MELANOMA')).toBe('anti_pd_1_melanoma');
    expect(idcCollectionIdOf('RIDER PHANTOM PET-CT')).toBe('rider_phantom_pet_ct');
  });

  it('reject bad source fields with the entry and field named', () => {
    const entry = { name: 'X', location: 'knee' };
    const bad = (d: Record<string, unknown>) => () => parseManifest({ name: 'm', datasets: [{ ...entry, ...d }] }, 'x.json');
    expect(bad({ source: 'nbia' })).toThrow(/x.json at datasets\[0\] \("X"\)\.source/);
    expect(bad({ idcCollectionId: 'TCGA-LUAD' })).toThrow(/idcCollectionId: must be lower case/);
    expect(bad({ external: { format: 'mrnet', path: '../etc', url: 'https://x.org' } })).toThrow(/external\.path: must be a relative path/);
    expect(bad({ external: { format: 'mrnet', path: '/abs', url: 'https://x.org' } })).toThrow(/external\.path/);
    expect(bad({ external: { format: 'mrnet', path: 'm' } })).toThrow(/external\.url/);
    expect(bad({ source: 'tcia', external: { format: 'mrnet', path: 'm', url: 'https://x.org' } })).toThrow(/only external datasets have "external"/);
    expect(bad({ source: 'external', idcCollectionId: 'x' })).toThrow(/has no IDC collection/);
    expect(bad({ paper: { location: 'bone', modality: 'XR', accuracy: 128 } })).toThrow(/paper/);
  });

  it('add optional datasets only when asked for by name', () => {
    const m = parseManifest({ ...good, optionalDatasets: [{ name: 'Brain-Tumor-Progression', location: 'head', split: 'test' }] });
    expect(selectDatasets(m).map((d) => d.name)).toEqual(['LIDC-IDRI', 'CheXpert']);
    expect(selectDatasets(m, ['brain-tumor-progression']).map((d) => d.name)).toEqual(['LIDC-IDRI', 'CheXpert', 'Brain-Tumor-Progression']);
    expect(() => selectDatasets(m, ['BTP'])).toThrow(/no optional dataset "BTP"/);
    expect(() => parseManifest({ ...good, optionalDatasets: [good.datasets[0]] })).toThrow(/appears twice/);
  });
});
