import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AtomicFile, isTempName, removeStaleTemps, stableJson, writeFileAtomic } from '../../src/core/fsAtomic.ts';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'atomic-'));

describe('atomic files', () => {
  it('write under a final name only after the content is complete', async () => {
    const dir = tmp();
    const f = await AtomicFile.open(path.join(dir, 'a.zip'));
    await f.write(new Uint8Array([1, 2, 3]));
    expect(fs.existsSync(path.join(dir, 'a.zip'))).toBe(false);
    expect(isTempName(path.basename(f.tempPath))).toBe(true);
    await f.commit();
    expect([...fs.readFileSync(path.join(dir, 'a.zip'))]).toEqual([1, 2, 3]);
    expect(fs.readdirSync(dir)).toEqual(['a.zip']);
  });

  it('abort leaves nothing behind', async () => {
    const dir = tmp();
    const f = await AtomicFile.open(path.join(dir, 'b.zip'));
    await f.write(new Uint8Array([9]));
    await f.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('removeStaleTemps deletes only temporary names, recursively (an unknown layout once it is a day old)', async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, 'x'));
    fs.writeFileSync(path.join(dir, 'x', '.s.zip.123.ab12.tmp'), 'half');
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    fs.utimesSync(path.join(dir, 'x', '.s.zip.123.ab12.tmp'), old, old);
    fs.writeFileSync(path.join(dir, 'x', 's.zip'), 'whole');
    await writeFileAtomic(path.join(dir, 'y.json'), '{}');
    expect(await removeStaleTemps(dir)).toBe(1);
    expect(fs.readdirSync(path.join(dir, 'x'))).toEqual(['s.zip']);
  });

  it('stableJson sorts keys so equal values give equal bytes', () => {
    expect(stableJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(stableJson({ a: { d: [3, { y: 2, z: 1 }] }, b: 1 }));
  });
});
