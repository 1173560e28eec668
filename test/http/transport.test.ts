import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { isEtlError } from '../../src/core/errors.ts';
import { HttpClient, METADATA_LIMITS } from '../../src/http/index.ts';
import { sendBody, startHostile, type HostileServer } from '../hostile/server.ts';

/** What the shared client does on Node's own HTTP stack: redirects, inflated bodies, POST bodies. */
const FAST_RETRY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };
const TEXT = 'the same text, whichever way it travels '.repeat(50);

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('HttpClient transport', () => {
  it('follows redirects (a 303 after a POST becomes a GET) and gives up after 5 hops', async () => {
    const seen: string[] = [];
    server = await startHostile((req, res, endpoint) => {
      seen.push(`${req.method} ${endpoint}`);
      if (endpoint === 'form') return void res.writeHead(303, { Location: 'final' }).end();
      if (endpoint.startsWith('loop')) return void res.writeHead(302, { Location: `loop${Number(endpoint.slice(4)) + 1}` }).end();
      sendBody(res, Buffer.from(TEXT));
    }, '/base');
    const client = new HttpClient({ baseUrl: server.url, retry: FAST_RETRY });
    try {
      expect(await client.text({ path: 'form', method: 'POST', data: 'a=1', limits: METADATA_LIMITS })).toBe(TEXT);
      expect(seen).toEqual(['POST form', 'GET final']);
      const err = await client.text({ path: 'loop0', limits: METADATA_LIMITS }).catch((e: unknown) => e);
      expect(isEtlError(err) && err.code).toBe('HTTP_302');
      expect(seen.filter((s) => s.startsWith('GET loop'))).toHaveLength(6);
    } finally {
      client.close();
    }
  });

  it('inflates gzip, deflate and br bodies; a corrupt gzip body is BODY_TRUNCATED', async () => {
    const bodies: Record<string, [string, Buffer]> = {
      gzip: ['gzip', zlib.gzipSync(TEXT)],
      deflate: ['deflate', zlib.deflateSync(TEXT)],
      br: ['br', zlib.brotliCompressSync(TEXT)],
      bad: ['gzip', Buffer.concat([zlib.gzipSync(TEXT).subarray(0, 20), Buffer.alloc(40, 7)])],
    };
    server = await startHostile((_req, res, endpoint) => sendBody(res, bodies[endpoint]![1], { 'Content-Encoding': bodies[endpoint]![0] }), '/base');
    const client = new HttpClient({ baseUrl: server.url, retry: FAST_RETRY });
    try {
      for (const e of ['gzip', 'deflate', 'br']) expect(await client.text({ path: e, limits: METADATA_LIMITS })).toBe(TEXT);
      const err = await client.text({ path: 'bad', limits: METADATA_LIMITS }).catch((e: unknown) => e);
      expect(isEtlError(err) && err.code).toBe('BODY_TRUNCATED');
    } finally {
      client.close();
    }
  });
});
