import { deriveSeed, seededRandom, shuffleInPlace } from '../core/hash.ts';
import type { Batch, ReadOptions } from './batchSource.ts';
import type { Decoded, ReadPlan } from './readPlan.ts';

/**
 * Row mixing (`shuffleBuffer k`): the order's positions in groups of k; a whole group is read (the
 * next group prefetched into a second set of buffers, or hinted to the kernel when mapped), then
 * emitted as batches of the stored sizes whose rows are a seeded permutation of the group's rows (a
 * contract; docs/interop.md). These batches are copies, assembled in one reused output buffer.
 */
export async function* readMixed(plan: ReadPlan, k: number, ro: ReadOptions): AsyncGenerator<Batch> {
  const L = plan.order.length;
  const groups = Math.ceil(L / k);
  /** The order's positions of group g. */
  const positions = (g: number) => Array.from({ length: Math.max(0, Math.min(L, (g + 1) * k) - g * k) }, (_, i) => g * k + i);
  const sets = [0, 1].map(() => Array.from({ length: k }, () => new Uint8Array(plan.slotBytes)));
  const out = new Uint8Array(plan.manifest.batchSize * plan.pixels);
  const readGroup = (g: number): Promise<Decoded[]> | undefined => {
    if (g >= groups) return undefined;
    const set = sets[g % 2]!;
    const all = Promise.all(positions(g).map((p, i) => plan.readInto(set[i]!, p)));
    all.catch(() => undefined);
    return all;
  };
  // Mapped shards: the kernel reads the next group in the background; it is checked and decoded at its turn.
  const prefetchGroup = (g: number): Promise<Decoded[]> | undefined => {
    if (!plan.mapped) return readGroup(g);
    for (const p of positions(g)) plan.hint(p);
    return undefined;
  };
  const firstGroup = Math.floor(plan.startCursor / k);
  let pending = readGroup(firstGroup);
  try {
    for (let g = firstGroup; g < groups; g++) {
      const decoded = await (pending ?? readGroup(g)!);
      pending = plan.prefetch > 0 ? prefetchGroup(g + 1) : undefined;
      const rowsTotal = decoded.reduce((a, d) => a + d.rows, 0);
      const perm = shuffleInPlace(Array.from({ length: rowsTotal }, (_, i) => i), seededRandom(deriveSeed('rows', ro.seed ?? 0, ro.epoch ?? 0, plan.split, g, ro.partition?.index ?? 0)));
      let offset = 0;
      for (const [m, d] of decoded.entries()) {
        const pos = g * k + m;
        if (pos >= plan.startCursor) yield mixedBatch(plan, decoded, perm.slice(offset, offset + d.rows), out, d, pos + 1);
        offset += d.rows;
      }
      for (const p of positions(g)) plan.release(p);
    }
  } finally {
    if (pending) await pending.catch(() => undefined);
    plan.close();
  }
}

/** A batch of `picks` (row numbers across the group's batches, in order), copied into `out`. */
function mixedBatch(plan: ReadPlan, group: Decoded[], picks: number[], out: Uint8Array, at: Decoded, cursor: number): Batch {
  const n = picks.length;
  const px = plan.pixels;
  const batch: Batch = {
    images: out.subarray(0, n * px), size: n, height: plan.manifest.image.height, width: plan.manifest.image.width,
    labels: new Int32Array(n), datasets: new Array(n), series: new Array(n), sops: new Array(n), frames: new Int32Array(n),
    shard: at.shard, batchIndex: at.batchIndex, cursor,
  };
  for (let r = 0; r < n; r++) {
    let row = picks[r]!;
    let j = 0;
    while (row >= group[j]!.rows) row -= group[j++]!.rows;
    const c = group[j]!;
    batch.images.set(c.images.subarray(row * px, (row + 1) * px), r * px);
    batch.labels[r] = c.labels[row]!;
    batch.frames[r] = c.frames[row]!;
    batch.datasets[r] = c.datasets[row]!;
    batch.series[r] = c.series[row]!;
    batch.sops[r] = c.sops[row]!;
  }
  return batch;
}
