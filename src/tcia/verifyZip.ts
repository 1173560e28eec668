import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { DataError } from '../core/errors.ts';
import { MAX_MD5_LIST_BYTES, seriesLimits, type SeriesLimits } from './seriesLimits.ts';
import { md5Bytes, sha256File, sha256Hex } from '../core/hash.ts';

/**
 * Verification of a getImage ZIP without extracting anything (tcia-api.md §4): the central
 * directory is readable, every entry name is safe (no absolute paths, `..` or backslashes:
 * zip-slip), the image count equals ImageCount, and every image matches md5hashes.csv when the
 * server sent one. A failed series download can be HTTP 200 with a short but valid ZIP, so all
 * three checks matter.
 */

export interface ZipEntryInfo {
  name: string;
  /** Uncompressed bytes. */
  size: number;
  md5?: string;
}

export interface ZipVerification {
  /** Image entries (not LICENSE, not md5hashes.csv), in ZIP order, with their MD5s. */
  entries: ZipEntryInfo[];
  imageCount: number;
  /** md5hashes.csv was present and every image matched it. */
  md5Verified: boolean;
  hasLicense: boolean;
  /** SHA-256 of the whole ZIP file (the sidecar's zipSha256): hashed here, on the verifying thread. */
  zipSha256: string;
}

const MD5_LIST = 'md5hashes.csv';
const inflateRaw = promisify(zlib.inflateRaw);
const LICENSE = 'LICENSE';

/** Why a name may not be used as a path inside our tree; undefined when it is safe. */
export function unsafeZipName(name: string): string | undefined {
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').includes('..')) return 'contains a ".." segment';
  if (/[\u0000-\u001f]/.test(name)) return 'contains control characters';
  return undefined;
}

/** Parse md5hashes.csv: header `Filename,MD5Hash`, then `<entry name>,<32 hex>` lines. */
export function parseMd5List(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    const comma = line.lastIndexOf(',');
    if (comma < 0) continue;
    const name = line.slice(0, comma).replace(/^"|"$/g, '');
    const md5 = line.slice(comma + 1).replace(/^"|"$/g, '').toLowerCase();
    if (!/^[0-9a-f]{32}$/.test(md5)) continue; // header row
    out.set(name, md5);
  }
  return out;
}

/**
 * Series ZIPs up to this size are verified from one read into memory: per-entry file reads and their
 * buffers cost more CPU than the inflate (the ZIP was just written, so the read comes from the page cache).
 */
const IN_MEMORY_MAX = 512 * 1024 * 1024;

/**
 * `limits` (default: from `expectedImages` alone) bound what the ZIP may inflate to: sizes the
 * central directory declares are checked before anything is inflated, and no entry may inflate
 * past its declared size, so memory stays flat whatever the archive claims (zip bombs).
 */
