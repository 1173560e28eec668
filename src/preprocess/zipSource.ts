import fsp from 'node:fs/promises';
import zlib from 'node:zlib';
import yauzl from 'yauzl';
import { DataError, messageOf } from '../core/errors.ts';
import { MAX_IMAGE_BYTES } from '../core/limits.ts';

/**
 * Files of one series, read in place: entries of a series ZIP (never extracted to disk) or plain
 * files of an imported folder. `read` returns the whole file; `readPrefix` only its first bytes
 * (enough for a DICOM header: used to pick the first k instances without decoding all of them).
 */
export interface SeriesFile {
  /** Entry name in the ZIP, or path relative to the imported folder. */
  name: string;
  size: number;
  read(): Promise<Uint8Array>;
  readPrefix(bytes: number): Promise<Uint8Array>;
}

export interface SeriesFiles {
  files: SeriesFile[];
  close(): void;
}

/** TCIA adds these next to the images. */
const NOT_IMAGES = new Set(['LICENSE', 'md5hashes.csv']);
/** Local file header: fixed part, and slack read with it for the name and extra field. */
const LOCAL_HEADER = 30;
const LOCAL_SLACK = 1024;

async function centralDirectory(file: string): Promise<yauzl.Entry[]> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true });
  } catch (err) {
    throw new DataError('ZIP_UNREADABLE', `${file}: not a readable ZIP: ${messageOf(err)}`, {
      hint: 'delete the ZIP and its .json sidecar and fetch the series again',
    });
  }
  const entries: yauzl.Entry[] = [];
  try {
    for (;;) {
      const entry = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        zip.once('entry', resolve);
        zip.once('end', () => resolve(null));
        zip.once('error', reject);
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (!entry) break;
      const base = entry.fileName.split('/').pop() ?? '';
      if (entry.fileName.endsWith('/') || NOT_IMAGES.has(base)) continue;
      entries.push(entry);
    }
  } catch (err) {
    throw new DataError('ZIP_UNREADABLE', `${file}: broken central directory: ${messageOf(err)}`);
  } finally {
    zip.close();
  }
  return entries;
}

/**
 * zlib's chunkSize for an expected output size: 64 bytes of slack, so that an exactly full chunk
 * does not make zlib allocate a second one; capped (a larger output still grows past it).
 */
function chunkFor(bytes: number): number {
  return Math.min(Math.max(64, bytes + 64), 64 << 20);
}

/**
 * Open a series ZIP and list its image entries (LICENSE, md5hashes.csv and folders left out).
 * yauzl reads the central directory; an entry's data is then read with one positioned read and
 * inflated in one synchronous call (a stream per entry costs more in event-loop hops than the
 * inflate itself). Integrity was checked when the series was fetched (MD5s); sizes are checked here.
 */
