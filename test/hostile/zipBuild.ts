import zlib from 'node:zlib';

/**
 * Hand-built ZIP archives for hostile-server tests: entries whose central directory may lie about
 * their size, STORED (method 0) entries, and deflate bombs that inflate to gigabytes from a few MB
 * without ever holding the inflated bytes (zero blocks flushed to a byte boundary and repeated).
 */
export interface RawEntry {
  name: string;
  method: 0 | 8;
  /** Bytes as stored in the ZIP (compressed for method 8). */
  data: Buffer;
  crc: number;
  /** Uncompressed size the headers declare (a bomb may lie). */
  size: number;
}

export function storedEntry(name: string, content: Buffer): RawEntry {
  return { name, method: 0, data: content, crc: zlib.crc32(content), size: content.length };
}

export function deflatedEntry(name: string, content: Buffer): RawEntry {
  return { name, method: 8, data: zlib.deflateRawSync(content), crc: zlib.crc32(content), size: content.length };
}

const BLOCK = 16 * 1024 * 1024;

/** Zeros inflating to `inflated` bytes (a multiple of 16 MiB); `declared` is what the headers say (default: the truth). */
export function bombEntry(name: string, inflated: number, declared = inflated): RawEntry {
  const zeros = Buffer.alloc(BLOCK);
  const block = zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const blockCrc = zlib.crc32(zeros);
  const n = Math.ceil(inflated / BLOCK);
  let crc = 0;
  for (let i = 0; i < n; i++) crc = i === 0 ? blockCrc : zlib.crc32(zeros, crc);
  const final = zlib.deflateRawSync(Buffer.alloc(0)); // an empty final block
  return { name, method: 8, data: Buffer.concat([...Array.from({ length: n }, () => block), final]), crc, size: declared };
}

export function buildZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.size >>> 0, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(e.method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.data.length, 20);
    central.writeUInt32LE(e.size >>> 0, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
