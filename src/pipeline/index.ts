/** Public surface of pipeline/ (the application layer: runs, steps and the compositions the CLI calls): other folders import only from here. */
export { runDemo } from './demo.ts';
export { DEFAULT_CONCURRENCY, budgetError, fetchSummaryFigures, fetchTcia, validateFetchOptions, type FetchResult } from './fetchTcia.ts';
export { DEFAULT_IDC_CONCURRENCY, fetchIdc, validateIdcOptions, type FetchIdcOptions, type IdcFetchResult, type ResolvedIdcOptions } from './fetchIdc.ts';
export { mergePartitions } from './merge.ts';
export { runPipeline, type PipelineResult } from './run.ts';
export { DEFAULT_DISCARD_RAW, DEFAULT_OVERLAP, DEFAULT_RAW_WINDOW } from './streamOptions.ts';
export type { EvaluationFigures, SplitFigures } from './env.ts';