export async function openSeriesZip(file: string, maxEntryBytes = MAX_IMAGE_BYTES): Promise<SeriesFiles> {
  const entries = await centralDirectory(file);
  const fh = await fsp.open(file, 'r');
  const broken = (e: yauzl.Entry, why: string) => new DataError('ZIP_ENTRY_UNREADABLE', `${file}: entry ${e.fileName}: ${why}`);

  /**
   * Compressed bytes are inflated as soon as they are read, so one buffer per open ZIP serves every
   * deflated entry (a real CT slice is ~250 KB compressed: no allocation and GC per slice); a read
   * that overlaps another one in flight gets its own buffer.
   */
  let scratch = Buffer.allocUnsafe(0);
  let scratchBusy = false;

  /** The entry's stored (compressed) bytes, at most `limit` of them; in `scratch` when `reuse`. */
  async function stored(e: yauzl.Entry, limit: number, reuse = false): Promise<Buffer> {
    const want = Math.min(e.compressedSize, limit);
    const len = LOCAL_HEADER + e.fileName.length + LOCAL_SLACK + want;
    if (reuse && scratch.length < len) scratch = Buffer.allocUnsafe(Math.max(len, 64 * 1024));
    const head = reuse ? scratch.subarray(0, len) : Buffer.allocUnsafe(len);
    const { bytesRead } = await fh.read(head, 0, head.length, e.relativeOffsetOfLocalHeader);
    if (bytesRead < LOCAL_HEADER || head.readUInt32LE(0) !== 0x04034b50) throw broken(e, 'bad local file header');
    const start = LOCAL_HEADER + head.readUInt16LE(26) + head.readUInt16LE(28);
    if (start + want <= bytesRead) return head.subarray(start, start + want);
    const body = Buffer.allocUnsafe(want);
    const r = await fh.read(body, 0, want, e.relativeOffsetOfLocalHeader + start);
    if (r.bytesRead !== want) throw broken(e, `entry data ends after ${r.bytesRead} of ${want} bytes`);
    return body;
  }

  /**
   * Memory stays bounded whatever the archive claims: an entry that declares more than
   * `maxEntryBytes` is refused unread, and none may inflate past what it declares (zip bombs).
   */
  async function read(e: yauzl.Entry, limit = Infinity): Promise<Uint8Array> {
    if (e.isEncrypted()) throw broken(e, 'encrypted');
    if (e.uncompressedSize > maxEntryBytes) throw broken(e, `declares ${e.uncompressedSize} bytes, more than the ${maxEntryBytes} allowed for one image`);
    const partial = limit < e.uncompressedSize;
    if (e.compressionMethod === 0) return stored(e, partial ? limit : Infinity);
    if (e.compressionMethod !== 8) throw broken(e, `compression method ${e.compressionMethod} (only stored and deflate)`);
    // A compressed prefix of `limit` bytes inflates to at least `limit` bytes (deflate never expands much).
    const reuse = !scratchBusy;
    if (reuse) scratchBusy = true;
    let out: Buffer;
    try {
      const data = await stored(e, partial ? limit : Infinity, reuse);
      // One output chunk of the expected size: the default 16 KiB chunks are concatenated at the
      // end (a 512² CT slice: 32 chunks, a copy, 3× the CPU of the inflate itself).
      const maxOutputLength = Math.max(1, e.uncompressedSize);
      out = partial
        ? zlib.inflateRawSync(data, { finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: chunkFor(limit), maxOutputLength })
        : zlib.inflateRawSync(data, { chunkSize: chunkFor(e.uncompressedSize), maxOutputLength });
    } catch (err) {
      if (err instanceof DataError) throw err;
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw broken(e, `inflates past the ${e.uncompressedSize} bytes the central directory says`);
      throw broken(e, `inflate failed: ${messageOf(err)}`);
    } finally {
      if (reuse) scratchBusy = false;
    }
    if (!partial && out.length !== e.uncompressedSize) {
      throw broken(e, `inflated to ${out.length} bytes, the central directory says ${e.uncompressedSize}`);
    }
    return out;
  }

  return {
    files: entries.map((e) => ({
      name: e.fileName,
      size: e.uncompressedSize,
      read: () => read(e),
      readPrefix: (bytes: number) => read(e, bytes),
    })),
    close: () => void fh.close().catch(() => undefined),
  };
}

/** Plain files (folder import): `path` absolute, `name` as reported in rejects. A file that cannot be read is FILE_UNREADABLE. */
export function folderFiles(items: Array<{ path: string; name: string; size: number }>): SeriesFiles {
  const unreadable = (name: string) => (err: unknown): never => {
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') throw new DataError('FILE_MISSING', `${name}: the file is gone (${messageOf(err)})`);
    throw new DataError('FILE_UNREADABLE', `${name} cannot be read: ${typeof code === 'string' ? `${code} ` : ''}${messageOf(err)}`);
  };
  return {
    files: items.map((it) => ({
      name: it.name,
      size: it.size,
      read: async () => fsp.readFile(it.path).catch(unreadable(it.name)),
      readPrefix: async (bytes: number) => {
        const fh = await fsp.open(it.path, 'r').catch(unreadable(it.name));
        try {
          const buf = Buffer.alloc(Math.min(bytes, it.size));
          const { bytesRead } = await fh.read(buf, 0, buf.length, 0).catch(unreadable(it.name));
          return buf.subarray(0, bytesRead);
        } finally {
          await fh.close();
        }
      },
    })),
    close: () => undefined,
  };
}
