import fs from 'node:fs';
import zlib from 'node:zlib';
import yauzl from 'yauzl';

/**
 * A series ZIP's members by name, read back with yauzl (an independent reader of what we wrote);
 * `storedOnly` rejects a compressed member. Also what yauzl does not check: each member's CRC-32
 * against its bytes, and the local header's CRC-32 against the central directory's (streaming
 * readers such as Java's ZipInputStream trust the local one).
 */
export async function zipEntries(file: string, opts: { storedOnly?: boolean } = {}): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true });
  const out = new Map<string, Buffer>();
  const fd = fs.openSync(file, 'r');
  try {
    for (;;) {
      const e = await new Promise<yauzl.Entry | null>((resolve, reject) => {
        zip.once('entry', resolve).once('end', () => resolve(null)).once('error', reject);
        zip.readEntry();
      });
      zip.removeAllListeners('entry').removeAllListeners('end').removeAllListeners('error');
      if (!e) break;
      if (opts.storedOnly && e.compressionMethod !== 0) throw new Error(`${file}: member ${e.fileName} uses compression method ${e.compressionMethod}, expected 0 (stored)`);
      const chunks: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(e)) chunks.push(c as Buffer);
      const data = Buffer.concat(chunks);
      if (zlib.crc32(data) !== e.crc32) throw new Error(`${file}: member ${e.fileName} has CRC-32 ${zlib.crc32(data)}, the central directory says ${e.crc32}`);
      if ((e.generalPurposeBitFlag & 8) === 0) {
        const local = Buffer.alloc(4);
        fs.readSync(fd, local, 0, 4, e.relativeOffsetOfLocalHeader + 14);
        if (local.readUInt32LE(0) !== e.crc32) throw new Error(`${file}: member ${e.fileName}'s local header has CRC-32 ${local.readUInt32LE(0)}, the central directory ${e.crc32}`);
      }
      out.set(e.fileName, data);
    }
  } finally {
    fs.closeSync(fd);
    zip.close();
  }
  return out;
}
