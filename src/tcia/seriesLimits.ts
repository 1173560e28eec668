import { MAX_IMAGE_BYTES } from '../core/limits.ts';

/**
 * What a series ZIP may weigh, derived from what the catalog states, so that neither a download nor
 * an inflate can grow past it (zip bombs, endless bodies). Generous on purpose: a real series never
 * comes near; a hostile one is stopped long before memory or disk suffer.
 */
export interface SeriesLimits {
  /** Largest inflated image entry. */
  maxEntryBytes: number;
  /** Largest sum of inflated image entries. */
  maxImagesBytes: number;
  /** Largest ZIP body (compressed; plus ZIP overhead, md5hashes.csv and LICENSE). */
  maxZipBytes: number;
}

/** md5hashes.csv is ~50 bytes per image; anything near this is not one. */
export { MAX_IMAGE_BYTES };
export const MAX_MD5_LIST_BYTES = 64 * 1024 * 1024;
/** ZIP structures and md5hashes.csv per entry (headers, directory, name, hash line) are a few hundred bytes. */
const ZIP_OVERHEAD_PER_ENTRY = 1024;
const ZIP_OVERHEAD_FIXED = 1024 * 1024;

/**
 * Limits of a series of `imageCount` images, `fileSize` bytes when the catalog says (getSeries
 * FileSize: the series' DICOM files, uncompressed): at most twice that, and ImageCount × the
 * per-image maximum in any case.
 */
export function seriesLimits(imageCount: number, fileSize?: number, maxImageBytes = MAX_IMAGE_BYTES): SeriesLimits {
  const n = Math.max(1, imageCount);
  let maxImagesBytes = n * maxImageBytes;
  if (fileSize !== undefined && fileSize > 0) maxImagesBytes = Math.min(maxImagesBytes, 2 * fileSize + ZIP_OVERHEAD_FIXED);
  return {
    maxEntryBytes: Math.min(maxImageBytes, maxImagesBytes),
    maxImagesBytes,
    maxZipBytes: maxImagesBytes + n * ZIP_OVERHEAD_PER_ENTRY + ZIP_OVERHEAD_FIXED,
  };
}
