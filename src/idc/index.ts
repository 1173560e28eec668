/** IDC: the series index (Parquet), anonymous S3/GCS listing, object download and verification. */
export { INDEX_COLUMNS, parseS3Url, readIdcIndex, type IdcIndex, type IdcSeries, type IndexFilter } from './indexFile.ts';
export { AWS_ENDPOINT, GCS_ENDPOINT, DEFAULT_ENDPOINT, GCS_BUCKETS, resolveEndpoint, objectUrl, type Endpoint } from './endpoints.ts';
export { DEFAULT_INDEX_URL, GCS_INDEX_URL, resolveIndex } from './indexSource.ts';
export { ObjectStore, type DownloadedObject } from './objectStore.ts';
export { parseListPage, isPlainMd5, type ListedObject, type ListPage } from './listXml.ts';
export { parseS5cmdManifest, loadS5cmdManifest, type S5cmdManifest } from './s5cmdManifest.ts';
export { fetchIdcSeries, type SeriesLocation } from './seriesFetch.ts';
export { downloadIdcSeriesList } from './downloadList.ts';
export { idcCatalog, s5cmdBaseName, type IdcCatalog } from './catalog.ts';
export { validateIndexSpec } from './indexSource.ts';
