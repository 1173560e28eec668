import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SPLITS, type Split } from '../../src/core/types.ts';
import { collectionOf, datasetSource, idcCollectionIdOf, loadManifest } from '../../src/curate/manifest.ts';

/**
 * manifests/paper-2021.json against the dissertation's Appendix C (docs/paper-datasets.md). The
 * expected rows are embedded here so the test runs anywhere; when ../shared is present they are also
 * checked against the doc itself, so a typo in either shows.
 * Row: [split, dissertation name, manifest name (the TCIA collection for TCIA rows), external label in the doc].
 */
type Row = [Split, string, string, string?];
const APPENDIX_C: Row[] = [
  ['train', "ACRIN-DSC-MR-Brain", "ACRIN-DSC-MR-Brain"],
  ['train', "Head-Neck-Radiomics-HN1", "HEAD-NECK-RADIOMICS-HN1"],
  ['train', "Lung-PET-CT-Dx", "Lung-PET-CT-Dx"],
  ['train', "AAPM RT-MAC Grand Challenge 2019", "AAPM-RT-MAC"],
  ['train', "COVID-19-AR", "COVID-19-AR"],
  ['train', "CPTAC-CM", "CPTAC-CM"],
  ['train', "CPTAC-HNSCC", "CPTAC-HNSCC"],
  ['train', "PDMR-997537-175-T", "PDMR-997537-175-T"],
  ['train', "PDMR-292921-168-R", "PDMR-292921-168-R"],
  ['train', "PDMR-425362-245-T", "PDMR-425362-245-T"],
  ['train', "HNSCC", "HNSCC"],
  ['train', "DRO Toolkit", "DRO-Toolkit"],
  ['train', "QIN GBM Treatment Response", "QIN GBM Treatment Response"],
  ['train', "CPTAC-GBM", "CPTAC-GBM"],
  ['train', "CPTAC-SAR", "CPTAC-SAR"],
  ['train', "CPTAC-UCEC", "CPTAC-UCEC"],
  ['train', "OPC-Radiomics", "OPC-Radiomics"],
  ['train', "Acrin-FLT-Breast (ACRIN 6688)", "ACRIN-FLT-Breast"],
  ['train', "QIN-Breast", "QIN-BREAST"],
  ['train', "Lung Fused-CT-Pathology", "Lung-Fused-CT-Pathology"],
  ['train', "NSCLC-Radiomics", "NSCLC-Radiomics"],
  ['train', "NSCLC-Radiomics-Interobserver1", "NSCLC-Radiomics-Interobserver1"],
  ['train', "PDMR-BL0293-F563", "PDMR-BL0293-F563"],
  ['train', "QIN-BRAIN-DSC-MRI", "QIN-BRAIN-DSC-MRI"],
  ['train', "CC-Radiomics-Phantom", "CC-Radiomics-Phantom"],
  ['train', "CC-Radiomics-Phantom-2", "CC-Radiomics-Phantom-2"],
  ['train', "CC-Radiomics-Phantom-3", "CC-Radiomics-Phantom-3"],
  ['train', "LCTSC", "LCTSC"],
  ['train', "Anti-PD-1 MELANOMA", "Anti-PD-1_MELANOMA"],
  ['train', "TCGA-UCEC", "TCGA-UCEC"],
  ['train', "TCGA-HNSC", "TCGA-HNSC"],
  ['train', "HNSCC-3DCT-RT", "HNSCC-3DCT-RT"],
  ['train', "MRI-DIR", "MRI-DIR"],
  ['train', "Head-Neck-PET-CT", "Head-Neck-PET-CT"],
  ['train', "LGG-1p19qDeletion", "LGG-1p19qDeletion"],
  ['train', "CBIS-DDSM", "CBIS-DDSM"],
  ['train', "Phantom FDA", "Phantom FDA"],
  ['train', "QIN LUNG CT", "QIN LUNG CT"],
  ['train', "Mouse-Astrocytoma", "Mouse-Astrocytoma"],
  ['train', "TCGA-LUSC", "TCGA-LUSC"],
  ['train', "TCGA-LUAD", "TCGA-LUAD"],
  ['train', "TCGA-KIRP", "TCGA-KIRP"],
  ['train', "TCGA-LIHC", "TCGA-LIHC"],
  ['train', "IvyGAP", "IvyGAP"],
  ['train', "Prostate Fused-MRI-Pathology", "Prostate Fused-MRI-Pathology"],
  ['train', "TCGA-PRAD", "TCGA-PRAD"],
  ['train', "Breast-MRI-NACT-Pilot", "Breast-MRI-NACT-Pilot"],
  ['train', "RIDER Neuro MRI", "RIDER Neuro MRI"],
  ['train', "Soft-tissue-Sarcoma", "Soft-tissue-Sarcoma"],
  ['train', "Mouse-Mammary", "Mouse-Mammary"],
  ['train', "TCGA-THCA", "TCGA-THCA"],
  ['train', "TCGA-SARC", "TCGA-SARC"],
  ['train', "LungCT-Diagnosis", "LungCT-Diagnosis"],
  ['train', "TCGA-CESC", "TCGA-CESC"],
  ['train', "TCGA-OV", "TCGA-OV"],
  ['train', "TCGA-COAD", "TCGA-COAD"],
  ['train', "TCGA-KIRC", "TCGA-KIRC"],
  ['train', "TCGA-LGG", "TCGA-LGG"],
  ['train', "QIN PET Phantom", "QIN PET Phantom"],
  ['train', "QIN Breast DCE-MRI", "QIN Breast DCE-MRI"],
  ['train', "NSCLC-Radiomics-Genomics", "NSCLC-Radiomics-Genomics"],
  ['train', "Lung Phantom", "Lung Phantom"],
  ['train', "TCGA-KICH", "TCGA-KICH"],
  ['train', "TCGA-GBM", "TCGA-GBM"],
  ['train', "SPIE-AAPM Lung CT Challenge", "SPIE-AAPM Lung CT Challenge"],
  ['train', "Prostate-3T", "Prostate-3T"],
  ['train', "Prostate-Diagnosis", "PROSTATE-DIAGNOSIS"],
  ['train', "RIDER Phantom PET-CT", "RIDER PHANTOM PET-CT"],
  ['train', "RIDER Lung CT", "RIDER Lung CT"],
  ['train', "RIDER Phantom MRI", "RIDER PHANTOM MRI"],
  ['train', "RIDER Breast MRI", "RIDER Breast MRI"],
  ['train', "CT Colonography (ACRIN 6664)", "CT COLONOGRAPHY"],
  ['train', "Chexpert", "CheXpert", "CheXpert"],
  ['train', "RSNA Bone Age", "RSNA-Bone-Age", "RSNA Pediatric Bone Age"],
  ['validate', "TCGA-BRCA", "TCGA-BRCA"],
  ['validate', "Acrin-FMISO-Brain (ACRIN 6684)", "ACRIN-FMISO-Brain"],
  ['validate', "TCGA-BLCA", "TCGA-BLCA"],
  ['validate', "Pancreas-CT", "Pancreas-CT"],
  ['validate', "CT Lymph Nodes", "CT Lymph Nodes"],
  ['validate', "TCGA-ESCA", "TCGA-ESCA"],
  ['validate', "TCGA-STAD", "TCGA-STAD"],
  ['validate', "LIDC-IDRI", "LIDC-IDRI"],
  ['validate', "QIBA CT-1C", "QIBA CT-1C"],
  ['validate', "RIDER Lung PET-CT", "RIDER Lung PET-CT"],
  ['validate', "Prostate-MRI", "PROSTATE-MRI"],
  ['validate', "NIH 100000 Chest X-ray", "NIH-ChestX-ray14", "NIH ChestX-ray14"],
  ['validate', "MRNet: Knee MRI's", "MRNet", "MRNet"],
  ['test', "CPTAC-CCRCC", "CPTAC-CCRCC"],
  ['test', "C4KC-KiTS", "C4KC-KiTS"],
  ['test', "CPTAC-LSCC", "CPTAC-LSCC"],
  ['test', "LDCT-and-Projection-data", "LDCT-and-Projection-data"],
  ['test', "CPTAC-LUAD", "CPTAC-LUAD"],
  ['test', "CPTAC-PDA", "CPTAC-PDA"],
  ['test', "Pelvic-Reference-Data", "Pelvic-Reference-Data"],
  ['test', "Anti-PD-1 Lung", "Anti-PD-1_Lung"],
  ['test', "ISPY1 (ACRIN 6657)", "ISPY1"],
  ['test', "QIN-HeadNeck", "QIN-HEADNECK"],
  ['test', "TCGA-READ", "TCGA-READ"],
  ['test', "NaF Prostate", "NaF PROSTATE"],
  ['test', "REMBRANDT", "REMBRANDT"],
  ['test', "MURA", "MURA", "MURA"],
  ['test', "NDA Osteoarthritis Initiative", "OAI", "OAI"],
  ['test', "BraTS20", "BraTS20", "BraTS 2020"],
];

