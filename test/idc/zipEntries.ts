import yauzl from 'yauzl';

/** A series ZIP's members by name, read back with yauzl (an independent reader of what we wrote); `storedOnly` rejects a compressed member. */
export async function zipEntries(file: string, opts: { storedOnly?: boolean } = {}): Promise<Map<string, Buffer>> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, validateEntrySizes: true });
  const out = new Map<string, Buffer>();
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
      out.set(e.fileName, Buffer.concat(chunks));
    }
  } finally {
    zip.close();
  }
  return out;
}
