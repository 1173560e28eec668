import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';

/**
 * One HTTP exchange on Node's own client (no axios: at ~1,000 small object GETs a second its
 * per-request work was the client's largest CPU cost after the file writes): follows up to 5
 * redirects and inflates gzip/deflate/br bodies. No limits here — the caller (client.ts) watches
 * every attempt with a LimitGuard and aborts through `signal`.
 */

export interface Exchange {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The body, inflated when the server encoded it. */
  body: Readable;
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  data?: string;
  agents: { http: http.Agent; https: https.Agent };
  signal: AbortSignal;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

export async function send(url: string, o: SendOptions): Promise<Exchange> {
  let target = new URL(url);
  let method = o.method;
  let data = o.data;
  for (let hop = 0; ; hop++) {
    const res = await once(target, method, data, o);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location || hop >= MAX_REDIRECTS) return { status: res.statusCode ?? 0, headers: res.headers, body: decoded(res) };
    res.resume();
    target = new URL(location, target);
    // As browsers and follow-redirects do: 303 (and 301/302 after a POST) repeat as a GET without the body.
    if (res.statusCode === 303 || (method === 'POST' && (res.statusCode === 301 || res.statusCode === 302))) {
      method = 'GET';
      data = undefined;
    }
  }
}

function once(target: URL, method: string, data: string | undefined, o: SendOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const secure = target.protocol === 'https:';
    const headers = { ...o.headers, ...(data !== undefined ? { 'Content-Length': String(Buffer.byteLength(data)) } : {}) };
    const req = (secure ? https : http).request(target, { method, headers, agent: secure ? o.agents.https : o.agents.http, signal: o.signal }, resolve);
    req.on('error', reject);
    req.end(data);
  });
}

/** The body as sent, or through the matching inflater; an error on either side destroys both. */
function decoded(res: http.IncomingMessage): Readable {
  const enc = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const inflate =
    enc === 'gzip' || enc === 'x-gzip' ? zlib.createGunzip({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    : enc === 'deflate' ? zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH })
    : enc === 'br' ? zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH })
    : undefined;
  if (!inflate || res.statusCode === 204 || res.headers['content-length'] === '0') return res;
  return pipeline(res, inflate, () => undefined);
}
