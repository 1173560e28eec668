/**
 * Synthetic-collection generation cost: CPU ms per image for each modality's renderer and each
 * encoder, then a full `tiny` and (with --demo) `demo` run, wall and CPU seconds.
 * Run: node --import tsx bench/synth.ts [--demo]   (prints figures; no assertions)
 * CPU time is printed next to wall time because the machine is often shared: CPU / cores is the
 * wall time to expect on idle cores.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeFrame, type TsName } from '../src/standins/synth/dicom.ts';
import { renderCt } from '../src/standins/synth/phantoms/ct.ts';
import { MR_SCANNERS, renderMr } from '../src/standins/synth/phantoms/mr.ts';
import { renderPt } from '../src/standins/synth/phantoms/pt.ts';
import { renderXr } from '../src/standins/synth/phantoms/xr.ts';
import { synthesize, type SynthPreset } from '../src/standins/synth/index.ts';

async function cpuMs(fn: () => unknown, n: number): Promise<number> {
  await fn();
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / n;
}

const renders: Array<[string, () => Int16Array | Uint16Array]> = [
  ['CT chest 512²', () => renderCt({ location: 'chest', rows: 512, cols: 512, padding: true, contrast: true }, 5, 0.5, 7)],
  ['CT head 512²', () => renderCt({ location: 'head', rows: 512, cols: 512, padding: false, contrast: false }, 5, 0.5, 7)],
  ['MR brain 256²', () => renderMr({ location: 'brain', contrast: 'T2', rows: 256, cols: 256, scanner: MR_SCANNERS[0]! }, 5, 0.5, 7).pixels],
  ['MR knee 512²', () => renderMr({ location: 'knee', contrast: 'PD', rows: 512, cols: 512, scanner: MR_SCANNERS[4]! }, 5, 0.5, 7).pixels],
  ['PT chest 200²', () => renderPt({ location: 'chest', rows: 200, cols: 200 }, 5, 0.5, 7).pixels],
  ['CR chest 832×704', () => renderXr({ location: 'chest', rows: 832, cols: 704, bitsStored: 12, photometric: 'MONOCHROME1' }, 5, 7)],
  ['MG 896×704', () => renderXr({ location: 'breast', rows: 896, cols: 704, bitsStored: 12, photometric: 'MONOCHROME2' }, 5, 7)],
];
console.log('render (CPU ms/image)');
for (const [name, fn] of renders) console.log(`  ${name.padEnd(18)} ${(await cpuMs(fn, 5)).toFixed(1)}`);

const ct = renders[0]![1]() as Int16Array;
const xr = renders[5]![1]() as Uint16Array;
console.log('encode (CPU ms/image)      CT 512² int16   CR 832×704 12-bit');
for (const ts of ['rle', 'jpegLossless', 'jpegLs', 'j2k'] as TsName[]) {
  const a = await cpuMs(() => encodeFrame(ct, ts, { rows: 512, cols: 512, bitsStored: 16, signed: true }), 4);
  const b = await cpuMs(() => encodeFrame(xr, ts, { rows: 832, cols: 704, bitsStored: 12, signed: false }), 3);
  console.log(`  ${ts.padEnd(24)} ${a.toFixed(1).padStart(8)} ${b.toFixed(1).padStart(18)}`);
}

const presets: SynthPreset[] = process.argv.includes('--demo') ? ['tiny', 'demo'] : ['tiny'];
for (const preset of presets) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `bench-synth-${preset}-`));
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const s = await synthesize({ preset, out: path.join(out, 'x') });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const images = s.collections.reduce((a, x) => a + x.images, 0);
  // Worker threads' CPU is included in process.cpuUsage().
  const cpu = (c.user + c.system) / 1e6;
  console.log(`${preset}: ${images} images, ${(s.bytes / 1e6).toFixed(0)} MB, wall ${wall.toFixed(1)} s, CPU ${cpu.toFixed(1)} s (${((1000 * cpu) / images).toFixed(1)} ms/image), load avg ${os.loadavg()[0]!.toFixed(1)}`);
  fs.rmSync(out, { recursive: true, force: true });
}
