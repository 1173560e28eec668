import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSeriesZip } from '../../src/preprocess/zipSource.ts';
import { zipBytes } from './preprocessFixtures.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zipsource-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('openSeriesZip', () => {
  const a = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251);
  const b = Uint8Array.from({ length: 5000 }, (_, i) => i & 255);
  for (const compress of [true, false]) {
    it(`reads ${compress ? 'deflated' : 'stored'} entries whole and by prefix, without LICENSE and md5hashes.csv`, async () => {
      const file = path.join(tmp, `s-${compress}.zip`);
      fs.writeFileSync(file, await zipBytes([
        { name: 'LICENSE', bytes: Buffer.from('x') },
        { name: '1-1.dcm', bytes: a },
        { name: 'sub/1-2.dcm', bytes: b },
        { name: 'md5hashes.csv', bytes: Buffer.from('Filename,MD5Hash\n') },
      ], compress));
      const z = await openSeriesZip(file);
      try {
        expect(z.files.map((f) => [f.name, f.size])).toEqual([['1-1.dcm', a.length], ['sub/1-2.dcm', b.length]]);
        expect(Buffer.compare(Buffer.from(await z.files[0]!.read()), Buffer.from(a))).toBe(0);
        const prefix = await z.files[0]!.readPrefix(70_000);
        expect(prefix.length).toBeGreaterThanOrEqual(70_000);
        expect(Buffer.compare(Buffer.from(prefix.subarray(0, 70_000)), Buffer.from(a.subarray(0, 70_000)))).toBe(0);
        expect((await z.files[1]!.readPrefix(70_000)).length).toBe(b.length);
      } finally {
        z.close();
      }
    });
  }

  it('a damaged entry fails alone with ZIP_ENTRY_UNREADABLE', async () => {
    const file = path.join(tmp, 'bad.zip');
    const bytes = await zipBytes([{ name: 'a.dcm', bytes: a }, { name: 'b.dcm', bytes: b }], true);
    // Overwrite the middle of a.dcm's deflate stream.
    bytes.fill(0xff, 200, 400);
    fs.writeFileSync(file, bytes);
    const z = await openSeriesZip(file);
    await expect(z.files[0]!.read()).rejects.toMatchObject({ code: 'ZIP_ENTRY_UNREADABLE' });
    expect((await z.files[1]!.read()).length).toBe(b.length);
    z.close();
  });
});
