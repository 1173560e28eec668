import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { shardDataset, type ShardResult } from '../../src/shards/build.ts';
import { INTEGRITY_EXIT, verifyDataset } from '../../src/shards/verify.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

let dir: string;
let mf: string;

async function fresh(name: string): Promise<ShardResult> {
  return shardDataset({ name, batch: 5, manifest: mf, seed: 2, shardSizeMb: 0.004 }, quietContext(dir));
}

beforeAll(async () => {
  dir = tempDataDir();
  await stageSeries(dir, [
    { dataset: 'A', label: 'CT', images: 21 }, { dataset: 'B', label: 'MR', images: 8 },
    { dataset: 'C', label: 'XR', images: 7, copyPixelsFrom: 'A#0', patient: 'A-P0' },
  ], 16);
  mf = writeManifest(path.join(dir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'validate' }, { name: 'C', split: 'test' }]);
});

describe('etl verify', () => {
  it('passes a fresh dataset and rechecks leakage from the stored columns', async () => {
    const r = await fresh('ok');
    expect(r.manifest.leakage.duplicateImages.count).toBe(7);
    const v = await verifyDataset({ name: 'ok' }, quietContext(dir));
    expect(v.ok).toBe(true);
    expect(v.rows).toBe(36);
    expect(v.leakage).toEqual(r.manifest.leakage);
    const strict = await verifyDataset({ name: 'ok', strictLeakage: true }, quietContext(dir));
    expect(strict.problems.map((p) => p.code)).toEqual(['LEAKAGE']);
  });

  it('reads each shard once: the SHA-256 and the batch index\'s CRC-32s come from the same pass', async () => {
    // Images of 64² so that the pixels, not the footers and small columns, make up the shards.
    const own = tempDataDir();
    await stageSeries(own, [{ dataset: 'A', label: 'CT', images: 30 }, { dataset: 'B', label: 'MR', images: 12 }], 64);
    const m2 = writeManifest(path.join(own, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'test' }]);
    const r = await shardDataset({ name: 'once', batch: 5, manifest: m2, seed: 2, shardSizeMb: 0.05 }, quietContext(own));
    const total = r.manifest.shards.reduce((a, s) => a + s.bytes, 0);
    const probe = await fsp.open(path.join(r.dir, r.manifest.shards[0]!.file), 'r');
    const proto = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<{ bytesRead: number }> };
    await probe.close();
    const readOriginal = proto.read;
    let read = 0;
    const spy = vi.spyOn(proto, 'read').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const out = await readOriginal.apply(this, args);
      read += out.bytesRead;
      return out;
    });
    try {
      expect((await verifyDataset({ name: 'once' }, quietContext(own))).ok).toBe(true);
    } finally {
      spy.mockRestore();
    }
    // Every byte once (the SHA-256 covers the whole file), plus footers and the small columns the
    // content check reads: 1.23× here; two passes (SHA-256, then CRC-32s) read 2.16×.
    expect(read).toBeGreaterThanOrEqual(total);
    expect(read).toBeLessThan(1.5 * total);
  });

  it('names the shard when any single byte is flipped (header, image body, footer)', async () => {
    const r = await fresh('flip');
    const target = r.manifest.shards[1]!;
    const file = path.join(r.dir, target.file);
    const original = fs.readFileSync(file);
    for (const at of [3, 200, original.length >> 1, original.length - 3]) {
      const bytes = Buffer.from(original);
      bytes[at] = bytes[at]! ^ 0x01;
      fs.writeFileSync(file, bytes);
      const v = await verifyDataset({ name: 'flip' }, quietContext(dir));
      expect(v.ok).toBe(false);
      expect(v.problems[0]).toMatchObject({ shard: target.file, code: 'CHECKSUM' });
    }
    fs.writeFileSync(file, original);
    expect((await verifyDataset({ name: 'flip' }, quietContext(dir))).ok).toBe(true);
  });

  it('trustDigests (etl shard\'s own check of what it just wrote) checks sizes and structure but does not re-hash', async () => {
    const r = await fresh('trust');
    const target = r.manifest.shards[0]!;
    const file = path.join(r.dir, target.file);
    const original = fs.readFileSync(file);
    const bytes = Buffer.from(original);
    const at = original.indexOf(Buffer.from([0xff, 0xff]), 400); // inside an image body: the structure stays valid
    bytes[at >= 0 ? at : original.length >> 1]! ^= 0x01;
    fs.writeFileSync(file, bytes);
    expect((await verifyDataset({ name: 'trust' }, quietContext(dir))).problems.map((p) => p.code)).toContain('CHECKSUM');
    expect((await verifyDataset({ name: 'trust', trustDigests: true }, quietContext(dir))).problems.map((p) => p.code)).not.toContain('CHECKSUM');
    fs.truncateSync(file, target.bytes - 10);
    expect((await verifyDataset({ name: 'trust', trustDigests: true }, quietContext(dir))).problems[0]).toMatchObject({ code: 'SIZE' });
    fs.writeFileSync(file, original);
  });

  it('reports a truncated shard, and the CLI exits with the data-integrity code', async () => {
    const r = await fresh('trunc');
    const target = r.manifest.shards[0]!;
    const file = path.join(r.dir, target.file);
    fs.truncateSync(file, target.bytes - 100);
    const v = await verifyDataset({ name: 'trunc' }, quietContext(dir));
    expect(v.problems).toEqual([expect.objectContaining({ shard: target.file, code: 'SIZE' })]);
    // Only this command is loaded (bin/etl.js loads every command, some of which are others' work in progress).
    const script = `
      import yargs from 'yargs';
      import { globalOptions } from './src/cli/command.ts';
      import { command } from './src/cli/etl/verify.ts';
      await globalOptions(yargs(process.argv.slice(1))).command(command).strict().parseAsync();`;
    const cli = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, 'verify', '--data-dir', dir, '--name', 'trunc'], { encoding: 'utf8' });
    expect(cli.status).toBe(INTEGRITY_EXIT);
    expect(cli.stderr).toContain(target.file);
    expect(cli.stderr).toContain('DATA_INTEGRITY');
  }, 30_000);
});
