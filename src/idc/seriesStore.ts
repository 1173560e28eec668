import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { DataError, asEnvironmentError } from '../core/errors.ts';
import { stableJson, writevAll } from '../core/fsAtomic.ts';
import type { DigestPool } from './digestPool.ts';

/**
 * The store of one IDC series, written as its objects arrive: a STORED ZIP with the structure of a
 * TCIA getImage ZIP (image entries sorted by name, then `md5hashes.csv`), so raw/ holds one store per
 * series whatever the source and preprocess reads it unchanged.
 *
 * Every object's size is known from the listing, so every entry's place in the ZIP is known before
 * the first byte arrives: objects are written straight into their slots by positioned writes, in
 * parallel; each slot's MD5 and CRC-32 are computed on a digest thread from the page cache it was
 * just written to (digestPool.ts). There is no second copy of the bytes and no fsync per object: one
 * fsync when the series is complete, then the rename into place.
 * Hand-written because the ZIP libraries (yazl, archiver) write entries one after another and compute
 * the CRC themselves; this needs entries filled out of order at precomputed offsets.
 *
 * Resume: the store lives in the series' parts folder (`raw/<c>/.<uid>.parts/`, ignored by preprocess)
 * with `layout.json` (the members it was laid out for) and `journal` (one line per verified object,
 * appended after its bytes and local header were written). A rerun with the same layout keeps the
 * journal's objects — after checking their bytes against the journal's MD5, which also covers a power
 * loss — and fetches only the rest.
 */

export interface StoreMember {
  /** Entry name (the object's base name). */
  name: string;
  size: number;
}

export interface StoredObject {
  md5: string;
  crc32: number;
}

/** Receives one attempt's body bytes, in order. */
export interface ByteSink {
  write(chunk: Buffer): Promise<void>;
  /** Flushes what is buffered (the bytes are then in the store, not yet synced) and digests what was written. */
  close(): Promise<StoredObject>;
}

/** A store's files, opened by `SeriesStore.prepare`. */
export interface StoreFiles {
  dir: string;
  /** `prepare` made the folder (nothing of an earlier run is in it; its files are new). */
  created: boolean;
  fh: FileHandle;
  journal: FileHandle;
  /** The layout an earlier run wrote ('' when none). */
  layout: string;
}

interface Slot extends StoreMember {
  nameBytes: Buffer;
  /** Offset of the local header. */
  header: number;
  /** Offset of the first data byte. */
  data: number;
  zip64: boolean;
}

const STORE = 'store.zip';
const LAYOUT = 'layout.json';
const JOURNAL = 'journal';
const MD5_LIST = 'md5hashes.csv';
const WRITE_BATCH = 1 << 20;
/** Offset of the CRC-32 in a local header. */
const CRC_FIELD = 14;
const U32 = 0xffffffff;
/** 2000-01-01 00:00 as a DOS date (time 0): fixed, so the same objects give the same bytes. */
const DOS_DATE = (20 << 9) | (1 << 5) | 1;

