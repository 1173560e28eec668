import sharp from 'sharp';
import type { EpochMetrics } from './trainState.ts';

/**
 * Dependency-free charts: plain SVG strings (kept for the HTML report) rendered to PNG by sharp
 * (librsvg). Fonts: generic sans-serif, so the output does not depend on installed font names.
 */

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export async function svgToPng(svg: string): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 96 }).png().toBuffer();
}

/** Heat map of counts, rows = true class, columns = predicted; cell colour = row-normalised share. */
export function confusionSvg(confusion: number[][], classNames: string[], title = 'Confusion matrix'): string {
  const k = classNames.length;
  const cell = Math.max(40, Math.min(90, Math.floor(480 / Math.max(1, k))));
  const left = 110;
  const top = 70;
  const w = left + k * cell + 30;
  const h = top + k * cell + 60;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${w / 2}" y="24" font-size="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<text x="${left + (k * cell) / 2}" y="${top - 28}" font-size="12" text-anchor="middle">predicted</text>`,
    `<text x="18" y="${top + (k * cell) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 18 ${top + (k * cell) / 2})">true</text>`,
  ];
  for (let r = 0; r < k; r++) {
    const row = confusion[r] ?? [];
    const total = row.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${left - 8}" y="${top + r * cell + cell / 2 + 4}" font-size="12" text-anchor="end">${esc(classNames[r]!)}</text>`);
    for (let c = 0; c < k; c++) {
      const n = row[c] ?? 0;
      const share = total > 0 ? n / total : 0;
      const shade = Math.round(255 - share * 200);
      const fill = r === c ? `rgb(${shade},${Math.round(255 - share * 120)},${shade})` : `rgb(255,${shade},${shade})`;
      const x = left + c * cell;
      const y = top + r * cell;
      parts.push(`<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${fill}" stroke="#888"/>`);
      parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" font-size="12" text-anchor="middle">${n}</text>`);
      if (total > 0) parts.push(`<text x="${x + cell / 2}" y="${y + cell / 2 + 18}" font-size="9" text-anchor="middle" fill="#444">${(share * 100).toFixed(1)}%</text>`);
    }
  }
  for (let c = 0; c < k; c++) {
    parts.push(`<text x="${left + c * cell + cell / 2}" y="${top - 8}" font-size="12" text-anchor="middle">${esc(classNames[c]!)}</text>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

interface Series {
  name: string;
  colour: string;
  values: Array<number | null>;
}

function linePanel(x0: number, y0: number, w: number, h: number, title: string, epochs: number[], series: Series[], yMax?: number): string[] {
  const vals = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const hi = yMax ?? Math.max(1e-9, ...vals) * 1.05;
  const n = epochs.length;
  const px = (i: number) => x0 + (n <= 1 ? w / 2 : (i * w) / (n - 1));
  const py = (v: number) => y0 + h - (Math.min(v, hi) / hi) * h;
  const out = [
    `<text x="${x0 + w / 2}" y="${y0 - 10}" font-size="13" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
    `<text x="${x0 - 6}" y="${y0 + 4}" font-size="10" text-anchor="end">${hi.toPrecision(3)}</text>`,
    `<text x="${x0 - 6}" y="${y0 + h}" font-size="10" text-anchor="end">0</text>`,
  ];
  epochs.forEach((e, i) => out.push(`<text x="${px(i)}" y="${y0 + h + 14}" font-size="10" text-anchor="middle">${e}</text>`));
  series.forEach((s, j) => {
    const pts = s.values.map((v, i) => (v === null || !Number.isFinite(v) ? null : `${px(i).toFixed(1)},${py(v).toFixed(1)}`)).filter(Boolean);
    if (pts.length > 1) out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${s.colour}" stroke-width="2"/>`);
    for (const p of pts) out.push(`<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="3" fill="${s.colour}"/>`);
    out.push(`<rect x="${x0 + 8}" y="${y0 + 8 + j * 16}" width="10" height="10" fill="${s.colour}"/>`);
    out.push(`<text x="${x0 + 22}" y="${y0 + 17 + j * 16}" font-size="11">${esc(s.name)}</text>`);
  });
  return out;
}

/** Loss and accuracy per epoch (train vs validate), with the learning rate noted where it dropped. */
export function curvesSvg(metrics: EpochMetrics[], title = 'Training curves'): string {
  const w = 820;
  const h = 340;
  const epochs = metrics.map((m) => m.epoch);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="${w / 2}" y="22" font-size="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    ...linePanel(60, 60, 320, 230, 'loss', epochs, [
      { name: 'train', colour: '#1f77b4', values: metrics.map((m) => m.trainLoss) },
      { name: 'validate', colour: '#d62728', values: metrics.map((m) => m.valLoss) },
    ]),
    ...linePanel(470, 60, 320, 230, 'accuracy', epochs, [
      { name: 'train', colour: '#1f77b4', values: metrics.map((m) => m.trainAccuracy) },
      { name: 'validate', colour: '#d62728', values: metrics.map((m) => m.valAccuracy) },
    ], 1),
    `<text x="${w / 2}" y="${h - 12}" font-size="11" text-anchor="middle">epoch; learning rate: ${esc(
      metrics.map((m) => `${m.epoch}:${m.lr}`).join('  '),
    )}</text>`,
    '</svg>',
  ];
  return parts.join('\n');
}
