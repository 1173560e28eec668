import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildDirFor, publishVersion, readCurrent, switchCurrent } from '../../src/shards/publish.ts';
import { tempDataDir } from './fixtures.ts';

function fakeBuild(root: string, content: string): string {
  const b = buildDirFor(root);
  fs.mkdirSync(b, { recursive: true });
  fs.writeFileSync(path.join(b, 'manifest.json'), content);
  return b;
}

describe('publishing and the current pointer', () => {
  it('renames the build into place and switches current by renaming a temporary symlink over it', () => {
    const root = path.join(tempDataDir(), 'datasets', 'x');
    fs.mkdirSync(root, { recursive: true });
    expect(readCurrent(root)).toBeUndefined();
    const v1 = publishVersion(fakeBuild(root, '1'), root, 'v1');
    expect(v1.reused).toBe(false);
    expect(switchCurrent(root, 'v1')).toBe('symlink');
    expect(fs.readlinkSync(path.join(root, 'current'))).toBe('v1');
    publishVersion(fakeBuild(root, '2'), root, 'v2');
    switchCurrent(root, 'v2');
    expect(readCurrent(root)).toBe('v2');
    expect(fs.readFileSync(path.join(root, 'current', 'manifest.json'), 'utf8')).toBe('2');
    // Same version again: the existing one is kept, the new build discarded.
    const again = publishVersion(fakeBuild(root, 'other'), root, 'v1');
    expect(again.reused).toBe(true);
    expect(fs.readFileSync(path.join(root, 'v1', 'manifest.json'), 'utf8')).toBe('1');
    expect(fs.readdirSync(root).sort()).toEqual(['current', 'v1', 'v2']);
  });

  it('reads a current file (the fallback where symlinks are unsupported) and replaces it', () => {
    const root = path.join(tempDataDir(), 'datasets', 'y');
    fs.mkdirSync(path.join(root, 'v7'), { recursive: true });
    fs.writeFileSync(path.join(root, 'current'), 'v7\n');
    expect(readCurrent(root)).toBe('v7');
    switchCurrent(root, 'v8');
    expect(fs.lstatSync(path.join(root, 'current')).isSymbolicLink()).toBe(true);
    expect(readCurrent(root)).toBe('v8');
  });
});
