import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeStaleTemps, tempPathFor } from '../../src/core/fsAtomic.ts';
import { hostTag } from '../../src/core/pids.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { buildDirFor } from '../../src/shards/publish.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from '../shards/fixtures.ts';

/** Temporary files and build folders of dead runs are removed; a live run's never are. */
const deadPid = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
const tag = hostTag();

describe('temporary files of dead runs', () => {
  it('removes dead runs\' temps (files and build folders); keeps this process\'s, a live process\'s and a fresh one from another host', async () => {
    const root = tempDataDir();
    const dir = path.join(root, 'staging', 'C');
    fs.mkdirSync(dir, { recursive: true });
    const names = {
      dead: `.s.arrow.${deadPid}.${tag}0001.tmp`,
      mine: path.basename(tempPathFor(path.join(dir, 's.arrow'))),
      live: `.s.arrow.${process.ppid}.${tag}0002.tmp`,
      foreignFresh: `.s.arrow.${deadPid}.${tag === 'ffff' ? '0000' : 'ffff'}0003.tmp`,
      foreignOld: `.t.arrow.${deadPid}.${tag === 'ffff' ? '0000' : 'ffff'}0004.tmp`,
    };
    for (const n of Object.values(names)) fs.writeFileSync(path.join(dir, n), 'x');
    const old = new Date(Date.now() - 2 * 24 * 3600_000);
    fs.utimesSync(path.join(dir, names.foreignOld), old, old);
    const build = path.join(root, 'datasets', 'n', `.build-${deadPid}-${tag}0005.tmp`);
    fs.mkdirSync(path.join(build, '.shuffle'), { recursive: true });
    fs.writeFileSync(path.join(build, 'train-00000-of-00001.arrow'), 'partial');
    const liveBuild = buildDirFor(path.join(root, 'datasets', 'n'));
    fs.mkdirSync(liveBuild);

    expect(await removeStaleTemps(path.join(root, 'staging'))).toBe(2);
    expect(fs.readdirSync(dir).sort()).toEqual([names.foreignFresh, names.live, names.mine].sort());
    expect(await removeStaleTemps(path.join(root, 'datasets'))).toBe(1);
    expect(fs.existsSync(build)).toBe(false);
    expect(fs.existsSync(liveBuild)).toBe(true);
  });

  it('etl shard removes a dead run\'s build folder before publishing', async () => {
    const root = tempDataDir();
    await stageSeries(root, [{ dataset: 'A', label: 'CT', images: 8 }, { dataset: 'B', label: 'MR', images: 8 }], 8);
    const mf = writeManifest(path.join(root, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]);
    const dsRoot = path.join(root, 'datasets', 'tmpclean');
    const debris = path.join(dsRoot, `.build-${deadPid}-${tag}0006.tmp`);
    fs.mkdirSync(debris, { recursive: true });
    fs.writeFileSync(path.join(debris, 'manifest.json'), '{');
    await shardDataset({ name: 'tmpclean', batch: 4, manifest: mf, seed: 1 }, quietContext(root));
    expect(fs.readdirSync(dsRoot).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});
