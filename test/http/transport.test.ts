import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient, METADATA_LIMITS } from '../../src/http/index.ts';

/**
 * What HttpClient's transport (undici) must keep from the axios it replaced: HTTP_PROXY / NO_PROXY,
 * redirects, decoded gzip bodies. Loopback servers only; the proxy forwards to the loopback origin.
 */
const LIMITS = METADATA_LIMITS;
const closers: Array<() => void> = [];
const savedEnv = { ...process.env };

afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const k of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) {
    if (savedEnv[k] === undefined) delete process.env[k];
    else process.env[k] = savedEnv[k];
  }
});

async function listen(server: http.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    server.closeAllConnections();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** An origin that answers each path; `hosts` records the Host header of every request. */
async function origin(hosts: string[] = []): Promise<number> {
  return listen(
    http.createServer((req, res) => {
      hosts.push(String(req.headers.host));
      if (req.url === '/a/moved') return void res.writeHead(302, { Location: '/b/here' }).end();
      if (req.url === '/b/here') return void res.end('redirected');
      if (req.url === '/gz') return void res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(zlib.gzipSync('inflated text'));
      res.end(`origin ${req.url}`);
    }),
  );
}

/**
 * A forward proxy as Squid is set up by default: plain requests in absolute form are forwarded (here
 * to `target` on loopback), CONNECT is refused for every port but 443. Records what was asked.
 */
async function proxy(target: number, asked: string[]): Promise<number> {
  const server = http.createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    const url = new URL(req.url ?? '/');
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: url.pathname + url.search, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end('upstream failed'));
    req.pipe(up);
  });
  server.on('connect', (req: http.IncomingMessage, client: net.Socket) => {
    asked.push(`CONNECT ${req.url}`);
    client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
  });
  return listen(server);
}

describe('HttpClient transport', () => {
  it('sends http:// requests through HTTP_PROXY as plain proxied requests (no CONNECT, which Squid refuses but for 443), and straight to hosts that NO_PROXY names', async () => {
    const hosts: string[] = [];
    const asked: string[] = [];
    const port = await origin(hosts);
    process.env.HTTP_PROXY = `http://127.0.0.1:${await proxy(port, asked)}`;
    process.env.NO_PROXY = '127.0.0.1';

    const far = new HttpClient({ baseUrl: 'http://archive.invalid:8080/api' });
    const near = new HttpClient({ baseUrl: `http://127.0.0.1:${port}/api` });
    try {
      expect(await far.text({ path: 'x', params: { q: '1' }, limits: LIMITS })).toBe('origin /api/x?q=1');
      expect(asked).toEqual(['GET http://archive.invalid:8080/api/x?q=1']);
      expect(hosts).toEqual(['archive.invalid:8080']);
      expect(await near.text({ path: 'y', limits: LIMITS })).toBe('origin /api/y');
      expect(asked).toHaveLength(1); // NO_PROXY: the proxy saw nothing more
    } finally {
      far.close();
      near.close();
    }
  });

  it('follows a redirect and decodes a gzip body', async () => {
    const port = await origin();
    const client = new HttpClient({ baseUrl: `http://127.0.0.1:${port}` });
    try {
      expect(await client.text({ path: 'a/moved', limits: LIMITS })).toBe('redirected');
      expect(await client.text({ path: 'gz', limits: LIMITS })).toBe('inflated text');
    } finally {
      client.close();
    }
  });

  it('a consumer that fails before reading the body (e.g. its file cannot be opened) gets its own error, and nothing is left uncaught', async () => {
    const port = await listen(http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Length': '1000000' });
      res.write(Buffer.alloc(1000)); // the rest never comes: the body is still open when the consumer gives up
    }));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown) => uncaught.push(err);
    process.on('uncaughtException', onUncaught);
    const client = new HttpClient({ baseUrl: `http://127.0.0.1:${port}`, retry: { maxAttempts: 1 } });
    try {
      await expect(client.request({ path: 'big', limits: LIMITS }, async () => {
        await new Promise((r) => setTimeout(r, 20));
        throw new Error('EROFS: read-only file system');
      })).rejects.toThrow('EROFS');
      await new Promise((r) => setTimeout(r, 50));
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      client.close();
    }
  });
});
