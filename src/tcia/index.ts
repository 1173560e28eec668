/** Public surface of tcia/ (the TCIA API v4 client: catalog, series download, ZIP verification, .tcia manifests): other folders import only from here. */
export { fetchCollectionCatalogs, fetchManifestCatalogs, manifestBaseName, readCatalog } from './catalog.ts';
export { DEFAULT_API_URL, TciaClient } from './client.ts';
export { resolveCollectionNames, unknownCollectionWarning } from './collectionNames.ts';
export { readSidecar, type SeriesOutcome, type SeriesStatus } from './download.ts';
export { verifySeriesZip } from './verifyZip.ts';
export { DownloadTally, NO_DOWNLOADS, downloadSeriesList, type DownloadHooks, type DownloadListResult } from './downloadSeriesList.ts';
export { formatTciaDate } from './endpoints.ts';
export { loadTciaManifest, type TciaManifest } from './tciaManifest.ts';
export type { SeriesFilters } from './types.ts';
export { javaHashMapOrder, newFileNameOrder, sequentialEntryName } from './zipEntries.ts';
