import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { isEtlError } from '../../src/core/errors.ts';
import { HttpClient, METADATA_LIMITS, readJsonRows, type RequestLimits } from '../../src/http/index.ts';
import { TciaClient } from '../../src/tcia/client.ts';
import { ENDPOINT_PARAMS, type Endpoint } from '../../src/tcia/endpoints.ts';
import { sendBody, startHostile, trickle, type HostileServer } from './server.ts';

/**
 * Limits of every request against a hostile server: nothing here asserts a duration; each test
 * asserts which limit stopped the request and how often it was tried.
 */
const FAST_RETRY = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };
/** 200 B/s over 200 ms windows: a 1-byte-per-50-ms trickle (20 B/s) breaks it in the first window. */
const TIGHT: RequestLimits = { deadlineMs: 60_000, idleMs: 10_000, minBytesPerSec: 200, windowMs: 200, maxBytes: 1 << 20 };

let server: HostileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function codeOf(err: unknown): string {
  return isEtlError(err) ? err.code : `not an EtlError: ${String(err)}`;
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(() => expect.fail('the request succeeded'), (err: unknown) => err);
}

/** One call of each TCIA endpoint with valid parameters. */
function callEndpoint(c: TciaClient, e: Endpoint, dest: string): Promise<unknown> {
  switch (e) {
    case 'getImage':
      return c.downloadSeries('1.2.3', dest);
    case 'getManifestText':
      return c.getManifestText(['1.2.3']);
    case 'getUpdatedSeries':
      return c.getUpdatedSeries(new Date('2024-01-01'));
    case 'NewPatientsInCollection':
      return c.newPatientsInCollection('X', new Date('2024-01-01'));
    default:
      return c.getRows(e, e === 'getSeries' ? { Collection: 'X' } : {});
  }
}

describe('slow-loris on every endpoint', () => {
  for (const endpoint of Object.keys(ENDPOINT_PARAMS) as Endpoint[]) {
    it(`${endpoint}: a body at 1 byte per 50 ms is abandoned by the throughput rule, retried, then refused`, async () => {
      server = await startHostile((_req, res) => trickle(res, Buffer.from('[{"Collection":"X","SeriesInstanceUID":"1.2.3"}]'), { tickMs: 50 }));
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-hostile-'));
      const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY, metadataLimits: TIGHT, downloadLimits: TIGHT });
      try {
        const err = await failure(callEndpoint(client, endpoint, path.join(dir, 's.zip')));
        expect(codeOf(err)).toBe('RESPONSE_TOO_SLOW');
        expect(server.hits.get(endpoint)).toBe(2);
        expect(fs.readdirSync(dir)).toEqual([]); // a download leaves no temp file behind
      } finally {
        client.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('overall deadline, idle timeout', () => {
  it('a body that keeps coming fast enough but never ends hits the overall deadline', async () => {
    server = await startHostile((_req, res) => trickle(res, Buffer.alloc(64, 0x20), { tickMs: 5, bytesPerTick: 64, repeat: true }));
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY, metadataLimits: { ...TIGHT, deadlineMs: 600, maxBytes: 1 << 30 } });
    try {
      expect(codeOf(await failure(client.getSeries({ Collection: 'X' })))).toBe('RESPONSE_DEADLINE');
      expect(server.hits.get('getSeries')).toBe(2);
    } finally {
      client.close();
    }
  });

  it('a server that accepts the connection and never answers hits the idle timeout', async () => {
    server = await startHostile(() => undefined);
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY, metadataLimits: { ...TIGHT, idleMs: 300 } });
    try {
      expect(codeOf(await failure(client.getCollectionValues()))).toBe('RESPONSE_IDLE');
    } finally {
      client.close();
    }
  });
});

