/**
 * Public surface of pipeline/ (the application layer: runs, steps and the compositions the CLI calls): other folders import only from here.
 *
 * Every fetch command loads it, so the heavy entry points (the demo with its stand-ins and
 * synthesizer, the pipeline runner with every step, merge) load on first call: importing them all
 * cost `etl fetch idc` ~0.55 s of start-up and a heap that every GC during the download walked.
 */
import type { RunContext } from '../core/context.ts';
import type { DemoOptions, DemoResult } from './demo.ts';
import type { LoadedPipeline } from './load.ts';
import type { PipelineDefinition } from './schema.ts';
import type { MergeOptions, MergeResult } from './merge.ts';
import type { PipelineResult, RunPipelineOptions } from './run.ts';

export { DEFAULT_CONCURRENCY, budgetError, fetchSummaryFigures, fetchTcia, validateFetchOptions, type FetchResult } from './fetchTcia.ts';
export { DEFAULT_IDC_CONCURRENCY, fetchIdc, validateIdcOptions, type FetchIdcOptions, type IdcFetchResult, type ResolvedIdcOptions } from './fetchIdc.ts';
export { DEFAULT_DISCARD_RAW, DEFAULT_OVERLAP, DEFAULT_RAW_WINDOW } from './streamOptions.ts';
export type { EvaluationFigures, SplitFigures } from './env.ts';
export type { PipelineResult };

/** `etl demo` (demo.ts). */
export async function runDemo(o: DemoOptions, ctx: RunContext): Promise<DemoResult> {
  return (await import('./demo.ts')).runDemo(o, ctx);
}

/** `etl run` (run.ts). */
export async function runPipeline(source: string | LoadedPipeline | PipelineDefinition, options: RunPipelineOptions, ctx: RunContext): Promise<PipelineResult> {
  return (await import('./run.ts')).runPipeline(source, options, ctx);
}

/** `etl merge` (merge.ts). */
export async function mergePartitions(source: string | LoadedPipeline, o: MergeOptions, ctx: RunContext): Promise<MergeResult> {
  return (await import('./merge.ts')).mergePartitions(source, o, ctx);
}
