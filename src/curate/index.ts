/** Public surface of curate/ (curation: caps, plans, dataset manifests, split and leakage): other folders import only from here. */
export { DEFAULT_CAP_ORDER, DEFAULT_CAPS, parseCaps, type CapOrder } from './caps.ts';
export { LeakageCollector, formatLeakage, type LeakageReport } from './leakage.ts';
export {
  DATASET_SOURCES,
  collectionOf,
  datasetSource,
  idcCollectionIdOf,
  idcCollectionOf,
  loadManifest,
  parseManifest,
  selectDatasets,
  type DatasetManifest,
  type DatasetSource,
  type ManifestDataset,
} from './manifest.ts';
export { planDatasetOf, validateSelection, type Selection } from './selection.ts';
export { catalogDigest, loadPlan, planFromCatalog, planJson, type PlanDataset } from './plan.ts';
export type { Exclusion } from './planRows.ts';
export { DEFAULT_SPLIT_SEED, LeakageError, listStagedSeries, loadSplitFile, parseTargets, splitDatasets, type StagedSeriesRef } from './split.ts';
