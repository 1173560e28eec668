/** Public surface of report/ (reports of datasets and runs): other folders import only from here. */
export { collectEvaluation } from './collect.ts';
export { generateReport } from './report.ts';
export { GENERALISATION_GAP } from './summarize.ts';
export { chartRow, heatmap, lineChart, standaloneSvg } from './svg.ts';
