import sharp from 'sharp';
import { chartRow, heatmap, lineChart, standaloneSvg } from '../report/index.ts';
import type { EpochMetrics } from './trainState.ts';

/**
 * A run's charts as standalone SVG files and PNGs (sharp renders SVG with librsvg), drawn by the
 * report's chart functions so a run's figures and the HTML report look alike.
 */

export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 96 }).png().toBuffer();
}

/** Heat map of counts, rows = true class, columns = predicted; shaded by the row's share (recall). */
export function confusionSvg(confusion: number[][], classNames: string[], title = 'Confusion matrix'): string {
  return standaloneSvg(heatmap({ title, rows: classNames, cols: classNames, values: confusion, normalizeRows: true, rowLabel: 'true', colLabel: 'predicted' }));
}

const PANEL = { width: 420, height: 260 };

/** Loss and accuracy per epoch (train vs validate) side by side; the learning rate of each epoch below. */
export function curvesSvg(metrics: EpochMetrics[], title = 'Training curves'): string {
  const points = (pick: (m: EpochMetrics) => number | null | undefined): Array<[number, number]> =>
    metrics.flatMap((m) => {
      const v = pick(m);
      return v === null || v === undefined || !Number.isFinite(v) ? [] : [[m.epoch, v] as [number, number]];
    });
  const panel = (name: string, train: (m: EpochMetrics) => number | null | undefined, val: (m: EpochMetrics) => number | null | undefined, yRange?: [number, number]) => ({
    ...PANEL,
    svg: lineChart({
      title: name,
      xLabel: 'epoch',
      ...PANEL,
      ...(yRange ? { yRange } : {}),
      series: [
        { name: 'train', points: points(train) },
        { name: 'validate', points: points(val) },
      ],
    }),
  });
  const lr = `learning rate by epoch: ${metrics.map((m) => `${m.epoch}:${m.lr}`).join('  ')}`;
  return standaloneSvg(
    chartRow(title, [panel('loss', (m) => m.trainLoss, (m) => m.valLoss), panel('accuracy', (m) => m.trainAccuracy, (m) => m.valAccuracy, [0, 1])], lr),
  );
}
