import type { Batch } from './batchSource.ts';
import { asBatch, type Decoded, type ReadPlan } from './readPlan.ts';

/**
 * Batches as stored, in the plan's order: a ring of prefetch+1 reused buffers (the slot of position
 * p is p mod ring; empty when the shards are mapped), `prefetch` reads running ahead of the consumer.
 * Each batch's images are a view into its buffer or the map, valid until the next batch is requested
 * (then a mapped batch's pages are dropped).
 */
export async function* readPlain(plan: ReadPlan): AsyncGenerator<Batch> {
  const L = plan.order.length;
  const ring = plan.prefetch + 1;
  const slots = Array.from({ length: Math.min(ring, Math.max(1, L)) }, () => new Uint8Array(plan.slotBytes));
  const inflight = new Map<number, Promise<Decoded>>();
  const start = (p: number) => {
    if (plan.mapped) plan.hint(p); // read at its turn, from pages the kernel has brought in by then
    else if (p < L && !inflight.has(p)) {
      const pr = plan.readInto(slots[p % slots.length]!, p);
      pr.catch(() => undefined);
      inflight.set(p, pr);
    }
  };
  let held: number | undefined; // the position the consumer holds (it may break out and keep it)
  try {
    for (let p = plan.startCursor; p < plan.startCursor + plan.prefetch; p++) start(p);
    for (let pos = plan.startCursor; pos < L; pos++) {
      start(pos + plan.prefetch); // reuses the slot of pos-1, which the consumer has released
      const d = await (inflight.get(pos) ?? plan.readInto(slots[pos % slots.length]!, pos));
      inflight.delete(pos);
      held = pos;
      yield asBatch(d, pos + 1, plan.manifest);
      held = undefined;
      plan.release(pos);
    }
  } finally {
    await Promise.allSettled(inflight.values());
    plan.close(held);
  }
}
