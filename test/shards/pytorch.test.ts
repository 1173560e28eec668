import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/core/hash.ts';
import { shardDataset } from '../../src/shards/build.ts';
import { openDataset, type ReadOptions } from '../../src/shards/reader.ts';
import { quietContext, stageSeries, tempDataDir, writeManifest } from './fixtures.ts';

/**
 * The Python package (python/medimg_shards) against the TypeScript reader: same batches, same order,
 * same bytes, also through DataLoader workers and after a mid-epoch resume. Needs Debian's
 * python3-torch + python3-numpy (.ci/run installs them); skips with the reason where absent.
 */

// $MEDIMG_PYTHON, else the first of python3 on PATH / Debian's /usr/bin/python3 that imports torch
// (a pyenv or venv python3 may shadow the apt-installed one).
const candidates = process.env.MEDIMG_PYTHON ? [process.env.MEDIMG_PYTHON] : ['python3', '/usr/bin/python3'];
const probes = candidates.map((p) => ({ p, r: spawnSync(p, ['-c', 'import numpy, torch'], { encoding: 'utf8', timeout: 120_000 }) }));
const found = probes.find((x) => x.r.status === 0);
const python = found?.p ?? candidates[0]!;
const skipReason = found ? '' : `no Python with numpy + torch (${probes.map((x) => `${x.p}: ${(x.r.stderr || String(x.r.error ?? '')).trim().split('\n').at(-1)}`).join('; ')}); apt-get install python3-torch python3-numpy`;
if (skipReason) console.warn(`skipping PyTorch loader tests: ${skipReason}`);

const script = path.resolve(import.meta.dirname, '../../python/tests/dump_batches.py');

interface PyBatch { shape: number[]; dtype: string; sha: string; labels: number[]; labelDtype: string }
interface Case { split: string; seed: number; epoch: number; shuffle_buffer?: number; partition?: [number, number]; workers?: number; stop_after?: number }

let dataDir: string;
let root: string;

async function tsBatches(c: Case, startCursor = 0): Promise<Array<Pick<PyBatch, 'shape' | 'sha' | 'labels'>>> {
  const ds = await openDataset(dataDir, 'py');
  const out: Array<Pick<PyBatch, 'shape' | 'sha' | 'labels'>> = [];
  const o: ReadOptions = { seed: c.seed, epoch: c.epoch, shuffleBuffer: c.shuffle_buffer ?? 0, startCursor };
  if (c.partition) o.partition = { index: c.partition[0], count: c.partition[1] };
  for await (const b of ds.batches(c.split as 'train', o)) {
    out.push({ shape: [b.size, 1, b.height, b.width], sha: sha256Hex(b.images), labels: [...b.labels] });
  }
  await ds.close();
  return out;
}

