import crypto from 'node:crypto';
import fsp from 'node:fs/promises';

/**
 * Every one-shot digest goes through here; streaming hashers (downloads, shard writers) keep their
 * own `crypto.createHash` object and feed it chunk by chunk.
 */
export function sha256Hex(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256Bytes(data: string | Uint8Array): Buffer {
  return crypto.createHash('sha256').update(data).digest();
}

/** MD5, only to compare with what servers publish (TCIA md5hashes.csv, S3 ETags). */
export function md5Bytes(data: string | Uint8Array): Buffer {
  return crypto.createHash('md5').update(data).digest();
}

/**
 * SHA-256's first 8 bytes as two unsigned 32-bit numbers (big-endian), with no Buffer: a digest
 * Buffer is a malloc of its own, and at millions of rows those churn the native heap.
 */
export function sha256Top64(data: string): [number, number] {
  const hex = crypto.hash('sha256', data, 'hex');
  return [parseInt(hex.slice(0, 8), 16), parseInt(hex.slice(8, 16), 16)];
}

/** First 8 bytes of SHA-256 as an unsigned 64-bit integer: same value in Node and Python hashlib. */
export function hash64(text: string): bigint {
  const [hi, lo] = sha256Top64(text);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32) from a 32-bit seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed derived from several parts (e.g. seed, epoch, a name). */
export function deriveSeed(...parts: Array<string | number>): number {
  return sha256Top64(parts.join('\u0000'))[0];
}

/** Fisher–Yates shuffle in place with a seeded generator. */
export function shuffleInPlace<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}

/** SHA-256 of a whole file, read in 8 MiB chunks into one reused buffer (no allocation per chunk). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  const handle = await fsp.open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 * 2 ** 20);
    for (let n; (n = (await handle.read(buf, 0, buf.length, null)).bytesRead) > 0; ) hash.update(buf.subarray(0, n));
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}
