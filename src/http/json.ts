import { JSONParser } from '@streamparser/json';
import { DataError } from '../core/errors.ts';
import type { OpenResponse } from './client.ts';

/**
 * A JSON list body parsed as it streams (@streamparser/json): rows are kept as objects, never the
 * whole text and its parse tree at once. An empty body is no rows; a lone object is one row;
 * a body cut off mid-value is BODY_TRUNCATED (a transit failure, retried).
 */
export async function readJsonRows<T>(res: OpenResponse): Promise<T[]> {
  const rows: T[] = [];
  let parser: JSONParser | undefined;
  let single = false;
  try {
    for await (const chunk of res.body) {
      if (!parser) {
        const first = firstNonSpace(chunk);
        if (first < 0) continue;
        single = chunk[first] !== 0x5b; // '['
        parser = new JSONParser({ paths: single ? ['$'] : ['$.*'], keepStack: false });
        parser.onValue = ({ value }) => {
          if (value !== null && typeof value === 'object' && !Array.isArray(value)) rows.push(value as T);
          else if (single) throw new DataError('RESPONSE_UNEXPECTED', `expected a JSON array from ${res.url}, got ${typeof value}`, { details: { url: res.url } });
        };
      }
      parser.write(chunk);
    }
    if (parser && !parser.isEnded) parser.end();
  } catch (err) {
    if (err instanceof DataError) throw err;
    throw new DataError('BODY_TRUNCATED', `unparseable JSON from ${res.url}: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { url: res.url } });
  }
  return rows;
}

function firstNonSpace(buf: Buffer): number {
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i]!;
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
  }
  return -1;
}
