import type { LimitFunction } from 'p-limit';

/**
 * A gate bounds requests in flight: an attempt enters before its request is sent and leaves when its
 * body has been read (or it failed), so work on a received body (verifying a ZIP on a worker)
 * does not hold a connection slot while the next download could be using the link.
 * Resolves with the function that leaves; leaving twice is harmless.
 */
export type Gate = () => Promise<() => void>;

/** A gate over a p-limit queue: at most its concurrency inside at once, first come first served. */
export function gateOf(limit: LimitFunction): Gate {
  return () =>
    new Promise<() => void>((entered) => {
      void limit(
        () =>
          new Promise<void>((leave) => {
            let left = false;
            entered(() => {
              if (!left) (left = true), leave();
            });
          }),
      );
    });
}
