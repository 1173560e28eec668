/**
 * getImage answers kept in memory, so a benchmark measures the client and the link rather than the
 * stand-in deflating and hashing every series on the same cores (the real server's ZIP writing is
 * not ours to measure; a benchmark warms the cache with one untimed pass). Answers are deterministic (fixed entry times), so a cached answer is the
 * very bytes a live one would be. Faulted answers (`short`, `truncate`, `reset`) are always built live.
 */
import type { CatalogSeries } from './catalog.ts';
import { seriesZip, type SeriesZipOptions } from './seriesZip.ts';

export type ZipAnswer = Pick<SeriesZipOptions, 'license' | 'newFileNames' | 'includeMd5'>;

export class ZipCache {
  private readonly answers = new Map<string, Buffer>();
  private bytes = 0;

  constructor(
    private readonly compressionLevel: number,
    /** Stop caching beyond this many bytes (answers past it are built live). */
    private readonly maxBytes: number,
  ) {}

  /** The answer: cached, or built (and kept while under maxBytes); undefined, unbuilt, once the cache is full. */
  async fill(series: CatalogSeries, a: ZipAnswer): Promise<Buffer | undefined> {
    const key = keyOf(series, a);
    const have = this.answers.get(key);
    if (have || this.bytes >= this.maxBytes) return have;
    const zip = seriesZip(series, { ...a, compressionLevel: this.compressionLevel });
    const chunks: Buffer[] = [];
    for await (const c of zip.stream) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    if (this.bytes + body.length > this.maxBytes) return body; // built, so serve it, but do not keep it
    this.answers.set(key, body);
    this.bytes += body.length;
    return body;
  }
}

function keyOf(series: CatalogSeries, a: ZipAnswer): string {
  return `${series.seriesUid}|${a.license ? 1 : 0}${a.newFileNames ? 1 : 0}${a.includeMd5 ? 1 : 0}`;
}