export class SeriesStore {
  private readonly done = new Map<string, StoredObject>();
  private journalLines: string[] = [];
  private journalWrite: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly digests: DigestPool,
    private readonly fh: FileHandle,
    private readonly journal: FileHandle,
    private readonly slots: Map<string, Slot>,
    private readonly end: number,
  ) {}

  /**
   * Opens the store's files in `dir` before its members are known, so a fetch does this while the
   * series is being listed (on a busy file system these calls took longer than the listing's round
   * trip, and every object of the series waited for them). Pass the result to `open`, or to `discard`.
   */
  static async prepare(dir: string): Promise<StoreFiles> {
    try {
      const created = (await fsp.mkdir(dir, { recursive: true })) !== undefined;
      const opened = await Promise.allSettled([
        // 'w+' (which truncates) only where there is no store yet: any other failure is thrown.
        fsp.open(path.join(dir, STORE), 'r+').catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
          return fsp.open(path.join(dir, STORE), 'w+');
        }),
        fsp.open(path.join(dir, JOURNAL), 'a+'),
        created ? Promise.resolve('') : fsp.readFile(path.join(dir, LAYOUT), 'utf8').catch(() => ''),
      ]);
      const [fh, journal, layout] = opened.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
      const failed = opened.find((r) => r.status === 'rejected');
      if (failed) {
        await Promise.all([fh, journal].map((h) => (h as FileHandle | undefined)?.close().catch(() => undefined)));
        throw failed.reason;
      }
      return { dir, created, fh: fh as FileHandle, journal: journal as FileHandle, layout: layout as string };
    } catch (err) {
      throw asEnvironmentError(err, dir) ?? err;
    }
  }

  /**
   * Closes prepared files that no store took. A folder with no layout holds nothing a rerun could
   * keep (no object was journalled in it), so it goes; the collection folder above it, which other
   * series share, stays. Never throws: it runs on error paths, whose error is the one to report.
   */
  static async discard(files: StoreFiles): Promise<void> {
    await Promise.all([files.fh.close().catch(() => undefined), files.journal.close().catch(() => undefined)]);
    if (files.layout === '') await fsp.rm(files.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /**
   * Opens (or resumes) the store of `members` in `dir`, or in files `prepare` opened (which stay the
   * caller's to `discard` if this throws).
   */
  static async open(at: string | Promise<StoreFiles>, members: readonly StoreMember[], digests: DigestPool): Promise<SeriesStore> {
    const files = await (typeof at === 'string' ? SeriesStore.prepare(at) : at);
    try {
      const sorted = [...members].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]!.name === sorted[i - 1]!.name) throw new DataError('S3_UNEXPECTED', `two objects of one series have the base name ${sorted[i]!.name}`);
      }
      const { slots, end } = layoutOf(sorted);
      const layout = stableJson(sorted.map((m) => [m.name, m.size]));
      const same = files.layout === layout;
      const store = new SeriesStore(files.dir, digests, files.fh, files.journal, slots, end);
      if (same) {
        await store.recover();
      } else {
        // Another layout (or none): start afresh (files in a folder `prepare` made are new). The new
        // layout is on disk before the first journal line (accept chains on it); no fsync: a layout
        // lost in a crash only means starting afresh.
        if (!files.created) await Promise.all([files.fh.truncate(0), files.journal.truncate(0)]);
        const written = fsp.writeFile(path.join(files.dir, LAYOUT), layout);
        written.catch(() => undefined); // awaited by the first accept; a store that accepts nothing never needs it
        store.journalWrite = written;
      }
      return store;
    } catch (err) {
      if (typeof at === 'string') await SeriesStore.discard(files);
      throw asEnvironmentError(err, files.dir) ?? err;
    }
  }

  /** The object when it is already in the store, verified. */
  stored(name: string): StoredObject | undefined {
    return this.done.get(name);
  }

  /**
   * A sink that writes one attempt of `name` into its slot (each attempt starts at the slot's start).
   * The local header goes out with the first batch (one write per object up to WRITE_BATCH bytes);
   * its CRC-32 is filled in by the digest thread, which computes it anyway, not on this thread.
   */
  sink(name: string): ByteSink {
    const slot = this.slotOf(name);
    let pos = slot.header;
    let written = 0;
    let pending: Buffer[] = [localHeader(slot, 0)];
    let pendingBytes = 0;
    const flush = async () => {
      const at = pos;
      pos = slot.data + written; // everything received so far is in `pending` now
      const bufs = pending;
      pending = [];
      pendingBytes = 0;
      await this.writeAt(bufs, at);
    };
    return {
      write: async (chunk) => {
        written += chunk.length;
        if (written > slot.size) throw new DataError('BODY_TRUNCATED', `${name}: more than the ${slot.size} bytes listed`);
        pending.push(chunk);
        pendingBytes += chunk.length;
        if (pendingBytes >= WRITE_BATCH) await flush();
      },
      close: async () => {
        await flush();
        return this.digests.object(this.file, slot.data, written, slot.header + CRC_FIELD);
      },
    };
  }

  /**
   * Records `name` as verified (its bytes and local header are in its slot) by a journal line.
   * Lines are written behind: one journal write at a time per series, lines that arrive meanwhile
   * go together in the next. A kill before a line is written only means that object is fetched again.
   */
  async accept(name: string, got: StoredObject): Promise<void> {
    this.slotOf(name);
    this.done.set(name, got);
    this.journalLines.push(JSON.stringify({ name, md5: got.md5, crc32: got.crc32 }) + '\n');
    this.journalWrite = this.journalWrite.then(async () => {
      if (this.journalLines.length === 0) return; // an earlier step took this line
      const text = this.journalLines.join('');
      this.journalLines = [];
      await this.journal.appendFile(text);
    });
    await this.journalWrite;
  }

  private async writeAt(bufs: Buffer[], position: number): Promise<void> {
    try {
      await writevAll(this.fh, bufs, position);
    } catch (err) {
      throw asEnvironmentError(err, this.file) ?? err;
    }
  }

  /**
   * Every member is verified: writes `md5hashes.csv` and the central directory, fsyncs once and
   * renames the ZIP to `dest`. Returns its size, SHA-256 and the entries for the sidecar.
   */
  async finish(dest: string): Promise<{ bytes: number; sha256: string; entries: Array<{ name: string; size: number; md5: string }> }> {
    await this.journalWrite; // the layout's write too, where no object was accepted (no members)
    const slots = [...this.slots.values()];
    const missing = slots.filter((s) => !this.done.has(s.name));
    if (missing.length > 0) throw new Error(`series store finished with ${missing.length} object(s) missing`);
    const entries = slots.map((s) => ({ name: s.name, size: s.size, md5: this.done.get(s.name)!.md5 }));
    const csv = Buffer.from(['Filename,MD5Hash', ...entries.map((e) => `${e.name},${e.md5}`)].join('\n') + '\n', 'utf8');
    const csvSlot = slotAt(MD5_LIST, csv.length, this.end);
    const crcs = new Map(slots.map((s) => [s.name, this.done.get(s.name)!.crc32]));
    crcs.set(MD5_LIST, zlib.crc32(csv));
    const tail = Buffer.concat([localHeader(csvSlot, crcs.get(MD5_LIST)!), csv, centralDirectory([...slots, csvSlot], crcs, csvSlot.data + csv.length)]);
    try {
      await this.writeAt([tail], this.end);
      const bytes = this.end + tail.length;
      await this.fh.truncate(bytes);
      await this.fh.sync();
      const sha256 = await this.digests.sha256(this.file, bytes);
      await fsp.mkdir(path.dirname(dest), { recursive: true });
      await fsp.rename(path.join(this.dir, STORE), dest);
      return { bytes, sha256, entries };
    } catch (err) {
      throw asEnvironmentError(err, dest) ?? err;
    }
  }

  async close(): Promise<void> {
    await this.journalWrite.catch(() => undefined); // nothing of this store still writing after it
    await this.fh.close().catch(() => undefined);
    await this.journal.close().catch(() => undefined);
  }

  private get file(): string {
    return path.join(this.dir, STORE);
  }

  private slotOf(name: string): Slot {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`${name} is not a member of this series store`);
    return slot;
  }

  /** Keeps the journal's objects whose bytes still match their MD5 and CRC-32. */
  private async recover(): Promise<void> {
    const text = await this.journal.readFile('utf8');
    for (const line of text.split('\n')) {
      let rec: { name?: unknown; md5?: unknown; crc32?: unknown };
      try {
        rec = JSON.parse(line) as typeof rec;
      } catch {
        continue; // a torn last line
      }
      const slot = typeof rec.name === 'string' ? this.slots.get(rec.name) : undefined;
      if (!slot || typeof rec.md5 !== 'string' || typeof rec.crc32 !== 'number') continue;
      const got = await this.digests.object(this.file, slot.data, slot.size).catch(() => undefined);
      if (got?.md5 !== rec.md5 || got.crc32 !== rec.crc32) continue;
      await this.writeAt([localHeader(slot, got.crc32)], slot.header);
      this.done.set(slot.name, got);
    }
  }
}

