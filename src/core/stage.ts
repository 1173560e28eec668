import type { RunContext } from './context.ts';

/** A streaming stage: records in, records out, bounded memory. */
export type Stage<In, Out> = (source: AsyncIterable<In>, ctx: RunContext) => AsyncIterable<Out>;

/** Compose stages left to right; types are checked at compile time. */
export function pipe<A, B>(s1: Stage<A, B>): Stage<A, B>;
export function pipe<A, B, C>(s1: Stage<A, B>, s2: Stage<B, C>): Stage<A, C>;
export function pipe<A, B, C, D>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>): Stage<A, D>;
export function pipe<A, B, C, D, E>(s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>): Stage<A, E>;
export function pipe<A, B, C, D, E, F>(
  s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>,
): Stage<A, F>;
export function pipe<A, B, C, D, E, F, G>(
  s1: Stage<A, B>, s2: Stage<B, C>, s3: Stage<C, D>, s4: Stage<D, E>, s5: Stage<E, F>, s6: Stage<F, G>,
): Stage<A, G>;
export function pipe(...stages: Stage<unknown, unknown>[]): Stage<unknown, unknown> {
  return (source, ctx) => stages.reduce((acc, stage) => stage(acc, ctx), source);
}

/** Stage applying `fn` to each record in order. */
export function map<In, Out>(fn: (item: In, ctx: RunContext) => Out | Promise<Out>): Stage<In, Out> {
  return async function* (source, ctx) {
    for await (const item of source) yield await fn(item, ctx);
  };
}

/** Stage keeping the records for which `pred` holds. */
export function filter<T>(pred: (item: T, ctx: RunContext) => boolean | Promise<boolean>): Stage<T, T> {
  return async function* (source, ctx) {
    for await (const item of source) if (await pred(item, ctx)) yield item;
  };
}

export async function* fromArray<T>(items: Iterable<T>): AsyncIterable<T> {
  for (const item of items) yield item;
}

export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}
