import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { workerEntry } from '../../src/core/workers.ts';

const BIN_ENTRY = path.resolve('bin/entry.js');

describe('bin/entry.js: compiled dist/ only while it is fresh', () => {
  it('runs dist/ when built after every source file, the sources once one is newer or gone from dist', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'entry-'));
    fs.mkdirSync(path.join(root, 'bin'));
    fs.mkdirSync(path.join(root, 'src/cli'), { recursive: true });
    fs.mkdirSync(path.join(root, 'dist/cli'), { recursive: true });
    fs.copyFileSync(BIN_ENTRY, path.join(root, 'bin/entry.js'));
    fs.symlinkSync(path.resolve('node_modules'), path.join(root, 'node_modules'));
    const src = path.join(root, 'src/cli/etl.ts');
    fs.writeFileSync(src, '');
    const stamp = path.join(root, 'dist/.build-stamp');
    fs.writeFileSync(stamp, '');
    const past = new Date(Date.now() - 120_000);
    const built = new Date(Date.now() - 60_000);
    fs.utimesSync(stamp, built, built);
    for (const p of [src, path.join(root, 'src/cli'), path.join(root, 'src')]) fs.utimesSync(p, past, past);
    const { entry } = (await import(pathToFileURL(path.join(root, 'bin/entry.js')).href)) as { entry: (rel: string) => Promise<string> };
    expect(await entry('cli/etl')).toBe(pathToFileURL(path.join(root, 'dist/cli/etl.js')).href);
    fs.writeFileSync(path.join(root, 'src/cli/new.ts'), ''); // a new file (and its folder's mtime)
    expect(await entry('cli/etl')).toBe(pathToFileURL(src).href);
    fs.rmSync(stamp); // a failed build removes the stamp
    fs.utimesSync(path.join(root, 'src/cli'), past, past);
    fs.utimesSync(path.join(root, 'src/cli/new.ts'), past, past);
    expect(await entry('cli/etl')).toBe(pathToFileURL(src).href);
  });
});

describe('workerEntry', () => {
  it('runs the compiled .js beside the caller when there is no .ts (dist/), the .ts through tsx otherwise', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-'));
    fs.writeFileSync(path.join(dir, 'w.js'), '');
    expect(workerEntry(pathToFileURL(path.join(dir, 'w.ts')))).toEqual({ filename: path.join(dir, 'w.js'), execArgv: [] });
    fs.writeFileSync(path.join(dir, 'w.ts'), '');
    expect(workerEntry(pathToFileURL(path.join(dir, 'w.ts')))).toEqual({ filename: path.join(dir, 'w.ts'), execArgv: ['--import', 'tsx'] });
  });

  it('prefers the bundle the build wrote beside the compiled entry', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-'));
    fs.writeFileSync(path.join(dir, 'w.js'), '');
    fs.writeFileSync(path.join(dir, 'w.bundle.mjs'), '');
    expect(workerEntry(pathToFileURL(path.join(dir, 'w.ts')))).toEqual({ filename: path.join(dir, 'w.bundle.mjs'), execArgv: [] });
  });
});