describe('response-size limits', () => {
  it('a JSON body over the limit is refused (not retried), with or without Content-Length', async () => {
    for (const chunked of [false, true]) {
      const rows = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ Collection: 'X', SeriesInstanceUID: `1.2.${i}` })));
      server = await startHostile((_req, res) => (chunked ? trickle(res, Buffer.from(rows), { bytesPerTick: 4096, tickMs: 1 }) : sendBody(res, rows)));
      const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY, metadataLimits: { ...METADATA_LIMITS, maxBytes: 10_000 } });
      try {
        expect(codeOf(await failure(client.getSeries({ Collection: 'X' })))).toBe('RESPONSE_TOO_LARGE');
        expect(server.hits.get('getSeries')).toBe(1);
      } finally {
        client.close();
        await server.close();
        server = undefined;
      }
    }
  });

  it('a gzip-encoded body is limited by what it inflates to', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(64 << 20, 0x20));
    server = await startHostile((_req, res) => sendBody(res, bomb, { 'Content-Encoding': 'gzip' }));
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY, metadataLimits: { ...METADATA_LIMITS, maxBytes: 1 << 20 } });
    try {
      expect(bomb.length).toBeLessThan(1 << 20);
      expect(codeOf(await failure(client.getSeries({ Collection: 'X' })))).toBe('RESPONSE_TOO_LARGE');
    } finally {
      client.close();
    }
  });

  it('a download larger than the series can be is refused and leaves nothing on disk', async () => {
    server = await startHostile((_req, res) => sendBody(res, Buffer.alloc(200_000, 7)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-hostile-'));
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY });
    try {
      expect(codeOf(await failure(client.downloadSeries('1.2.3', path.join(dir, 's.zip'), { maxBytes: 13_000 })))).toBe('RESPONSE_TOO_LARGE');
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      client.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('JSON lists are parsed as they stream', () => {
  it('rows arrive whole across arbitrary chunk boundaries; an empty body is no rows; a lone object is one row', async () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ Collection: 'X', SeriesInstanceUID: `1.2.${i}`, ImageCount: i }));
    const bodies = new Map([['getSeries', JSON.stringify(rows)], ['getPatient', ''], ['getSeriesSize', '{"TotalSizeInBytes":"12","ObjectCount":1}']]);
    server = await startHostile((_req, res, endpoint) => trickle(res, Buffer.from(bodies.get(endpoint) ?? ''), { bytesPerTick: 777, tickMs: 1 }));
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY });
    try {
      expect(await client.getSeries({ Collection: 'X' })).toEqual(rows);
      expect(await client.getPatient({ Collection: 'X' })).toEqual([]);
      expect(await client.getSeriesSize('1.2.3')).toEqual({ TotalSizeInBytes: '12', ObjectCount: 1 });
    } finally {
      client.close();
    }
  });

  it('a body cut off mid-row is BODY_TRUNCATED, retried', async () => {
    server = await startHostile((_req, res) => sendBody(res, '[{"Collection":"X"},{"Colle'));
    const client = new TciaClient({ apiUrl: server.url, retry: FAST_RETRY });
    try {
      expect(codeOf(await failure(client.getSeries({ Collection: 'X' })))).toBe('BODY_TRUNCATED');
      expect(server.hits.get('getSeries')).toBe(2);
    } finally {
      client.close();
    }
  });

  it('readJsonRows through the generic client', async () => {
    server = await startHostile((_req, res) => sendBody(res, '[{"a":1},{"b":2}]'), '/api');
    const http = new HttpClient({ baseUrl: server.url });
    try {
      expect(await http.request({ path: 'x', limits: METADATA_LIMITS }, (res) => readJsonRows(res))).toEqual([{ a: 1 }, { b: 2 }]);
    } finally {
      http.close();
    }
  });
});

describe('connection failures', () => {
  it('a refused connection is NETWORK with a hint to check the address, not "rerun to resume"', async () => {
    server = await startHostile(() => undefined);
    const url = server.url;
    await server.close();
    server = undefined;
    const client = new TciaClient({ apiUrl: url, retry: FAST_RETRY });
    try {
      const err = await failure(client.getCollectionValues());
      expect(codeOf(err)).toBe('NETWORK');
      expect(isEtlError(err) && err.hint).toMatch(/check the server address/);
    } finally {
      client.close();
    }
  });
});
