import { describe, expect, it } from 'vitest';
import { collect, filter, fromArray, map, pipe, type Stage } from '../../src/core/stage.ts';
import { createRunContext } from '../../src/core/context.ts';
import { memoryLogger } from '../../src/core/log.ts';

const ctx = createRunContext({ dataDir: '/tmp/unused', rejectsInMemory: true, logger: memoryLogger() });

describe('stages', () => {
  it('pipe composes stages left to right, streaming records in order', async () => {
    const double = map((x: number) => x * 2);
    const odd = filter((x: number) => x % 3 !== 0);
    const label: Stage<number, string> = map((x) => `#${x}`);
    const out = await collect(pipe(double, odd, label)(fromArray([1, 2, 3, 4, 5, 6]), ctx));
    expect(out).toEqual(['#2', '#4', '#8', '#10']);
  });

  it('pipe is lazy: a stage pulls only what the consumer asks for', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield i;
      }
    }
    const it = pipe(map((x: number) => x + 1))(source(), ctx)[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    expect(pulled).toBe(2);
  });

  it('map passes the run context to the function', async () => {
    const out = await collect(map((_: number, c) => c.dataDir)(fromArray([1]), ctx));
    expect(out).toEqual(['/tmp/unused']);
  });
});
