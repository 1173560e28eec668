/**
 * Child process of bench/table.ts: `node bench/readEpoch.mjs DATA_DIR NAME [--mmap] [--no-checksums]`
 * reads one epoch of every split of a published dataset in random batch order, touching every image
 * buffer (a byte per 4 KiB page), through the compiled reader (dist/, as an installed toolkit runs
 * it; bench/table.ts builds it first). `--mmap` maps the shards instead of reading them with pread;
 * `--no-checksums` skips the per-batch CRC-32 (which reads every byte): together, the work of
 * pyarrow's memory_map. Prints a checksum, the seconds from opening the dataset to the last batch,
 * and how it read (mapped or pread).
 */
import { openDataset } from '../dist/shards/reader.js';

const [dataDir, name, ...flags] = process.argv.slice(2);
const t0 = performance.now();
const ds = await openDataset(dataDir, name, { mmap: flags.includes('--mmap'), checksums: !flags.includes('--no-checksums') });
let sum = 0;
for (const split of ['train', 'validate', 'test']) {
  for await (const b of ds.batches(split, { seed: 3, epoch: 1 })) {
    for (let i = 0; i < b.images.length; i += 4096) sum += b.images[i];
  }
}
await ds.close();
// How it read: `--mmap` falls back to pread where koffi does not load.
const how = flags.includes('--mmap') && (await import('../dist/core/mmap.js')).canMap() ? 'mapped' : 'pread';
console.log(sum, (performance.now() - t0) / 1000, how);
