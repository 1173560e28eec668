import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { splitDatasets } from '../../src/curate/split.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

/** docs/interop.md: same bytes, same version — wherever the data directory and the manifest lie. */
describe('dataset version', () => {
  it('identical shards built in two data directories (manifests at different absolute paths) get the same version', async () => {
    const versions: string[] = [];
    const shardHashes: string[][] = [];
    for (const k of [1, 2]) {
      const root = path.join(tempDataDir(), `checkout-${k}`, 'data');
      await stageSeries(root, [{ dataset: 'A', label: 'CT', images: 10 }, { dataset: 'B', label: 'MR', images: 10 }], 8);
      const mf = writeManifest(path.join(root, '..', 'manifests', 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]);
      const r = await shardDataset({ name: 'same', batch: 4, manifest: path.resolve(mf), seed: 3 }, quietContext(root));
      expect(r.manifest.inputs.manifest?.path).toBe(path.resolve(mf));
      versions.push(r.version);
      shardHashes.push(r.manifest.shards.map((s) => s.sha256));
      expect(fs.existsSync(path.join(r.dir, 'manifest.json'))).toBe(true);
    }
    expect(shardHashes[0]).toEqual(shardHashes[1]);
    expect(versions[0]).toBe(versions[1]);
  });

  it('built from split files that name their manifests at different absolute paths: the same version', async () => {
    const versions: string[] = [];
    const splitDigests: string[] = [];
    for (const k of [1, 2]) {
      const root = path.join(tempDataDir(), `checkout-${k}`, 'data');
      await stageSeries(root, [{ dataset: 'A', label: 'CT', images: 10 }, { dataset: 'B', label: 'MR', images: 10 }], 8);
      const mf = path.resolve(writeManifest(path.join(root, '..', 'manifests', 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]));
      const ctx = quietContext(root);
      const split = await splitDatasets({ manifest: mf }, ctx);
      expect(split.result.manifestPath).toBe(mf);
      const r = await shardDataset({ name: 'same', batch: 4, splitFile: split.file, seed: 3 }, ctx);
      splitDigests.push(r.manifest.inputs.splitFile!.sha256);
      versions.push(r.version);
    }
    // The split files differ (each names its own manifest path), the shards and so the version do not.
    expect(splitDigests[0]).not.toBe(splitDigests[1]);
    expect(versions[0]).toBe(versions[1]);
  });
});