function slotAt(name: string, size: number, header: number): Slot {
  const nameBytes = Buffer.from(name, 'utf8');
  const zip64 = size >= U32;
  const data = header + 30 + nameBytes.length + (zip64 ? 20 : 0);
  return { name, size, nameBytes, header, data, zip64 };
}

function layoutOf(sorted: readonly StoreMember[]): { slots: Map<string, Slot>; end: number } {
  const slots = new Map<string, Slot>();
  let off = 0;
  for (const m of sorted) {
    const slot = slotAt(m.name, m.size, off);
    slots.set(m.name, slot);
    off = slot.data + m.size;
  }
  return { slots, end: off };
}

function flagsOf(slot: Slot): number {
  return /^[\x20-\x7e]*$/.test(slot.name) ? 0 : 0x0800; // bit 11: the name is UTF-8
}

function localHeader(slot: Slot, crc: number): Buffer {
  const b = Buffer.alloc(30 + slot.nameBytes.length + (slot.zip64 ? 20 : 0));
  b.writeUInt32LE(0x04034b50, 0);
  b.writeUInt16LE(slot.zip64 ? 45 : 10, 4);
  b.writeUInt16LE(flagsOf(slot), 6);
  b.writeUInt16LE(0, 8); // STORED
  b.writeUInt16LE(0, 10);
  b.writeUInt16LE(DOS_DATE, 12);
  b.writeUInt32LE(crc >>> 0, CRC_FIELD);
  b.writeUInt32LE(slot.zip64 ? U32 : slot.size, 18);
  b.writeUInt32LE(slot.zip64 ? U32 : slot.size, 22);
  b.writeUInt16LE(slot.nameBytes.length, 26);
  b.writeUInt16LE(slot.zip64 ? 20 : 0, 28);
  slot.nameBytes.copy(b, 30);
  if (slot.zip64) {
    const x = 30 + slot.nameBytes.length;
    b.writeUInt16LE(0x0001, x);
    b.writeUInt16LE(16, x + 2);
    b.writeBigUInt64LE(BigInt(slot.size), x + 4);
    b.writeBigUInt64LE(BigInt(slot.size), x + 12);
  }
  return b;
}

