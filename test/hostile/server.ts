import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A small hostile HTTP server on 127.0.0.1, port 0: each test decides per request what to answer
 * (slow-loris, endless or oversized bodies, bombs). `close()` ends every connection and trickle.
 */
export interface HostileServer {
  url: string;
  /** Requests seen, by path (last segment). */
  hits: Map<string, number>;
  close(): Promise<void>;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse, endpoint: string, url: URL) => void;

const timers = new Set<NodeJS.Timeout>();

export async function startHostile(handler: Handler, basePath = '/nbia-api/services/v4'): Promise<HostileServer> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = url.pathname.split('/').pop() ?? '';
    hits.set(endpoint, (hits.get(endpoint) ?? 0) + 1);
    req.resume();
    handler(req, res, endpoint, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    hits,
    close: async () => {
      for (const t of timers) clearInterval(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Sends `body` `bytesPerTick` bytes every `tickMs` (forever when `repeat`). */
export function trickle(res: http.ServerResponse, body: Buffer, options: { bytesPerTick?: number; tickMs?: number; repeat?: boolean; headers?: http.OutgoingHttpHeaders } = {}): void {
  const step = options.bytesPerTick ?? 1;
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', ...options.headers });
  let at = 0;
  const t = setInterval(() => {
    if (res.destroyed) return void (clearInterval(t), timers.delete(t));
    if (at >= body.length) {
      if (!options.repeat) {
        clearInterval(t);
        timers.delete(t);
        res.end();
        return;
      }
      at = 0;
    }
    res.write(body.subarray(at, at + step));
    at += step;
  }, options.tickMs ?? 20);
  timers.add(t);
}

export function sendBody(res: http.ServerResponse, body: Buffer | string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(200, { 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}
