import { constants as bufferConstants } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canMap, dropPages, dropPagesExcept, mapFile } from '../../src/core/mmap.ts';

const mapping = canMap();
if (!mapping) console.warn('mmap: skipped: koffi (optional dependency) did not load or this platform has no mmap');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-mmap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('mapFile without koffi', () => {
  it('says it cannot map and maps nothing, so readers use pread (koffi hidden from require)', () => {
    const preload = path.join(dir, 'no-koffi.cjs');
    fs.writeFileSync(preload, `const M = require('node:module'); const load = M._load;
M._load = function (request, ...rest) { if (request === 'koffi') throw new Error('hidden'); return load.call(this, request, ...rest); };`);
    const code = `import { canMap, mapFile } from ${JSON.stringify(new URL('../../src/core/mmap.ts', import.meta.url).href)}; console.log(JSON.stringify([canMap(), mapFile(0, 10) ?? null]));`;
    const r = spawnSync(process.execPath, ['--require', preload, '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([false, null]);
  });
});

describe.skipIf(!mapping)('mapFile', () => {
  const file = path.join(dir, 'f.bin');
  const bytes = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7919) % 251));
  fs.writeFileSync(file, bytes);

  it('maps the file\'s bytes; writes stay private; dropPages brings back the file\'s bytes for its range only', () => {
    const fd = fs.openSync(file, 'r');
    const map = mapFile(fd, bytes.length)!;
    fs.closeSync(fd); // the map keeps the file
    expect(Buffer.from(map).equals(bytes)).toBe(true);
    map[10] = 255 - bytes[10]!;
    const far = bytes.length - 10;
    map[far] = 255 - bytes[far]!;
    expect(fs.readFileSync(file).equals(bytes)).toBe(true);
    if (process.platform === 'linux') {
      // macOS takes MADV_DONTNEED as a hint and may keep the written pages.
      dropPages(map, 0, 100);
      expect(map[10]).toBe(bytes[10]);
      expect(map[far]).toBe(255 - bytes[far]!); // another page: untouched by the drop
      dropPagesExcept(map, far, far + 1);
      expect(map[far]).toBe(255 - bytes[far]!); // the kept page
      map[10] = 255 - bytes[10]!;
      dropPagesExcept(map, far, far + 1);
      expect(map[10]).toBe(bytes[10]);
      dropPages(map);
      expect(Buffer.from(map).equals(bytes)).toBe(true);
    }
  });

  it('does not map a file larger than an ArrayBuffer may be (Node 20: 4 GiB): the caller reads with pread', () => {
    if (bufferConstants.MAX_LENGTH >= 2 ** 33) return; // newer Node: no such limit within reach of a test
    const big = path.join(dir, 'sparse.bin');
    fs.writeFileSync(big, '');
    fs.truncateSync(big, bufferConstants.MAX_LENGTH + 1); // sparse: no disk used
    const fd = fs.openSync(big, 'r');
    expect(mapFile(fd, bufferConstants.MAX_LENGTH + 1)).toBeUndefined();
    fs.closeSync(fd);
    fs.rmSync(big);
  });

  it('gives nothing for an empty length (callers then read with pread)', () => {
    const fd = fs.openSync(file, 'r');
    expect(mapFile(fd, 0)).toBeUndefined();
    fs.closeSync(fd);
  });
});
