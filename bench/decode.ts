/**
 * Decode speed per transfer syntax for a 512×512 int16 CT (the ankle CT from the shared samples
 * when present, else a synthetic one), re-encoded with each codec package's encoder.
 * Run: node --import tsx bench/decode.ts   (prints ms/image and images/s; no assertions)
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeDicom } from '../src/preprocess/decode/index.ts';
import { buildDicom, encodeHtj2k, encodeJ2k, encodeJpeg8, encodeJpegLs, encodeRle, exactBuffer, rlePlanes, testImage, TS } from '../test/preprocess/fixtures/dicomFixtures.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sample = path.resolve(root, '../shared/dicom-samples/octave-CT-MONO2-16-ankle.dcm');
const N = 512;

async function ctPixels(): Promise<Int16Array> {
  if (fs.existsSync(sample)) {
    const d = await decodeDicom(fs.readFileSync(sample));
    return Int16Array.from(d.frames[0]!.values, (v) => v - d.frames[0]!.intercept);
  }
  return Int16Array.from(testImage(N, N, -1000, 2000));
}

async function bench(label: string, file: Uint8Array, minMs = 1500): Promise<void> {
  await decodeDicom(file); // warm-up (codec load, JIT)
  let n = 0;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  while (performance.now() - t0 < minMs || n < 5) {
    await decodeDicom(file);
    n++;
  }
  const ms = (performance.now() - t0) / n;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1000 / n;
  console.log(
    `${label.padEnd(36)} wall ${ms.toFixed(2).padStart(7)} ms  cpu ${cpu.toFixed(2).padStart(7)} ms  → ${(1000 / cpu).toFixed(0).padStart(5)} images/s/core  (${(file.length / 1024).toFixed(0)} KiB)`,
  );
}

const px = await ctPixels();
const spec = { rows: N, columns: N, bitsAllocated: 16, bitsStored: 16, pixelRepresentation: 1 as const, modality: 'CT', attributes: { RescaleIntercept: -1024, RescaleSlope: 1 } };
const pattern = Uint16Array.from(px, (v) => v & 0xffff);
console.log(`decodeDicom, ${N}×${N} int16 CT, one thread (${process.version}); cpu = process CPU time per image (less sensitive to a loaded machine than wall time)`);
await bench('Explicit VR LE (native)', buildDicom({ ...spec, transferSyntax: TS.explicit, pixelData: [exactBuffer(px)] }));
await bench('Implicit VR LE (native)', buildDicom({ ...spec, transferSyntax: TS.implicit, pixelData: [exactBuffer(px)] }));
await bench('Explicit VR LE + padding mask', buildDicom({ ...spec, transferSyntax: TS.explicit, attributes: { ...spec.attributes, PixelPaddingValue: -2000 }, vrMap: { PixelPaddingValue: 'SS' }, pixelData: [exactBuffer(px)] }));
await bench('Explicit VR Big Endian', buildDicom({ ...spec, transferSyntax: TS.bigEndian, pixelData: [exactBuffer(px)] }));
await bench('Deflated Explicit VR LE', buildDicom({ ...spec, transferSyntax: TS.deflated, pixelData: [exactBuffer(px)] }));
await bench('RLE Lossless', buildDicom({ ...spec, transferSyntax: TS.rle, pixelData: [encodeRle(rlePlanes(pattern, 1, 2))] }));
await bench('JPEG-LS Lossless (CharLS)', buildDicom({ ...spec, transferSyntax: TS.jpegLs, pixelData: [await encodeJpegLs(pattern, N, N, 16)] }));
await bench('JPEG 2000 Lossless (OpenJPEG)', buildDicom({ ...spec, transferSyntax: TS.j2kLossless, pixelData: [await encodeJ2k(px, N, N, 16, true)] }));
await bench('HTJ2K Lossless (OpenJPH)', buildDicom({ ...spec, transferSyntax: TS.htj2kLossless, pixelData: [await encodeHtj2k(px, N, N, 16, true)] }));
const u8 = Uint8Array.from(px, (v) => Math.max(0, Math.min(255, (v + 1000) >> 4)));
await bench('JPEG Baseline 8-bit (libjpeg-turbo)', buildDicom({ ...spec, bitsAllocated: 8, bitsStored: 8, pixelRepresentation: 0, transferSyntax: TS.jpegBaseline, pixelData: [await encodeJpeg8(u8, N, N, 1, 90)] }));
const jll = path.resolve(root, '../shared/dicom-samples/jlld-MR-jpeg-lossless-p14-sel3.dcm');
if (fs.existsSync(jll)) await bench('JPEG Lossless .57 (sample, 256²)', fs.readFileSync(jll));
const nm = path.resolve(root, '../shared/dicom-samples/pydicom-NM-JPGExtended-12bit.dcm');
if (fs.existsSync(nm)) await bench('JPEG Extended 12-bit (sample, 256×1024)', fs.readFileSync(nm));
