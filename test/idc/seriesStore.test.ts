import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createDigestPool } from '../../src/idc/digestPool.ts';
import { SeriesStore } from '../../src/idc/seriesStore.ts';
import { verifySeriesZip } from '../../src/tcia/verifyZip.ts';
import { removeTempDirs, tempDir } from '../tcia/fetchFixture.ts';
import { zipEntries } from './zipEntries.ts';

/** Digests on worker threads (what a fetch uses) and on this thread (0 threads): the same bytes either way. */
const workers = createDigestPool(2);
const inline = createDigestPool(0);
afterAll(async () => {
  await workers.close();
  removeTempDirs();
});

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');

/** Objects of different sizes (one empty, one over a write batch) with a seeded pattern. */
function objects(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const sizes = [700_000, 0, 3, (1 << 20) + 4097, 12_345];
  sizes.forEach((n, i) => {
    const b = Buffer.alloc(n);
    for (let k = 0; k < n; k++) b[k] = (k * 31 + i * 7) & 0xff;
    out.set(`${String.fromCharCode(101 - i)}${i}.dcm`, b);
  });
  return out;
}

/** Writes `names` into the store in pieces (as a response body arrives), then accepts each. */
async function put(store: SeriesStore, objs: Map<string, Buffer>, names: string[]): Promise<void> {
  await Promise.all(
    names.map(async (name) => {
      const b = objs.get(name)!;
      const sink = store.sink(name);
      for (let off = 0; off < b.length; off += 65_536) await sink.write(b.subarray(off, off + 65_536));
      const got = await sink.close();
      expect(got).toEqual({ md5: md5(b), crc32: zlib.crc32(b) });
      await store.accept(name, got);
    }),
  );
}

describe('IDC series store (objects written into their ZIP slots as they arrive)', () => {
  it('filled out of order, it is a STORED ZIP of the objects by name plus md5hashes.csv, CRCs and MD5s valid', async () => {
    const dir = tempDir('idc-store');
    const objs = objects();
    const members = [...objs].map(([name, b]) => ({ name, size: b.length }));
    const store = await SeriesStore.open(path.join(dir, '.s.parts'), members, workers);
    await put(store, objs, [...objs.keys()].reverse());
    const dest = path.join(dir, 's.zip');
    const r = await store.finish(dest);
    await store.close();
    expect(fs.statSync(dest).size).toBe(r.bytes);
    expect(r.sha256).toBe(crypto.createHash('sha256').update(fs.readFileSync(dest)).digest('hex'));
    const got = await zipEntries(dest, { storedOnly: true });
    const names = [...objs.keys()].sort();
    expect([...got.keys()]).toEqual([...names, 'md5hashes.csv']);
    for (const n of names) expect(got.get(n)!.equals(objs.get(n)!)).toBe(true);
    expect(got.get('md5hashes.csv')!.toString()).toBe(['Filename,MD5Hash', ...names.map((n) => `${n},${md5(objs.get(n)!)}`)].join('\n') + '\n');
    // CRC-32s and the central directory as an independent reader sees them (Python's zipfile).
    const py = spawnSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(z.testzip(), len(z.infolist()))', dest], { encoding: 'utf8' });
    expect(py.stdout.trim(), py.stderr).toBe(`None ${names.length + 1}`);
    const v = await verifySeriesZip(dest, names.length);
    expect(v.md5Verified).toBe(true);
    expect(r.entries.map((e) => e.name)).toEqual(names);
  });

  it('resumes: keeps journalled objects whose bytes still match, drops a damaged one, and refuses to finish incomplete', async () => {
    const dir = tempDir('idc-store-resume');
    const parts = path.join(dir, '.s.parts');
    const objs = objects();
    const members = [...objs].map(([name, b]) => ({ name, size: b.length }));
    const names = [...objs.keys()].sort();
    const first = await SeriesStore.open(parts, members, inline);
    await put(first, objs, names.slice(0, 3));
    await first.close(); // a killed run: store and journal stay, nothing under the final name
    // Damage the second object's bytes on disk (as a lost write would).
    // Its data starts after the first entry (30-byte local header + name + data) and its own header.
    const at = 30 + names[0]!.length + objs.get(names[0]!)!.length + 30 + names[1]!.length + 100;
    const raw = fs.readFileSync(path.join(parts, 'store.zip'));
    expect(raw.subarray(at, at + 64).equals(objs.get(names[1]!)!.subarray(100, 164))).toBe(true);
    const fd = fs.openSync(path.join(parts, 'store.zip'), 'r+');
    fs.writeSync(fd, Buffer.from([raw[at]! ^ 0xff]), 0, 1, at);
    fs.closeSync(fd);

    const again = await SeriesStore.open(parts, members, workers);
    expect(names.map((n) => again.stored(n) !== undefined)).toEqual([true, false, true, false, false]);
    await expect(again.finish(path.join(dir, 's.zip'))).rejects.toThrow(/missing/);
    expect(fs.existsSync(path.join(dir, 's.zip'))).toBe(false);
    await put(again, objs, names.filter((n) => !again.stored(n)));
    await again.finish(path.join(dir, 's.zip'));
    await again.close();
    const got = await zipEntries(path.join(dir, 's.zip'), { storedOnly: true });
    for (const n of names) expect(got.get(n)!.equals(objs.get(n)!)).toBe(true);

    // Another member list (a new listing) starts the store afresh.
    const other = await SeriesStore.open(path.join(dir, '.t.parts'), members, inline);
    await put(other, objs, names.slice(0, 2));
    await other.close();
    const relaid = await SeriesStore.open(path.join(dir, '.t.parts'), members.slice(1), inline);
    expect(members.slice(1).some((m) => relaid.stored(m.name))).toBe(false);
    expect(['journal', 'store.zip'].map((f) => fs.statSync(path.join(dir, '.t.parts', f)).size)).toEqual([0, 0]);
    await relaid.close();
  });

  it('files prepared before the listing: discarded, a folder with no layout goes and an earlier run\'s stays', async () => {
    const dir = tempDir('idc-store-prepare');
    const fresh = path.join(dir, 'c', '.s.parts');
    await SeriesStore.discard(await SeriesStore.prepare(fresh));
    expect(fs.existsSync(fresh)).toBe(false);
    // A folder a killed run left before any layout (empty store and journal) holds nothing to keep.
    fs.mkdirSync(fresh, { recursive: true });
    fs.writeFileSync(path.join(fresh, 'journal'), '');
    await SeriesStore.discard(await SeriesStore.prepare(fresh));
    expect(fs.existsSync(fresh)).toBe(false);
    const objs = objects();
    const members = [...objs].map(([name, b]) => ({ name, size: b.length }));
    const earlier = await SeriesStore.open(fresh, members, inline);
    await put(earlier, objs, [...objs.keys()].slice(0, 1));
    await earlier.close();
    await SeriesStore.discard(await SeriesStore.prepare(fresh));
    expect(fs.readFileSync(path.join(fresh, 'journal'), 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    // The same layout from prepared files resumes the journalled object.
    const resumed = await SeriesStore.open(SeriesStore.prepare(fresh), members, inline);
    expect(resumed.stored([...objs.keys()][0]!)).toBeDefined();
    await resumed.close();
  });

  it('refuses two objects with one base name', async () => {
    await expect(SeriesStore.open(path.join(tempDir('idc-store-dup'), '.p'), [{ name: 'a.dcm', size: 1 }, { name: 'a.dcm', size: 2 }], inline)).rejects.toThrow(/base name a\.dcm/);
  });
});