export async function verifySeriesZip(file: string, expectedImages: number, limits: SeriesLimits = seriesLimits(expectedImages)): Promise<ZipVerification> {
  let zip: yauzl.ZipFile;
  let buffer: Buffer | undefined;
  const options = { lazyEntries: true, autoClose: false, decodeStrings: true, strictFileNames: true, validateEntrySizes: true };
  try {
    const { size } = await fsp.stat(file);
    if (size <= IN_MEMORY_MAX) {
      buffer = await fsp.readFile(file);
      zip = await yauzl.fromBufferPromise(buffer, options);
    } else zip = await yauzl.openPromise(file, options);
  } catch (err) {
    throw classify(file, err);
  }
  try {
    const images: ZipEntryInfo[] = [];
    let md5Text: string | undefined;
    let hasLicense = false;
    let inflated = 0;
    for (;;) {
      const entry = await nextEntry(zip);
      if (!entry) break;
      const name = entry.fileName;
      const why = unsafeZipName(name);
      if (why) throw unsafe(file, name, why);
      if (name.endsWith('/')) continue; // directory entry
      const max = name === MD5_LIST || name === LICENSE ? MAX_MD5_LIST_BYTES : limits.maxEntryBytes;
      if (entry.uncompressedSize > max) throw tooLarge(file, `entry ${name} declares ${entry.uncompressedSize} bytes, more than the ${max} allowed`);
      inflated += entry.uncompressedSize;
      if (inflated > limits.maxImagesBytes + MAX_MD5_LIST_BYTES) {
        throw tooLarge(file, `entries declare more than ${limits.maxImagesBytes} bytes, the most this series can hold`);
      }
      if (name === MD5_LIST) {
        md5Text = (await readEntry(zip, entry, buffer)).toString('utf8');
        continue;
      }
      if (name === LICENSE) {
        hasLicense = true;
        await readEntry(zip, entry, buffer, true);
        continue;
      }
      const md5 = (await readEntry(zip, entry, buffer, true)).toString('hex');
      images.push({ name, size: entry.uncompressedSize, md5 });
    }
    if (images.reduce((a, i) => a + i.size, 0) > limits.maxImagesBytes) {
      throw tooLarge(file, `images declare more than ${limits.maxImagesBytes} bytes, the most this series can hold`);
    }
    if (images.length !== expectedImages) {
      throw new DataError('IMAGE_COUNT_MISMATCH', `${file}: ${images.length} images in the ZIP, TCIA lists ${expectedImages}`, {
        hint: 'the server sent a short ZIP; a retry or rerun usually fixes it',
        details: { file, got: images.length, expected: expectedImages },
      });
    }
    let md5Verified = false;
    if (md5Text !== undefined) {
      const listed = parseMd5List(md5Text);
      for (const img of images) {
        const want = listed.get(img.name);
        if (want === undefined) {
          throw new DataError('MD5_MISMATCH', `${file}: ${img.name} is not listed in ${MD5_LIST}`, { details: { file, entry: img.name } });
        }
        if (want !== img.md5) {
          throw new DataError('MD5_MISMATCH', `${file}: ${img.name} has MD5 ${img.md5}, ${MD5_LIST} says ${want}`, {
            details: { file, entry: img.name, got: img.md5, expected: want },
          });
        }
      }
      if (listed.size !== images.length) {
        throw new DataError('MD5_MISMATCH', `${file}: ${MD5_LIST} lists ${listed.size} files, the ZIP has ${images.length} images`, { details: { file } });
      }
      md5Verified = true;
    }
    const zipSha256 = buffer ? sha256Hex(buffer) : await sha256File(file);
    return { entries: images, imageCount: images.length, md5Verified, hasLicense, zipSha256 };
  } catch (err) {
    throw classify(file, err);
  } finally {
    zip.close();
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (err: Error) => (cleanup(), reject(err));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Entries up to this size are inflated in one zlib call; larger ones stream. */
const WHOLE_ENTRY_MAX = 16 * 1024 * 1024;

/**
 * Inflate one entry; returns its MD5 digest (`digestOnly`) or its bytes. With the ZIP in memory
 * (`buffer`), an entry's compressed bytes are a slice of it (yauzl still parses and checks the
 * local header) and are inflated in one call: synchronously on a worker thread (a hop to the libuv
 * pool and back costs more than it saves there), on the pool from the main thread. Streaming each
 * entry through yauzl instead cost twice the CPU per byte (bench/fetch.ts).
 */
async function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, buffer: Buffer | undefined, digestOnly = false): Promise<Buffer> {
  const method = entry.compressionMethod;
  if ((method === 0 || method === 8) && entry.uncompressedSize <= WHOLE_ENTRY_MAX && !entry.isEncrypted()) {
    const raw = buffer ? await dataOf(zip, entry, buffer) : await collect(await zip.openReadStreamPromise(entry, method === 8 ? { decompress: false } : {}));
    // One output chunk of the declared size; maxOutputLength stops an entry that inflates past
    // its declared size (a zip bomb) right there.
    const inflate = { chunkSize: Math.max(64, entry.uncompressedSize), maxOutputLength: Math.max(1, entry.uncompressedSize) };
    let data: Buffer;
    try {
      data = method === 0 ? raw : isMainThread ? await inflateRaw(raw, inflate) : zlib.inflateRawSync(raw, inflate);
    } catch (err) {
      throw (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' ? new Error(`entry ${entry.fileName} inflates past the ${entry.uncompressedSize} bytes the directory says`) : err;
    }
    if (data.byteLength !== entry.uncompressedSize) {
      throw new Error(`unexpected EOF: ${entry.fileName} inflated to ${data.byteLength} bytes, the directory says ${entry.uncompressedSize}`);
    }
    return digestOnly ? md5Bytes(data) : data;
  }
  const stream: Readable = await zip.openReadStreamPromise(entry);
  const hash = digestOnly ? crypto.createHash('md5') : undefined;
  const chunks: Buffer[] = [];
  for await (const c of stream) {
    if (hash) hash.update(c as Buffer);
    else chunks.push(c as Buffer);
  }
  return hash ? hash.digest() : Buffer.concat(chunks);
}

/** An entry's compressed bytes within the in-memory ZIP, where its local header says they start. */
function dataOf(zip: yauzl.ZipFile, entry: yauzl.Entry, buffer: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zip.readLocalFileHeader(entry, { minimal: true }, (err, header) => {
      if (err || !header) return reject(err ?? new Error(`no local header for ${entry.fileName}`));
      resolve(buffer.subarray(header.fileDataStart, header.fileDataStart + entry.compressedSize));
    });
  });
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function tooLarge(file: string, why: string): DataError {
  return new DataError('ZIP_TOO_LARGE', `${file}: ${why}`, {
    hint: 'the archive sent more than the catalog says the series holds (a zip bomb or a wrong catalog); the series is rejected',
    details: { file },
  });
}

function unsafe(file: string, name: string, why: string): DataError {
  return new DataError('ZIP_UNSAFE_NAME', `${file}: entry name "${name}" ${why}`, {
    hint: 'a ZIP entry that could write outside its folder (zip-slip); the series is rejected and nothing is extracted',
    details: { file, entry: name },
  });
}

/** Map yauzl's and zlib's errors onto our reject codes. */
function classify(file: string, err: unknown): unknown {
  if (err instanceof DataError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const m = /^(invalid characters in fileName|absolute path|invalid relative path): (.*)$/s.exec(msg);
  if (m) return unsafe(file, m[2]!, m[1]!);
  if (/inflates past|too many bytes in the stream/.test(msg)) return tooLarge(file, msg);
  const truncated = /end of central directory record signature not found|unexpected EOF|not enough bytes|invalid local file header|end of file|out of range|too many length or distance|invalid stored block|unexpected end/i.test(msg);
  return new DataError(truncated ? 'ZIP_TRUNCATED' : 'ZIP_UNREADABLE', `${file}: ${msg}`, {
    cause: err,
    hint: 'the ZIP is incomplete or damaged; a retry or rerun downloads it again',
    details: { file },
  });
}
