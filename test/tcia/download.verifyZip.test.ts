import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { verifySeriesZip, unsafeZipName, parseMd5List } from '../../src/tcia/verifyZip.ts';
import { DataError } from '../../src/core/errors.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verifyzip-'));
const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

/** A getImage-style ZIP: LICENSE, images, md5hashes.csv. */
async function makeZip(name: string, images: Array<[string, Buffer]>, opts: { md5?: Array<[string, string]> | false; extra?: Array<[string, Buffer]> } = {}): Promise<string> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('License Information.'), 'LICENSE');
  for (const [n, b] of images) zip.addBuffer(b, n);
  for (const [n, b] of opts.extra ?? []) zip.addBuffer(b, n);
  if (opts.md5 !== false) {
    const rows = opts.md5 ?? images.map(([n, b]) => [n, md5(b)] as [string, string]);
    zip.addBuffer(Buffer.from('Filename,MD5Hash\n' + rows.map((r) => r.join(',')).join('\n') + '\n'), 'md5hashes.csv');
  }
  zip.end();
  const file = path.join(dir, name);
  await new Promise<void>((res, rej) => zip.outputStream.pipe(fs.createWriteStream(file)).on('close', res).on('error', rej));
  return file;
}

const imgs: Array<[string, Buffer]> = [
  ['1-1.dcm', crypto.randomBytes(3000)],
  ['1-2.dcm', Buffer.alloc(5000, 7)],
];

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return (err as DataError).code;
  }
}

describe('verifySeriesZip', () => {
  it('accepts a complete ZIP and reports entries, sizes and MD5s', async () => {
    const f = await makeZip('ok.zip', imgs);
    const v = await verifySeriesZip(f, 2);
    expect(v.md5Verified).toBe(true);
    expect(v.hasLicense).toBe(true);
    expect(v.entries).toEqual(imgs.map(([n, b]) => ({ name: n, size: b.length, md5: md5(b) })));
    // The sidecar's zipSha256 comes from here (the verifying thread), not from the download stream.
    expect(v.zipSha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex'));
  });

  it('accepts a ZIP without md5hashes.csv but says it was not MD5-verified', async () => {
    const v = await verifySeriesZip(await makeZip('nomd5.zip', imgs, { md5: false }), 2);
    expect(v.md5Verified).toBe(false);
  });

  it('rejects a short ZIP, a wrong MD5, and a truncated file', async () => {
    expect(await codeOf(verifySeriesZip(await makeZip('short.zip', imgs.slice(0, 1), { md5: [[imgs[0]![0], md5(imgs[0]![1])]] }), 2))).toBe('IMAGE_COUNT_MISMATCH');
    const bad: Array<[string, string]> = [[imgs[0]![0], md5(imgs[0]![1])], [imgs[1]![0], '0'.repeat(32)]];
    expect(await codeOf(verifySeriesZip(await makeZip('badmd5.zip', imgs, { md5: bad }), 2))).toBe('MD5_MISMATCH');
    const whole = fs.readFileSync(await makeZip('cut.zip', imgs));
    const cut = path.join(dir, 'cut-half.zip');
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    expect(await codeOf(verifySeriesZip(cut, 2))).toBe('ZIP_TRUNCATED');
    fs.writeFileSync(cut, Buffer.alloc(0));
    expect(await codeOf(verifySeriesZip(cut, 2))).toBe('ZIP_TRUNCATED');
  });

  it('rejects zip-slip names (yazl refuses to write them, so they are patched into the bytes) without extracting', async () => {
    const before = fs.readdirSync(dir).length;
    for (const evil of ['../x.dcm', '1/../../x.dcm', '/tmp/x.dcm', 'C:/x.dcm', 'a\\b.dcm']) {
      const safe = 'z'.repeat(evil.length);
      const buf = fs.readFileSync(await makeZip(`patch-${Buffer.from(evil).toString('hex')}.zip`, imgs, { extra: [[safe, Buffer.from('y')]] }));
      // Replace every occurrence (local header and central directory) of the placeholder name.
      let at = buf.indexOf(safe);
      while (at >= 0) {
        buf.write(evil, at, 'latin1');
        at = buf.indexOf(safe, at + 1);
      }
      const f = path.join(dir, `patched-${Buffer.from(evil).toString('hex')}.zip`);
      fs.writeFileSync(f, buf);
      expect(await codeOf(verifySeriesZip(f, 3))).toBe('ZIP_UNSAFE_NAME');
    }
    // verification extracts nothing: only the ZIPs this test wrote are there
    expect(fs.readdirSync(dir).every((n) => n.endsWith('.zip'))).toBe(true);
    expect(fs.readdirSync(dir).length).toBe(before + 10);
  });

  it('names and md5 lists', () => {
    expect(unsafeZipName('1-001.dcm')).toBeUndefined();
    expect(unsafeZipName('sub/1-001.dcm')).toBeUndefined();
    expect(unsafeZipName('..')).toMatch(/\.\./);
    expect(unsafeZipName('C:evil')).toMatch(/absolute/);
    expect([...parseMd5List('Filename,MD5Hash\r\n1-1.dcm,ABCDEF0123456789ABCDEF0123456789\r\n').entries()]).toEqual([
      ['1-1.dcm', 'abcdef0123456789abcdef0123456789'],
    ]);
  });
});