/** The paper's Table 3: [manifest name, location, modality, ResNet-18 accuracy %]. */
const TABLE_3: Array<[string, string, string, number]> = [
  ["CPTAC-CCRCC", 'kidney', 'CT', 100],
  ["CPTAC-CCRCC", 'kidney', 'MR', 99],
  ["CPTAC-CCRCC", 'kidney', 'XR', 100],
  ["C4KC-KiTS", 'kidney', 'CT', 100],
  ["CPTAC-LSCC", 'chest', 'CT', 100],
  ["CPTAC-LSCC", 'chest', 'PT', 100],
  ["CPTAC-LSCC", 'chest', 'XR', 92],
  ["CPTAC-LUAD", 'chest', 'CT', 99],
  ["CPTAC-LUAD", 'chest', 'MR', 100],
  ["CPTAC-LUAD", 'chest', 'PT', 100],
  ["CPTAC-LUAD", 'chest', 'XR', 100],
  ["CPTAC-PDA", 'pancreas', 'CT', 100],
  ["CPTAC-PDA", 'pancreas', 'MR', 99],
  ["CPTAC-PDA", 'pancreas', 'PT', 100],
  ["CPTAC-PDA", 'pancreas', 'XR', 96],
  ["Pelvic-Reference-Data", 'pelvis', 'CT', 81],
  ["Anti-PD-1_Lung", 'chest', 'CT', 97],
  ["Anti-PD-1_Lung", 'chest', 'PT', 100],
  ["ISPY1", 'breast', 'MR', 99],
  ["QIN-HEADNECK", 'head', 'CT', 100],
  ["QIN-HEADNECK", 'head', 'PT', 100],
  ["TCGA-READ", 'kidney', 'CT', 100],
  ["TCGA-READ", 'kidney', 'MR', 98],
  ["NaF PROSTATE", 'prostate', 'CT', 100],
  ["NaF PROSTATE", 'prostate', 'PT', 100],
  ["REMBRANDT", 'head', 'MR', 100],
  ["MURA", 'bone', 'XR', 28],
  ["OAI", 'bone', 'XR', 62],
  ["BraTS20", 'head', 'MR', 97],
];

