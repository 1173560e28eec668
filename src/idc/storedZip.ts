import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { tempPathFor } from '../core/fsAtomic.ts';

/**
 * A series fetched object by object becomes one STORED ZIP with the structure of a TCIA getImage
 * ZIP (flat image entries + `md5hashes.csv`), so `raw/` holds one store per series whatever the
 * source and preprocess reads it unchanged. STORED, not deflated: DICOM from IDC is often already
 * compressed, and the bytes were verified on arrival, so the ZIP costs one sequential copy.
 */

export interface ZipMember {
  /** Entry name (the object's base name). */
  name: string;
  file: string;
  md5: string;
}

const FIXED_MTIME = new Date(Date.UTC(2000, 0, 1));

/** Writes the ZIP under a temporary name, fsyncs and renames it to `dest`; returns its size and SHA-256. */
export async function writeStoredZip(dest: string, members: readonly ZipMember[]): Promise<{ bytes: number; sha256: string }> {
  await fsp.mkdir(path.dirname(dest), { recursive: true });
  const sorted = [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const zip = new yazl.ZipFile();
  const opts = { compress: false, mtime: FIXED_MTIME, forceDosTimestamp: true };
  for (const m of sorted) zip.addFile(m.file, m.name, opts);
  const csv = ['Filename,MD5Hash', ...sorted.map((m) => `${m.name},${m.md5}`)].join('\n') + '\n';
  zip.addBuffer(Buffer.from(csv, 'utf8'), 'md5hashes.csv', opts);
  zip.end();
  const tmp = tempPathFor(dest);
  const hash = crypto.createHash('sha256');
  let bytes = 0;
  try {
    const out = fs.createWriteStream(tmp);
    zip.outputStream.on('data', (c: Buffer) => {
      hash.update(c);
      bytes += c.length;
    });
    await pipeline(zip.outputStream, out);
    const fh = await fsp.open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await fsp.rename(tmp, dest);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  return { bytes, sha256: hash.digest('hex') };
}
