/**
 * The raw window of a streamed run: series between "download started" and "preprocessed" (and, with
 * --discard-raw, ZIP deleted). A download waits for a slot, so raw/ never holds more than `size` such
 * series, whole or partial. An abort wakes every waiter (the caller then sees the signal and stops).
 * Hand-written: a semaphore that also reports its peak and wakes on abort is shorter than adapting one.
 */
export class RawWindow {
  private held = 0;
  private waiters: Array<() => void> = [];
  /** Most series held at once during the run. */
  peak = 0;

  constructor(
    readonly size: number,
    private readonly signal: AbortSignal,
  ) {
    signal.addEventListener('abort', () => this.waiters.splice(0).forEach((wake) => wake()), { once: true });
  }

  async acquire(): Promise<void> {
    while (this.held >= this.size && !this.signal.aborted) await new Promise<void>((wake) => this.waiters.push(wake));
    this.held++;
    this.peak = Math.max(this.peak, this.held);
  }

  release(): void {
    this.held--;
    this.waiters.shift()?.();
  }
}