function pyRun(cases: Case[]): Array<{ batches: PyBatch[]; state: Record<string, unknown>; zeroCopy: boolean | null }> {
  const r = spawnSync(python, [script], { input: JSON.stringify(cases.map((c) => ({ path: root, ...c }))), encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof pyRun>;
}

beforeAll(async () => {
  if (skipReason) return;
  dataDir = tempDataDir('medimg-py-');
  await stageSeries(dataDir, [
    { dataset: 'A', label: 'CT', images: 31 }, { dataset: 'B', label: 'MR', images: 26 }, { dataset: 'C', label: 'PT', images: 11 },
  ], 16);
  const mf = writeManifest(path.join(dataDir, 'm.json'), 'm', [{ name: 'A', split: 'train' }, { name: 'B', split: 'train' }, { name: 'C', split: 'test' }]);
  await shardDataset({ name: 'py', batch: 4, manifest: mf, seed: 9, shardSizeMb: 0.004 }, quietContext(dataDir));
  root = path.join(dataDir, 'datasets', 'py');
}, 120_000);

describe.skipIf(Boolean(skipReason))('PyTorch ShardDataset vs the TypeScript reader', () => {
  it('yields the same batches, order and bytes (uint8 (B,1,H,W), int32 labels), also with workers, partitions, row mixing and after a resume', async () => {
    const cases: Case[] = [
      { split: 'train', seed: 5, epoch: 0 },
      { split: 'train', seed: 5, epoch: 1 },
      { split: 'test', seed: 2, epoch: 3 },
      { split: 'train', seed: 5, epoch: 1, workers: 2 },
      { split: 'train', seed: 7, epoch: 2, partition: [1, 3] },
      { split: 'train', seed: 5, epoch: 1, shuffle_buffer: 3 },
      { split: 'train', seed: 5, epoch: 1, stop_after: 5 },
      { split: 'train', seed: 5, epoch: 1, stop_after: 3, workers: 2 },
      { split: 'train', seed: 5, epoch: 1, stop_after: 4, shuffle_buffer: 3 },
    ];
    const py = pyRun(cases);
    const ts = await Promise.all(cases.map((c) => tsBatches(c)));
    expect(ts[0]!.length).toBe(15); // 57 train rows in batches of 4
    expect(ts[0]!.map((b) => b.sha)).not.toEqual(ts[1]!.map((b) => b.sha)); // epochs differ
    cases.forEach((c, i) => {
      const got = py[i]!.batches;
      expect(got.map(({ shape, sha, labels }) => ({ shape, sha, labels })), JSON.stringify(c)).toEqual(ts[i]);
      expect(new Set(got.map((b) => `${b.dtype}/${b.labelDtype}`))).toEqual(new Set(['torch.uint8/torch.int32']));
    });
    expect(py[0]!.zeroCopy).toBe(true); // tensors view the memory-mapped shard
    expect(py[0]!.state).toMatchObject({ cursor: 15, epoch: 0, seed: 5 });
    // The TS reader resumed at the Python cursor continues identically.
    const tail = await tsBatches(cases[6]!, 5);
    expect(tail).toEqual(ts[6]!.slice(5));
  }, 300_000);

  it('refuses a state_dict from another split and a dataset without a batch index, saying why', () => {
    const code = `
import sys, json; sys.path.insert(0, ${JSON.stringify(path.dirname(path.dirname(script)))})
from medimg_shards import ShardDataset, ShardError
a = ShardDataset(${JSON.stringify(root)}, 'train')
b = ShardDataset(${JSON.stringify(root)}, 'test')
try:
    b.load_state_dict(a.state_dict()); print('accepted')
except ShardError as e:
    print('refused:', e)
try:
    ShardDataset(${JSON.stringify(root)}, 'validate-nope')
except ShardError as e:
    print('refused:', e)
`;
    const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/Traceback/);
    expect(r.stdout).toMatch(/refused: state_dict split='train' does not match this dataset's 'test'/);
    expect(r.stdout).toMatch(/refused: split 'validate-nope' not in this dataset/);
  }, 120_000);

  it('checks each batch against the batch index\'s CRC-32 as it reads it: a flipped image byte is an error naming the shard', () => {
    const copy = path.join(tempDataDir('medimg-py-crc-'), 'py');
    fs.cpSync(root, copy, { recursive: true, verbatimSymlinks: true });
    const version = path.basename(fs.readlinkSync(path.join(copy, 'current')));
    const index = JSON.parse(fs.readFileSync(path.join(copy, version, 'batch-index.json'), 'utf8')) as { shards: Array<{ file: string; split: string; batches: Array<{ image: { offset: number } }> }> };
    const shard = index.shards.find((x) => x.split === 'train')!;
    const file = path.join(copy, version, shard.file);
    const bytes = fs.readFileSync(file);
    bytes[shard.batches[0]!.image.offset + 5]! ^= 0x40;
    fs.writeFileSync(file, bytes);
    const code = (check: boolean) => `
import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(path.dirname(script)))})
from medimg_shards import ShardDataset, ShardError
try:
    n = sum(1 for _ in ShardDataset(${JSON.stringify(copy)}, 'train', shuffle=False, check_crc=${check ? 'True' : 'False'}))
    print('read', n)
except ShardError as e:
    print('refused:', e)
`;
    const checked = spawnSync(python, ['-c', code(true)], { encoding: 'utf8', timeout: 120_000 });
    expect(checked.stderr).not.toMatch(/Traceback/);
    expect(checked.stdout).toContain(`refused: ${shard.file}: the batch at byte`);
    expect(checked.stdout).toMatch(/CRC-32 [0-9a-f]{8}, the batch index says [0-9a-f]{8}/);
    const unchecked = spawnSync(python, ['-c', code(false)], { encoding: 'utf8', timeout: 120_000 });
    expect(unchecked.stdout).toMatch(/^read \d+/);
  }, 120_000);
});
