import { DataError } from '../core/errors.ts';

/**
 * The two XML documents an anonymous S3 client reads: a ListObjectsV2 page and an error. Fixed,
 * flat shapes with five fields we need, so a few regular expressions plus entity decoding do it
 * (an XML library would add a dependency for no gain here).
 */

export interface ListedObject {
  key: string;
  size: number;
  /** Without quotes, lower case: 32 hex for a single-part upload, `<hex>-<parts>` for multipart. */
  etag: string;
}

export interface ListPage {
  objects: ListedObject[];
  isTruncated: boolean;
  nextContinuationToken: string | undefined;
  keyCount: number | undefined;
}

export function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) => {
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'amp') return '&';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
  });
}

function field(block: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(block);
  return m ? decodeXml(m[1]!) : undefined;
}

export function parseListPage(xml: string, url: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) {
    throw new DataError('S3_UNEXPECTED', `expected a ListBucketResult from ${url}, got ${xml.slice(0, 120).replace(/\s+/g, ' ')}`, {
      hint: 'the endpoint is not an S3-compatible object store (use `endpoint` aws, gcs or an S3 URL)',
      details: { url },
    });
  }
  const objects: ListedObject[] = [];
  for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const block = m[1]!;
    const key = field(block, 'Key');
    const size = Number(field(block, 'Size'));
    const etag = (field(block, 'ETag') ?? '').replace(/"/g, '').trim().toLowerCase();
    if (key === undefined || !Number.isSafeInteger(size) || size < 0) {
      throw new DataError('BODY_TRUNCATED', `a Contents entry without Key or Size in the listing from ${url}`, { details: { url } });
    }
    objects.push({ key, size, etag });
  }
  const kc = field(xml, 'KeyCount');
  return {
    objects,
    isTruncated: field(xml, 'IsTruncated') === 'true',
    nextContinuationToken: field(xml, 'NextContinuationToken'),
    keyCount: kc === undefined ? undefined : Number(kc),
  };
}

/** `<Error><Code>SlowDown</Code><Message>…</Message></Error>` → "SlowDown: …" (or the raw snippet). */
export function s3ErrorText(body: string): string {
  const code = field(body, 'Code');
  const message = field(body, 'Message');
  return code ? `${code}${message ? `: ${message}` : ''}` : body;
}

/** Whether an ETag is the object's MD5 (single-part upload), not a multipart `-N` one. */
export function isPlainMd5(etag: string): boolean {
  return /^[0-9a-f]{32}$/.test(etag);
}
