import fsp from 'node:fs/promises';
import path from 'node:path';
import { imageInstance } from './images.ts';
import { nonImageInstance } from './nonImage.ts';
import { Rng } from './random.ts';
import type { CorruptKind } from './presets.ts';
import type { SeriesPlan } from './plan.ts';

export interface SeriesResult {
  seriesUid: string;
  files: number;
  bytes: number;
  images: number;
  corrupt: number;
  nonImage: number;
}

export const instanceFileName = (instanceNumber: number) => `${String(instanceNumber).padStart(6, '0')}.dcm`;

/**
 * Writes one series under `root/<plan.dir>/`: its instances, then any corrupt files as extra
 * numbers after the last instance (so the folder, named by SeriesUID, still attributes them).
 */
export async function writeSeries(plan: SeriesPlan, root: string): Promise<SeriesResult> {
  const dir = path.join(root, plan.dir);
  await fsp.mkdir(dir, { recursive: true });
  const res: SeriesResult = { seriesUid: plan.seriesUid, files: 0, bytes: 0, images: 0, corrupt: 0, nonImage: 0 };
  const put = async (n: number, data: Uint8Array) => {
    await fsp.writeFile(path.join(dir, instanceFileName(n)), data);
    res.files++;
    res.bytes += data.byteLength;
  };
  if (plan.kind !== 'image') {
    await put(1, nonImageInstance(plan));
    res.nonImage++;
    return res;
  }
  for (let i = 0; i < plan.instances; i++) {
    await put(i + 1, await imageInstance(plan, i));
    res.images++;
  }
  let n = plan.instances;
  for (const kind of plan.corrupt) {
    n++;
    await put(n, await corruptFile(plan, kind, n));
    res.corrupt++;
  }
  return res;
}

/** A truncated copy of a real instance (download cut short) or random bytes under a .dcm name. */
async function corruptFile(plan: SeriesPlan, kind: CorruptKind, n: number): Promise<Uint8Array> {
  const r = Rng.of(plan.seed, 'corrupt', n);
  if (kind === 'truncated') {
    const whole = await imageInstance(plan, n - 1);
    return whole.slice(0, Math.floor(whole.length * r.uniform(0.3, 0.7)));
  }
  const out = new Uint8Array(r.int(2048, 40960));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r.random() * 256);
  out.set([0x52, 0x41, 0x4e, 0x44], 128); // not "DICM": no Part-10 preamble signature
  return out;
}
