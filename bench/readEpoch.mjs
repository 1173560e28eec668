/**
 * Child process of bench/table.ts: `node bench/readEpoch.mjs DATA_DIR NAME` reads one epoch of every
 * split of a published dataset in random batch order, touching every image buffer, through the
 * compiled reader (dist/, as an installed toolkit runs it; bench/table.ts builds it first).
 * Prints a checksum and the seconds from opening the dataset to the last batch.
 */
import { openDataset } from '../dist/shards/reader.js';

const [dataDir, name] = process.argv.slice(2);
const t0 = performance.now();
const ds = await openDataset(dataDir, name);
let sum = 0;
for (const split of ['train', 'validate', 'test']) {
  for await (const b of ds.batches(split, { seed: 3, epoch: 1 })) {
    for (let i = 0; i < b.images.length; i += 4096) sum += b.images[i];
  }
}
await ds.close();
console.log(sum, (performance.now() - t0) / 1000);