/** Central directory + end records (ZIP64 ones where an offset, size or count needs them). */
function centralDirectory(slots: readonly Slot[], crcs: ReadonlyMap<string, number>, cdOffset: number): Buffer {
  const parts: Buffer[] = [];
  for (const s of slots) {
    const bigSize = s.size >= U32;
    const bigOffset = s.header >= U32;
    const extra = (bigSize ? 16 : 0) + (bigOffset ? 8 : 0);
    const b = Buffer.alloc(46 + s.nameBytes.length + (extra ? 4 + extra : 0));
    b.writeUInt32LE(0x02014b50, 0);
    b.writeUInt16LE((3 << 8) | 45, 4); // made by: Unix, ZIP 4.5
    b.writeUInt16LE(extra ? 45 : 10, 6);
    b.writeUInt16LE(flagsOf(s), 8);
    b.writeUInt16LE(0, 10);
    b.writeUInt16LE(0, 12);
    b.writeUInt16LE(DOS_DATE, 14);
    b.writeUInt32LE(crcs.get(s.name)! >>> 0, 16);
    b.writeUInt32LE(bigSize ? U32 : s.size, 20);
    b.writeUInt32LE(bigSize ? U32 : s.size, 24);
    b.writeUInt16LE(s.nameBytes.length, 28);
    b.writeUInt16LE(extra ? 4 + extra : 0, 30);
    b.writeUInt32LE(0o100644 * 0x10000, 38); // external attributes: a regular file, rw-r--r--
    b.writeUInt32LE(bigOffset ? U32 : s.header, 42);
    s.nameBytes.copy(b, 46);
    if (extra) {
      let x = 46 + s.nameBytes.length;
      b.writeUInt16LE(0x0001, x);
      b.writeUInt16LE(extra, x + 2);
      x += 4;
      if (bigSize) (b.writeBigUInt64LE(BigInt(s.size), x), b.writeBigUInt64LE(BigInt(s.size), x + 8), (x += 16));
      if (bigOffset) b.writeBigUInt64LE(BigInt(s.header), x);
    }
    parts.push(b);
  }
  const cdSize = parts.reduce((n, p) => n + p.length, 0);
  const count = slots.length;
  const need64 = count >= 0xffff || cdOffset >= U32 || cdSize >= U32;
  if (need64) {
    const z = Buffer.alloc(56 + 20);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE((3 << 8) | 45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(count), 24);
    z.writeBigUInt64LE(BigInt(count), 32);
    z.writeBigUInt64LE(BigInt(cdSize), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    z.writeUInt32LE(0x07064b50, 56); // locator
    z.writeBigUInt64LE(BigInt(cdOffset + cdSize), 64);
    z.writeUInt32LE(1, 72);
    parts.push(z);
  }
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(need64 ? 0xffff : count, 8);
  e.writeUInt16LE(need64 ? 0xffff : count, 10);
  e.writeUInt32LE(need64 ? U32 : cdSize, 12);
  e.writeUInt32LE(need64 ? U32 : cdOffset, 16);
  parts.push(e);
  return Buffer.concat(parts);
}
