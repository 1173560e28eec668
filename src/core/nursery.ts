import v8 from 'node:v8';

/**
 * Run `fn` with V8's young generation (the nursery) held at the size it has: semi-space growth
 * factor 1 while `fn` runs, V8's default of 2 again once the last such call ends.
 *
 * Why: V8 doubles the nursery (up to 2 × 16 MB on 64-bit) each time the bytes that survived
 * scavenges since its last growth exceed its size. A command's start-up (apache-arrow, zod, yargs)
 * uses up most of that allowance, so whether a streaming stage then crossed it depended only on
 * how many rows it had read: `etl shard` peaked 16 MB higher at 8,000 images than at 800 while
 * holding nothing more (bench/README.md). A stage whose garbage is short-lived (a batch at a time)
 * gains nothing from a larger nursery; with it fixed, peak memory does not depend on the dataset
 * size. Measured CPU time unchanged (scavenges of an 8 MB nursery are cheap when little survives).
 *
 * `v8.setFlagsFromString` after start-up is documented as use-with-care; this flag is read each
 * time V8 considers growing the nursery, and an unknown flag only makes V8 print a warning.
 */
let depth = 0;

export async function withSteadyNursery<T>(fn: () => Promise<T>): Promise<T> {
  if (depth++ === 0) v8.setFlagsFromString('--semi-space-growth-factor=1');
  try {
    return await fn();
  } finally {
    if (--depth === 0) v8.setFlagsFromString('--semi-space-growth-factor=2');
  }
}
