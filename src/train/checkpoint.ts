import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.ts';
import { stableJson, tempPathFor, writeJsonAtomic } from '../core/fsAtomic.ts';
import { sha256Hex } from '../core/hash.ts';

/**
 * Checkpoints: one directory per checkpoint (`checkpoints/step-00000123/`: `tensors.bin` +
 * `checkpoint.json`), written under a temporary name and renamed into place, then pointed to by
 * `checkpoints/latest.json` (written atomically). A crash leaves either the old or the new
 * checkpoint, never a half one. The last `keep` checkpoints are kept.
 */

export interface TensorSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

export interface SavedTensors {
  specs: TensorSpec[];
  data: ArrayBuffer;
}

/** Read tensors back to the host and pack them into one buffer (float32/int32, little-endian). */
export async function packTensors(named: Array<{ name: string; tensor: tf.Tensor }>): Promise<SavedTensors> {
  const specs: TensorSpec[] = [];
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const { name, tensor } of named) {
    const values = (await tensor.data()) as Float32Array | Int32Array;
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    const arr = dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values);
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    specs.push({ name, shape: tensor.shape.slice(), dtype, offset, length: arr.length });
    parts.push(bytes);
    offset += bytes.byteLength;
  }
  const data = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.byteLength;
  }
  return { specs, data: data.buffer };
}

export function unpackTensor(saved: SavedTensors, spec: TensorSpec): tf.Tensor {
  const values =
    spec.dtype === 'int32'
      ? new Int32Array(saved.data.slice(spec.offset, spec.offset + spec.length * 4))
      : new Float32Array(saved.data.slice(spec.offset, spec.offset + spec.length * 4));
  return tf.tensor(values, spec.shape, spec.dtype);
}

export interface CheckpointFile<S> {
  format: 'medimg-checkpoint/1';
  state: S;
  /** Model weights (model.weights order, incl. BN moving statistics). */
  weights: TensorSpec[];
  /** Optimizer slots (iteration count + momentum per variable, in variable order). */
  optimizer: TensorSpec[];
  sha256: string;
}

async function writeSynced(file: string, data: string | Uint8Array): Promise<void> {
  const fh = await fsp.open(file, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function saveCheckpoint<S>(
  dir: string,
  label: string,
  state: S,
  weights: Array<{ name: string; tensor: tf.Tensor }>,
  optimizer: Array<{ name: string; tensor: tf.Tensor }>,
  keep = 2,
): Promise<string> {
  await fsp.mkdir(dir, { recursive: true });
  const packed = await packTensors([...weights, ...optimizer]);
  const bytes = new Uint8Array(packed.data);
  const file: CheckpointFile<S> = {
    format: 'medimg-checkpoint/1',
    state,
    weights: packed.specs.slice(0, weights.length),
    optimizer: packed.specs.slice(weights.length),
    sha256: sha256Hex(bytes),
  };
  const final = path.join(dir, label);
  const tmp = tempPathFor(final);
  await fsp.mkdir(tmp);
  await writeSynced(path.join(tmp, 'tensors.bin'), bytes);
  await writeSynced(path.join(tmp, 'checkpoint.json'), stableJson(file));
  await fsp.rm(final, { recursive: true, force: true });
  await fsp.rename(tmp, final);
  await writeJsonAtomic(path.join(dir, 'latest.json'), { checkpoint: label });
  // Prune: keep the newest `keep` checkpoint directories (names sort by step).
  const all = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name.startsWith('step-')).map((e) => e.name).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    if (old !== label) await fsp.rm(path.join(dir, old), { recursive: true, force: true });
  }
  return final;
}

export interface LoadedCheckpoint<S> {
  dir: string;
  file: CheckpointFile<S>;
  tensors: SavedTensors;
}

export function latestCheckpoint(dir: string): string | null {
  const pointer = path.join(dir, 'latest.json');
  if (!fs.existsSync(pointer)) return null;
  const { checkpoint } = JSON.parse(fs.readFileSync(pointer, 'utf8')) as { checkpoint: string };
  return path.join(dir, checkpoint);
}

export async function loadCheckpoint<S>(ckptDir: string): Promise<LoadedCheckpoint<S>> {
  const file = JSON.parse(await fsp.readFile(path.join(ckptDir, 'checkpoint.json'), 'utf8')) as CheckpointFile<S>;
  const buf = await fsp.readFile(path.join(ckptDir, 'tensors.bin'));
  if (sha256Hex(buf) !== file.sha256) {
    throw new InputError('CHECKPOINT_CORRUPT', `checkpoint ${ckptDir}: tensors.bin does not match its sha256`, {
      hint: 'delete this checkpoint directory and latest.json to fall back to an older one, or start a new run',
    });
  }
  const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  return { dir: ckptDir, file, tensors: { specs: [...file.weights, ...file.optimizer], data } };
}
