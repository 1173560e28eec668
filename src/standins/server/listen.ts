/**
 * The stand-ins' HTTP server: a request handler whose failures become a 500 (or a dropped
 * connection once headers are out), listening on host:port (0 = a free port), closed with every
 * open connection so a test never waits for keep-alive sockets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Listening {
  port: number;
  /** `http://host:port` with the host usable in a URL (0.0.0.0 → 127.0.0.1, IPv6 in brackets). */
  origin: string;
  close(): Promise<void>;
}

export async function listen(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<unknown>,
  o: { host?: string; port?: number; onError: (req: http.IncomingMessage, res: http.ServerResponse, err: unknown) => void },
): Promise<Listening> {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => o.onError(req, res, err));
  });
  server.keepAliveTimeout = 30_000;
  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    origin: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
