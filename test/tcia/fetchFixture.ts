import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { synthesize } from '../../src/standins/synth/index.ts';

const created: string[] = [];

/** A fresh temporary directory under the OS temp dir, removed by `removeTempDirs`. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `medimg-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Remove every directory `tempDir` made in this test file (call in afterAll). */
export function removeTempDirs(): void {
  for (const d of created.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

let tiny: Promise<string> | undefined;

/** The `tiny` synthetic collections (seconds to build), once per test file. */
export function tinyCollections(): Promise<string> {
  tiny ??= (async () => {
    const out = tempDir('tiny');
    await synthesize({ preset: 'tiny', out, seed: 1 });
    return out;
  })();
  return tiny;
}