const DOC = path.resolve('..', 'shared', 'docs', 'paper-datasets.md');

describe('manifests/paper-2021.json is Appendix C', () => {
  const m = loadManifest('manifests/paper-2021.json');

  it('has the 103 rows, 74 / 13 / 16, with exactly the expected names and splits', () => {
    expect(APPENDIX_C).toHaveLength(103);
    expect(m.datasets).toHaveLength(103);
    const count = (s: Split) => m.datasets.filter((d) => d.split === s).length;
    expect(SPLITS.map(count)).toEqual([74, 13, 16]);
    expect(m.datasets.map((d) => [d.split, d.name])).toEqual(APPENDIX_C.map(([split, , name]) => [split, name]));
  });

  it('fetches the 96 TCIA rows by their collection name, with IDC ids derived by IDC\u2019s rule', () => {
    const tcia = m.datasets.filter((d) => datasetSource(d) === 'tcia');
    expect(tcia).toHaveLength(96);
    for (const d of tcia) {
      expect(collectionOf(d)).toBe(d.name);
      expect(d.idcCollectionId, d.name).toBe(idcCollectionIdOf(d.name));
    }
    expect(m.datasets.find((d) => d.name === 'TCGA-LUAD')!.idcCollectionId).toBe('tcga_luad');
    expect(m.description).toMatch(/derived by IDC's rule/i);
  });

  it('imports the seven externals in their split, each with a format, a folder and a download page', () => {
    const external = m.datasets.filter((d) => datasetSource(d) === 'external');
    expect(external.map((d) => [d.name, d.split])).toEqual(APPENDIX_C.filter((r) => r[3]).map(([split, , name]) => [name, split]));
    expect(external.map((d) => d.external!.format)).toEqual(['chexpert', 'rsna-bone-age', 'nih-cxr14', 'mrnet', 'mura', 'oai', 'brats20']);
    for (const d of external) {
      expect(d.external!.url, d.name).toMatch(/^https:\/\//);
      expect(path.isAbsolute(d.external!.path)).toBe(false);
    }
    expect(external.find((d) => d.name === 'OAI')!.external!.registration).toBe(true);
  });

  it('records the paper\u2019s Table 3 figures on the test datasets, and the two differences from the paper', () => {
    const got = m.datasets.flatMap((d) => (d.paper ?? []).map((p) => [d.name, p.location, p.modality, p.accuracy]));
    expect(got).toEqual(TABLE_3);
    for (const d of m.datasets.filter((x) => x.paper)) expect(d.split).toBe('test');
    expect(m.optionalDatasets).toEqual([expect.objectContaining({ name: 'Brain-Tumor-Progression', split: 'test', paper: [{ location: 'head', modality: 'MR', accuracy: 92 }] })]);
    expect(m.description).toMatch(/102/);
    expect(m.description).toMatch(/Brain-Tumor-Progression/);
    expect(m.paperHeadline).toMatchObject({ arch: 'resnet18', accuracy: 96, balancedAccuracy: 86.17 });
  });

  it('keeps the paper\u2019s caps, cap order and classes', () => {
    expect(m.caps).toEqual({ CT: 50000, MR: 100000 });
    expect(m.capOrder).toBe('tcia');
    expect(m.classMap).toEqual({ CT: 'CT', MR: 'MR', PT: 'PT', CR: 'XR', DX: 'XR', MG: 'XR' });
  });

  it('every class has datasets from at least two body locations in every split', () => {
    for (const cls of m.classes!) {
      for (const split of SPLITS) {
        const ds = m.datasets.filter((d) => d.split === split && d.classes?.includes(cls));
        expect(new Set(ds.map((d) => d.location)).size, `${cls}/${split} locations`).toBeGreaterThanOrEqual(2);
      }
    }
  });

  it.skipIf(!fs.existsSync(DOC))('the embedded rows and Table 3 are the doc\u2019s (../shared/docs/paper-datasets.md)', () => {
    const doc = parseDoc(fs.readFileSync(DOC, 'utf8'));
    expect(doc.rows).toEqual(APPENDIX_C.map(([split, diss, name, label]) => [split, diss, label ? `external: ${label}` : name]));
    expect(doc.table3).toEqual(TABLE_3.map(([name, loc, mod, acc]) => [APPENDIX_C.find((r) => r[2] === name)![1], loc, mod, acc]));
    expect(doc.text).toMatch(/Brain-Tumor-Progression \(head\): MR 92/);
  });
});

/** The doc's Train/Validate/Test tables: [split, dissertation name, collection column up to the external label]. */
function parseDoc(text: string): { rows: Array<[Split, string, string]>; table3: Array<[string, string, string, number]>; text: string } {
  const rows: Array<[Split, string, string]> = [];
  const table3: Array<[string, string, string, number]> = [];
  let split: Split | undefined;
  for (const line of text.split('\n')) {
    const heading = /^## (Train|Validate|Test) \((\d+)\)/.exec(line);
    if (heading) split = heading[1]!.toLowerCase() as Split;
    else if (line.startsWith('## ')) split = undefined;
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (!split || !/^\d+$/.test(cells[0] ?? '')) continue;
    const collection = cells[2]!.startsWith('external: ') ? cells[2]!.replace(/ \(.*$/, '') : cells[2]!;
    rows.push([split, cells[1]!, collection]);
    const t3 = /^"?([a-z-]+)"?(?: \(sic\))?: (.*)$/.exec(cells[3] ?? '');
    if (t3) for (const [, mod, acc] of t3[2]!.matchAll(/([A-Z]{2}) (\d+)/g)) table3.push([cells[1]!, t3[1]!, mod!, Number(acc)]);
  }
  return { rows, table3, text };
}
