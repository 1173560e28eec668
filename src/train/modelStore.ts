import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { InputError } from '../core/errors.ts';
import { stableJson, tempPathFor } from '../core/fsAtomic.ts';

/**
 * The trained model as `runs/<id>/model/`: `model.json` + `weights.bin` in the standard tfjs
 * layers format (loadable by tf.loadLayersModel, tfjs-node and the tensorflowjs Python converter),
 * and `medimg.json` with what inference needs to reproduce training's input: class names, the
 * preprocessing config the shards were built with, and the on-device input transform.
 */

export interface InputTransform {
  /** Size of the stored (shard) images. */
  sourceSize: number;
  /** Model input size; images are resized on the device when it differs. */
  imageSize: number;
  /**
   * How the resize is done: `area` averages k×k blocks (integer factor); `bilinear-area` resizes
   * bilinearly to the next multiple m·imageSize and then averages m×m blocks (non-integer
   * down-scaling without aliasing); `bilinear` for up-scaling.
   */
  resize: 'none' | 'area' | 'bilinear-area' | 'bilinear';
  /** x = uint8 · scale + offset. */
  scale: number;
  offset: number;
}

export interface ModelMeta {
  format: 'medimg-model/1';
  arch: string;
  width: number;
  classNames: string[];
  input: InputTransform;
  /** Preprocessing config (src/preprocess) the training shards were made with, when known. */
  preprocess: unknown;
  dataset: { name: string; version: string };
  trainedAt: string;
  epochs: number;
  steps: number;
}

export function inputTransform(sourceSize: number, imageSize: number): InputTransform {
  const resize =
    sourceSize === imageSize ? 'none' : sourceSize % imageSize === 0 ? 'area' : sourceSize > imageSize ? 'bilinear-area' : 'bilinear';
  return { sourceSize, imageSize, resize, scale: 1 / 255, offset: 0 };
}

/** uint8 images [n, s, s] → float input [n, size, size, 1] on the active backend (call inside tidy). */
export function imagesToInput(images: Uint8Array, n: number, t: InputTransform): tf.Tensor4D {
  const raw = tf.tensor4d(images, [n, t.sourceSize, t.sourceSize, 1], 'int32');
  let x = tf.cast(raw, 'float32');
  x = t.offset === 0 ? tf.mul(x, t.scale) : tf.add(tf.mul(x, t.scale), t.offset);
  if (t.resize === 'area') {
    const k = t.sourceSize / t.imageSize;
    x = tf.avgPool(x as tf.Tensor4D, k, k, 'valid');
  } else if (t.resize === 'bilinear-area') {
    const m = Math.ceil(t.sourceSize / t.imageSize);
    x = tf.image.resizeBilinear(x as tf.Tensor4D, [m * t.imageSize, m * t.imageSize], false, true);
    x = tf.avgPool(x as tf.Tensor4D, m, m, 'valid');
  } else if (t.resize === 'bilinear') {
    x = tf.image.resizeBilinear(x as tf.Tensor4D, [t.imageSize, t.imageSize], false, true);
  }
  return x as tf.Tensor4D;
}

function concatWeightData(data: ArrayBuffer | ArrayBuffer[]): Uint8Array {
  if (!Array.isArray(data)) return new Uint8Array(data);
  const total = data.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of data) {
    out.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return out;
}

/** Write model + meta into `dir` atomically (temp dir, then rename; an older model dir is replaced). */
export async function saveModelDir(dir: string, model: tf.LayersModel, meta: ModelMeta): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('tfjs returned no weights when saving the model');
  const weights = concatWeightData(artifacts.weightData as ArrayBuffer | ArrayBuffer[]);
  const modelJson = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
  };
  await fsp.mkdir(path.dirname(dir), { recursive: true });
  const tmp = tempPathFor(dir);
  await fsp.mkdir(tmp);
  await fsp.writeFile(path.join(tmp, 'model.json'), JSON.stringify(modelJson));
  await fsp.writeFile(path.join(tmp, 'weights.bin'), weights);
  await fsp.writeFile(path.join(tmp, 'medimg.json'), stableJson(meta));
  const old = fs.existsSync(dir) ? tempPathFor(dir) : null;
  if (old) await fsp.rename(dir, old);
  await fsp.rename(tmp, dir);
  if (old) await fsp.rm(old, { recursive: true, force: true });
}

export interface LoadedModel {
  model: tf.LayersModel;
  meta: ModelMeta;
}

/** Load `dir` (a run's `model/` folder, or a run dir containing one). */
export async function loadModelDir(dirOrRun: string): Promise<LoadedModel> {
  const dir = fs.existsSync(path.join(dirOrRun, 'model', 'model.json')) ? path.join(dirOrRun, 'model') : dirOrRun;
  const metaFile = path.join(dir, 'medimg.json');
  if (!fs.existsSync(path.join(dir, 'model.json')) || !fs.existsSync(metaFile)) {
    throw new InputError('MODEL_NOT_FOUND', `no trained model in ${dirOrRun} (expected model/model.json and model/medimg.json)`, {
      hint: 'pass the run directory written by `train modality` (runs/<id>) once training has finished',
    });
  }
  const meta = JSON.parse(await fsp.readFile(metaFile, 'utf8')) as ModelMeta;
  const json = JSON.parse(await fsp.readFile(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: object;
    weightsManifest: Array<{ weights: tf.io.WeightsManifestEntry[] }>;
  };
  const buf = await fsp.readFile(path.join(dir, 'weights.bin'));
  const weightData = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest.flatMap((m) => m.weights), weightData }),
  );
  return { model, meta };
}
