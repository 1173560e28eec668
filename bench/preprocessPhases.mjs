// Per-step time of the preprocess worker's per-series work (preprocessSeries.ts dicomFile's steps), per slice,
// one thread, one series at a time, from a checkout's dist/ (ROOT, default: this one). The Python side:
// bench/preprocess_phases.py. Used for the per-slice budget in bench/README.md (#12 preprocess rows):
//   node --initial-old-space-size=64 bench/preprocessPhases.mjs OUT_DIR DATA_DIR/raw/COLLECTION/*.zip
import path from 'node:path';
const root = process.env.ROOT ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const d = (m) => import(`${root}/dist/preprocess/${m}.js`);
const { openSeriesZip } = await d('zipSource');
const { decodeDicomStored, readDicomHeader } = await d('decode/index');
const { storedFrameToImage, pixelHash, needsInversion } = await d('toImage');
const { storedMinMax } = await d('normalize');
const { writeStaging } = await d('staging');
const { resolvePreprocessConfig } = await d('preprocessConfig');
const config = resolvePreprocessConfig({});
const [outDir, ...zips] = process.argv.slice(2);
const ph = {}; let n = 0;
const tick = (k, t) => { const now = performance.now(); ph[k] = (ph[k] ?? 0) + now - t; return now; };
async function pass() {
  for (const z of zips) {
    let t = performance.now();
    const s = await openSeriesZip(z); t = tick('zip open (central directory)', t);
    const samples = [];
    for (const f of s.files) {
      const bytes = await f.read(); t = tick('zip read (pread + inflate)', t);
      readDicomHeader(bytes); t = tick('header', t);
      const dec = await decodeDicomStored(bytes, { colour: config.colour }); t = tick('decode (parse + pixel view)', t);
      const h = dec.header;
      for (const fr of dec.frames) {
        storedMinMax(fr.stored, fr.padLo, fr.padHi); t = tick('(min/max, also inside the next)', t);
        const facts = { rows: h.rows, cols: h.columns, invert: needsInversion(h.photometric, h.presentationLutShape), modality: h.modality, label: 'CT', bitsAllocated: h.bitsAllocated, pixelRepresentation: h.pixelRepresentation, slope: fr.slope, intercept: fr.intercept };
        const img = storedFrameToImage(fr, facts, config); t = tick('storedFrameToImage (min/max, resize, quantise, SHA-256)', t);
        pixelHash(img.image); t = tick('(SHA-256 of the 224² image, also inside the previous)', t);
        samples.push({ image: img.image, dataset: 'd', patientId: h.patientId, studyUid: h.studyUid, seriesUid: h.seriesUid ?? 'x', sopUid: h.sopInstanceUid, frame: 0, modality: h.modality, label: 'CT', bodyPart: 'UNKNOWN', rows: h.rows, cols: h.columns, normLo: img.normLo, normHi: img.normHi, pixelHash: img.pixelHash });
        n++;
      }
    }
    s.close();
    await writeStaging(path.join(outDir, path.basename(z) + '.arrow'), samples, config.size, {}); t = tick('staging encode + write + fsync', t);
  }
}
await pass(); for (const k in ph) delete ph[k]; n = 0;
const c0 = process.cpuUsage(); const w0 = performance.now();
await pass();
const c = process.cpuUsage(c0); const wall = performance.now() - w0;
console.log(`${path.basename(root)} ${n} slices: ${(wall / n).toFixed(3)} ms wall, ${((c.user + c.system) / 1000 / n).toFixed(3)} ms CPU per slice (one thread, one series at a time)`);
for (const [k, v] of Object.entries(ph)) console.log(`  ${k.padEnd(56)} ${(v / n).toFixed(3)} ms`);
