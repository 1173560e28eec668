import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpStatusError } from '../../src/http/index.ts';
import { ObjectStore, readIdcIndex } from '../../src/idc/index.ts';
import { startS3StandIn, type S3StandIn } from '../../src/standins/s3/index.ts';
import { removeTempDirs, tempDir, tinyCollections } from '../tcia/fetchFixture.ts';
import path from 'node:path';

let s3: S3StandIn;
let store: ObjectStore;

beforeAll(async () => {
  s3 = await startS3StandIn({ dataDir: await tinyCollections(), pageSize: 2, multipartEvery: 3, seed: 1 });
  store = new ObjectStore({ endpoint: s3.url, retry: { maxAttempts: 1 } });
});
afterAll(async () => {
  store?.close();
  await s3?.close();
  removeTempDirs();
});

describe('S3 stand-in', () => {
  it('serves the index and lists every series by pages, each listing matching instanceCount', async () => {
    const file = path.join(tempDir('s3idx'), 'idc_index.parquet');
    await store.downloadUrl(s3.indexUrl, file);
    const idx = await readIdcIndex(file);
    expect(idx.series.length).toBeGreaterThan(5);
    for (const r of idx.series) {
      const objects = await store.list(r.aws_bucket, `${r.crdc_series_uuid}/`);
      expect(objects.length).toBe(r.instanceCount);
      expect(objects.every((o) => o.key.startsWith(`${r.crdc_series_uuid}/`) && o.key.endsWith('.dcm'))).toBe(true);
      expect([...objects.map((o) => o.key)].sort()).toEqual(objects.map((o) => o.key));
    }
    const res = await fetch(`${s3.url}/${s3.bucket}?list-type=2&max-keys=1&prefix=`);
    const xml = await res.text();
    expect(xml).toMatch(/<IsTruncated>true<\/IsTruncated>/);
    expect(xml).toMatch(/<NextContinuationToken>/);
  });

  it('answers ranges, HEAD and S3 XML errors', async () => {
    const [first] = await store.list(s3.bucket, '');
    const url = `${s3.url}/${s3.bucket}/${first!.key}`;
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(whole.length).toBe(first!.size);
    if (/^[0-9a-f]{32}$/.test(first!.etag)) expect(crypto.createHash('md5').update(whole).digest('hex')).toBe(first!.etag);
    const part = await fetch(url, { headers: { Range: 'bytes=128-255' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 128-255/${first!.size}`);
    expect(Buffer.from(await part.arrayBuffer())).toEqual(whole.subarray(128, 256));
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(first!.size));
    const missing = await fetch(`${s3.url}/${s3.bucket}/nope/x.dcm`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toMatch(/<Code>NoSuchKey<\/Code>/);
    const bucket = await fetch(`${s3.url}/no-such-bucket?list-type=2`);
    expect(bucket.status).toBe(404);
    expect(await bucket.text()).toMatch(/NoSuchBucket/);
    expect((await fetch(url, { headers: { Range: 'bytes=99999999-' } })).status).toBe(416);
    await expect(store.list('no-such-bucket', '')).rejects.toBeInstanceOf(HttpStatusError);
    await expect(store.list('no-such-bucket', '')).rejects.toThrow(/NoSuchBucket/);
  });

  it('injects SlowDown as a 503 S3 error that the client retries', async () => {
    s3.setFaults({ faultRate: 1, faults: ['slowdown'] });
    try {
      const res = await fetch(`${s3.url}/${s3.bucket}?list-type=2`);
      expect(res.status).toBe(503);
      expect(await res.text()).toMatch(/<Code>SlowDown<\/Code>/);
      const err = await store.list(s3.bucket, '').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpStatusError);
      expect((err as HttpStatusError).status).toBe(503);
    } finally {
      s3.setFaults({ faultRate: 0 });
    }
  });

  it('has multipart ETags on some objects and plain MD5s on the rest', async () => {
    const all = await store.list(s3.bucket, '');
    expect(all.some((o) => /-2$/.test(o.etag))).toBe(true);
    expect(all.some((o) => /^[0-9a-f]{32}$/.test(o.etag))).toBe(true);
  });
});
