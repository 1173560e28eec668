/**
 * The getImage ZIP stream (tcia-api.md §4): DEFLATE entries with data descriptors (yazl streams
 * every `addReadStreamLazy` entry that way, like java.util.zip.ZipOutputStream), no Content-Length.
 * Entries: `LICENSE`, images (`00000001.dcm`… in DB order, or `<acq>-<inst>.dcm` by InstanceNumber),
 * then `md5hashes.csv` when asked (HashMap row order). Fault hooks: `limitImages` (a complete ZIP
 * with fewer images) and `cutAtImage` (the output ends just before that image's data).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import yazl from 'yazl';
import { javaHashMapOrder, newFileNameOrder, sequentialEntryName } from '../../tcia/index.ts';
import type { CatalogImage, CatalogSeries } from './catalog.ts';
import { columns, toCsvPlain } from './format.ts';

export interface SeriesZipOptions {
  license: boolean;
  newFileNames: boolean;
  includeMd5: boolean;
  /** zlib level 1–9; default 6 (java.util.zip's default). */
  compressionLevel?: number;
  /** Write only the first n images (fault `short`). */
  limitImages?: number;
  /** End the output right after this image's local header, then call `onCut` (faults `truncate`, `reset`). */
  cutAtImage?: number;
  onCut?: () => void;
}

export interface SeriesZip {
  stream: Readable;
  /** Entry names of the images, in write order (all of them, whatever the limits). */
  imageNames: string[];
  /** Stops reading files (after a cut or a client that went away). */
  cancel(): void;
}

/** Generated entries carry a fixed time so the same request gives the same bytes. */
const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1));
const MD5_COLUMNS = columns('Filename', 'MD5Hash');

/** The LICENSE entry: the server's default `licenseText` MessageFormat (nbia.properties). */
export function licenseText(series: CatalogSeries): string {
  const c = series.collection;
  return `License Information. The ${c.name} collection is distributed under the ${c.licenseShortName ?? 'null'} at ${c.licenseUri ?? 'null'} By downloading the data, you agree to abide by terms of this license.`;
}

/** Images in write order with their entry names. */
export function plannedEntries(series: CatalogSeries, newFileNames: boolean): Array<{ image: CatalogImage; name: string }> {
  if (newFileNames) return newFileNameOrder(series.images).map(({ index, name }) => ({ image: series.images[index]!, name }));
  return series.images.map((image, i) => ({ image, name: sequentialEntryName(i + 1, image.relPath) }));
}

export function seriesZip(series: CatalogSeries, opts: SeriesZipOptions): SeriesZip {
  const zip = new yazl.ZipFile();
  const stream = zip.outputStream as PassThrough;
  // A cancelled or cut stream makes yazl write into a finished stream: its errors are expected.
  zip.on('error', () => {});
  stream.on('error', () => {});
  const entryOpts = { compress: true, compressionLevel: opts.compressionLevel ?? 6, forceDosTimestamp: true, mtime: FIXED_MTIME };
  const open = new Set<fs.ReadStream>();
  const planned = plannedEntries(series, opts.newFileNames);
  const md5 = new Map<string, string>();
  let cancelled = false;

  if (opts.license) {
    const text = Buffer.from(licenseText(series), 'utf8');
    zip.addReadStreamLazy('LICENSE', entryOpts, (cb) => cb(null, Readable.from([text])));
  }
  const count = Math.min(planned.length, opts.limitImages ?? planned.length);
  for (let k = 0; k < count; k++) {
    const { image, name } = planned[k]!;
    zip.addReadStreamLazy(name, entryOpts, (cb) => {
      if (k === opts.cutAtImage) {
        return cb(null, cutStream(() => {
          stream.end();
          opts.onCut?.();
        }));
      }
      const src = fs.createReadStream(image.file);
      open.add(src);
      const hash = crypto.createHash('md5');
      const t = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
        flush(done) {
          md5.set(name, hash.digest('hex'));
          done();
        },
      });
      src.on('error', (err) => t.destroy(err));
      src.on('close', () => open.delete(src));
      cb(null, src.pipe(t));
    });
  }
  if (opts.includeMd5 && opts.cutAtImage === undefined) {
    zip.addReadStreamLazy('md5hashes.csv', entryOpts, (cb) => {
      const names = javaHashMapOrder([...md5.keys()]);
      const csv = toCsvPlain(MD5_COLUMNS, names.map((n) => [n, md5.get(n)!]));
      cb(null, Readable.from([Buffer.from(csv, 'utf8')]));
    });
  }
  zip.end();
  return {
    stream,
    imageNames: planned.map((p) => p.name),
    cancel() {
      if (cancelled) return;
      cancelled = true;
      for (const s of open) s.destroy();
      stream.destroy();
    },
  };
}

/**
 * yazl asks for an entry's data only after every earlier entry is complete and this entry's local
 * header is written; ending the output there leaves a ZIP cut mid-stream with no central directory.
 * The returned stream never ends, so yazl writes nothing more.
 */
function cutStream(onCut: () => void): PassThrough {
  setImmediate(onCut);
  return new PassThrough();
}
