import type { InspectResult } from './inspect.ts';

/** Human table of an inspect result. */
export function formatInspect(r: InspectResult): string {
  const h = r.header;
  const rows: Array<[string, string]> = [
    ['file', `${r.file} (${r.bytes} bytes)`],
    ['transfer syntax', h.transferSyntaxUid || '(none)'],
    ['SOP class', h.sopClassUid || '(none)'],
    ['SOP instance', h.sopInstanceUid],
    ['series / study', `${h.seriesUid} / ${h.studyUid}`],
    ['patient', h.patientId],
    ['modality', `${h.modality}${h.bodyPart ? ` (${h.bodyPart})` : ''}`],
    ['instance / acquisition', `${h.instanceNumber ?? '-'} / ${h.acquisitionNumber ?? '-'}`],
    ['geometry', `${h.rows}×${h.columns}, ${h.frames} frame(s), ${h.samplesPerPixel} sample(s)/pixel`],
    ['photometric', `${h.photometric}${h.samplesPerPixel > 1 ? `, planar ${h.planarConfiguration}` : ''}${h.presentationLutShape ? `, presentation LUT ${h.presentationLutShape}` : ''}`],
    ['bits', `allocated ${h.bitsAllocated}, stored ${h.bitsStored}, high ${h.highBit}, ${h.pixelRepresentation ? 'signed' : 'unsigned'}`],
    ['rescale', `slope ${h.rescaleSlope}, intercept ${h.rescaleIntercept}`],
    ['padding', h.pixelPaddingValue === null ? '-' : `${h.pixelPaddingValue}${h.pixelPaddingRangeLimit !== null ? ` … ${h.pixelPaddingRangeLimit}` : ''} (stored)`],
    ['window', h.windowCenter === null ? '-' : `C ${h.windowCenter} W ${h.windowWidth}${h.voiLutFunction ? ` ${h.voiLutFunction}` : ''}`],
    ['image type', h.imageType.join('\\') || '-'],
  ];
  if (r.skipped) rows.push(['pixels', `none: ${r.skipped.reason} [${r.skipped.code}]`]);
  const shown = r.frames.length > 12 ? [...r.frames.slice(0, 6), ...r.frames.slice(-6)] : r.frames;
  for (const f of shown) {
    rows.push([`frame ${f.frame}`, `min ${f.min}, max ${f.max}, mean ${f.mean.toFixed(3)}${f.paddingPixels ? `, ${f.paddingPixels} padding px` : ''}`]);
  }
  if (r.frames.length > shown.length) rows.push(['…', `${r.frames.length - shown.length} more frames`]);
  if (r.raw) rows.push(['raw float32', `${r.raw.file} (${r.raw.bytes} bytes)`]);
  if (r.png) rows.push(['preview', 'notWritten' in r.png ? `not written: ${r.png.notWritten}` : `${r.png.file} (frame ${r.png.frame}, range ${r.png.normLo} … ${r.png.normHi})`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}
