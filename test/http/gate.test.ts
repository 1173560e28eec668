import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pLimit from 'p-limit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, METADATA_LIMITS, gateOf } from '../../src/http/index.ts';

describe('gateOf', () => {
  it('lets `concurrency` in, the next one only when one leaves; leaving twice frees one slot', async () => {
    const gate = gateOf(pLimit(2));
    const a = await gate();
    const b = await gate();
    let third = false;
    const c = gate().then((leave) => ((third = true), leave));
    await new Promise((r) => setTimeout(r, 20));
    expect(third).toBe(false);
    a();
    a();
    const leaveC = await c;
    expect(third).toBe(true);
    let fourth = false;
    const d = gate().then((leave) => ((fourth = true), leave));
    await new Promise((r) => setTimeout(r, 20));
    expect(fourth).toBe(false); // a's second leave did not open a slot
    b();
    (await d)();
    leaveC();
  });
});

describe('HttpClient with a gate', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (req.url?.startsWith('/fail')) return void res.writeHead(404).end('no');
      res.end('body of ' + req.url);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('frees the slot once the body is read, while the consumer still works; and after a failed attempt', async () => {
    const client = new HttpClient({ baseUrl: base, retry: { maxAttempts: 1 } });
    const gate = gateOf(pLimit(1));
    try {
      let finishFirst!: () => void;
      const slow = new Promise<void>((r) => (finishFirst = r));
      const first = client.request({ path: 'a', limits: METADATA_LIMITS, gate }, async (res) => {
        let text = '';
        for await (const c of res.body) text += c.toString();
        res.release();
        await slow; // e.g. verifying what arrived
        return text;
      });
      // With one slot, this request only runs because the first left the gate before finishing.
      const second = await client.text({ path: 'b', limits: METADATA_LIMITS, gate });
      expect(second).toBe('body of /b');
      finishFirst();
      expect(await first).toBe('body of /a');
      await expect(client.text({ path: 'fail', limits: METADATA_LIMITS, gate })).rejects.toThrow();
      expect(await client.text({ path: 'c', limits: METADATA_LIMITS, gate })).toBe('body of /c');
    } finally {
      client.close();
    }
  });
});
