import type { DataSet, Element, Fragment } from 'dicom-parser';

/**
 * Compressed frames of encapsulated PixelData, tolerant of empty, short and broken Basic Offset
 * Tables: single frame → all fragments; BOT that matches fragment starts → BOT; one fragment per
 * frame → that; else group fragments at codestream start markers (JPEG SOI, J2K SOC).
 * Returns a reason string when the frames cannot be delimited.
 */
export function frameFragments(px: Element, frames: number, startsFrame: (f: Fragment) => boolean): Fragment[][] | string {
  const frags = px.fragments ?? [];
  if (frags.length === 0) return 'encapsulated PixelData has no fragments';
  if (frames === 1) return [frags];
  if (frags.length < frames) return `encapsulated PixelData has ${frags.length} fragments for ${frames} frames`;
  const bot = px.basicOffsetTable ?? [];
  if (bot.length === frames && bot[0] === 0) {
    const byOffset = new Map(frags.map((f, i) => [f.offset, i]));
    const starts = bot.map((o) => byOffset.get(o));
    if (starts.every((s, i) => s !== undefined && (i === 0 || s > starts[i - 1]!))) {
      return starts.map((s, i) => frags.slice(s!, i + 1 < frames ? starts[i + 1]! : frags.length));
    }
  }
  if (frags.length === frames) return frags.map((f) => [f]);
  const groups: Fragment[][] = [];
  for (const f of frags) {
    if (groups.length === 0 || startsFrame(f)) groups.push([f]);
    else groups[groups.length - 1]!.push(f);
  }
  if (groups.length !== frames) {
    return `cannot delimit ${frames} frames in ${frags.length} fragments (Basic Offset Table has ${bot.length} entries; found ${groups.length} codestream starts)`;
  }
  return groups;
}

/** Bytes of a frame's fragments: a zero-copy view for one fragment, else a concatenation. */
export function fragmentBytes(ds: DataSet, frags: Fragment[]): Uint8Array {
  const b = ds.byteArray;
  if (frags.length === 1) {
    const f = frags[0]!;
    return b.subarray(f.position, f.position + f.length);
  }
  let total = 0;
  for (const f of frags) total += f.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const f of frags) {
    out.set(b.subarray(f.position, f.position + f.length), o);
    o += f.length;
  }
  return out;
}
