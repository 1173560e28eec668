import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canMap, dropPages, mapFile } from '../../src/core/mmap.ts';

const mapping = canMap();
if (!mapping) console.warn('mmap: skipped: koffi (optional dependency) did not load or this platform has no mmap');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-mmap-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    dropPages(map, 0, 100);
    expect(map[10]).toBe(bytes[10]);
    expect(map[far]).toBe(255 - bytes[far]!); // another page: untouched by the drop
    dropPages(map);
    expect(Buffer.from(map).equals(bytes)).toBe(true);
  });

  it('gives nothing for an empty length (callers then read with pread)', () => {
    const fd = fs.openSync(file, 'r');
    expect(mapFile(fd, 0)).toBeUndefined();
    fs.closeSync(fd);
  });
});
