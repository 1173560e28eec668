/** The S3/IDC stand-in (test world: tests, bench, demo and `etl tcia serve` only). */
export { startS3StandIn, parseRange, S3_FAULT_KINDS, INDEX_BUCKET, INDEX_KEY, STAND_IN_INDEX_VERSION, type S3FaultKind, type S3StandIn, type S3StandInOptions } from './server.ts';
export { buildIdcContent, uuidFrom, DEFAULT_BUCKET } from './objects.ts';
export { idcIndexParquet, writeIdcIndexParquet } from './indexParquet.ts';
