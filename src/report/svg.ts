/**
 * Small inline-SVG charts for the report: a stacked bar chart, a line chart and a heatmap. Pure
 * functions from numbers to markup — no DOM, no external assets — so a report is one file that
 * opens anywhere, and each chart is testable as a string.
 */

/** How the charts' classes look: the HTML report's stylesheet and every standalone chart share it. */
export const CHART_CSS = `svg.chart{background:#fff}
svg .ctitle{font-size:13px;font-weight:600;fill:#1d2330}
svg .tick{font-size:11px;fill:#5d6677}
svg .val{font-size:10px;fill:#1d2330}
svg .axis{font-size:11px;fill:#5d6677}
svg .cellval{font-size:12px}
svg .grid{stroke:#edf0f5}
svg .axisline{stroke:#9aa3b2}
`;

export const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Compact number: 1234 → "1.2k", 6433838 → "6.4M". */
export function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return trim(n / 1e9) + 'G';
  if (a >= 1e6) return trim(n / 1e6) + 'M';
  if (a >= 1e4) return trim(n / 1e3) + 'k';
  if (Number.isInteger(n)) return String(n);
  return a >= 100 ? n.toFixed(0) : a >= 1 ? n.toFixed(2).replace(/\.?0+$/, '') : n.toPrecision(2);
}

function trim(x: number): string {
  return (x >= 100 ? x.toFixed(0) : x.toFixed(1)).replace(/\.0$/, '');
}

/** 0, 1, 2, 5 × 10^k ticks covering [0, max] (or [min, max]). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) max = min + 1;
  const raw = (max - min) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const start = Math.floor(min / step) * step;
  const ticks: number[] = [];
  for (let v = start; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max) ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

export interface StackedBarChart {
  title: string;
  /** Bars, left to right. */
  categories: string[];
  /** Stack layers (bottom first); values[i] is the layer's value for categories[i]. */
  series: Array<{ name: string; values: number[]; color?: string }>;
  width?: number;
  height?: number;
  yLabel?: string;
  /** Shared y maximum so several charts compare at a glance. */
  yMax?: number;
}

export function stackedBarChart(c: StackedBarChart): string {
  const width = c.width ?? 360;
  const height = c.height ?? 240;
  const m = { top: 28, right: 10, bottom: 34, left: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const totals = c.categories.map((_, i) => c.series.reduce((s, l) => s + (l.values[i] ?? 0), 0));
  const ticks = niceTicks(0, Math.max(c.yMax ?? 0, ...totals, 1));
  const top = ticks[ticks.length - 1]!;
  const y = (v: number) => m.top + h - (v / top) * h;
  const band = w / Math.max(1, c.categories.length);
  const barW = Math.min(56, band * 0.62);
  const parts: string[] = [svgOpen(width, height, c.title), title(c.title, width)];
  parts.push(yAxis(ticks, y, m.left, m.left + w, compact));
  c.categories.forEach((cat, i) => {
    const x = m.left + band * i + (band - barW) / 2;
    let acc = 0;
    c.series.forEach((layer, li) => {
      const v = layer.values[i] ?? 0;
      if (v <= 0) return;
      const y0 = y(acc);
      const y1 = y(acc + v);
      acc += v;
      parts.push(
        `<rect class="bar" x="${f(x)}" y="${f(y1)}" width="${f(barW)}" height="${f(Math.max(0.5, y0 - y1))}" fill="${layer.color ?? PALETTE[li % PALETTE.length]}"><title>${esc(`${cat} · ${layer.name}: ${v.toLocaleString('en-US')}`)}</title></rect>`,
      );
    });
    const total = totals[i]!;
    parts.push(`<text x="${f(x + barW / 2)}" y="${f(y(total) - 4)}" text-anchor="middle" class="val">${esc(compact(total))}</text>`);
    parts.push(`<text x="${f(x + barW / 2)}" y="${f(m.top + h + 16)}" text-anchor="middle" class="tick">${esc(cat)}</text>`);
  });
  if (c.yLabel) parts.push(`<text x="12" y="${f(m.top + h / 2)}" transform="rotate(-90 12 ${f(m.top + h / 2)})" text-anchor="middle" class="axis">${esc(c.yLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

export interface HBarChart {
  title: string;
  bars: Array<{ label: string; value: number; color?: string }>;
  width?: number;
  /** Pixels kept for the labels on the left. */
  labelWidth?: number;
}

/** Horizontal bars: long category names (reject reasons) stay readable. */
export function hBarChart(c: HBarChart): string {
  const width = c.width ?? 560;
  const labelW = c.labelWidth ?? 230;
  const barH = 20;
  const m = { top: 26, right: 48, bottom: 8 };
  const height = m.top + c.bars.length * (barH + 6) + m.bottom;
  const max = Math.max(1e-9, ...c.bars.map((b) => b.value));
  const w = width - labelW - m.right;
  const parts: string[] = [svgOpen(width, height, c.title), title(c.title, width)];
  c.bars.forEach((b, i) => {
    const yy = m.top + i * (barH + 6);
    const bw = Math.max(1, (b.value / max) * w);
    const label = b.label.length > 30 ? b.label.slice(0, 29) + '…' : b.label;
    parts.push(`<text x="${labelW - 8}" y="${f(yy + barH / 2 + 4)}" text-anchor="end" class="tick">${esc(label)}</text>`);
    parts.push(`<rect class="bar" x="${labelW}" y="${yy}" width="${f(bw)}" height="${barH}" fill="${b.color ?? PALETTE[0]}"><title>${esc(`${b.label}: ${b.value.toLocaleString('en-US')}`)}</title></rect>`);
    parts.push(`<text x="${f(labelW + bw + 4)}" y="${f(yy + barH / 2 + 4)}" class="val">${esc(compact(b.value))}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

export interface LineChart {
  title: string;
  xLabel?: string;
  yLabel?: string;
  series: Array<{ name: string; points: Array<[number, number]>; color?: string; dashed?: boolean }>;
  width?: number;
  height?: number;
  /** Fix the y range (e.g. [0, 1] for accuracy). */
  yRange?: [number, number];
}

export function lineChart(c: LineChart): string {
  const width = c.width ?? 420;
  const height = c.height ?? 250;
  const m = { top: 28, right: 12, bottom: 52, left: 48 };
  const w = width - m.left - m.right;
  const h = height - m.top - m.bottom;
  const pts = c.series.flatMap((s) => s.points).filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const xMin = xs.length ? Math.min(...xs) : 0;
  const xMax = xs.length ? Math.max(...xs) : 1;
  const yTicks = c.yRange ? niceTicks(c.yRange[0], c.yRange[1]) : niceTicks(Math.min(0, ...ys), Math.max(...ys, 1e-9));
  const yLo = yTicks[0]!;
  const yHi = yTicks[yTicks.length - 1]!;
  const x = (v: number) => m.left + (xMax > xMin ? ((v - xMin) / (xMax - xMin)) * w : w / 2);
  const y = (v: number) => m.top + h - ((v - yLo) / (yHi - yLo)) * h;
  const parts: string[] = [svgOpen(width, height, c.title), title(c.title, width)];
  parts.push(yAxis(yTicks, y, m.left, m.left + w, compact));
  const integral = xs.every((v) => Number.isInteger(v));
  let xTicks = xMax > xMin ? niceTicks(xMin, xMax, 6).filter((t) => t >= xMin && t <= xMax) : [xMin];
  // Epochs are whole numbers: no "1.5" ticks.
  if (integral) xTicks = xTicks.filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    parts.push(`<text x="${f(x(t))}" y="${f(m.top + h + 16)}" text-anchor="middle" class="tick">${esc(compact(t))}</text>`);
  }
  parts.push(`<line x1="${m.left}" y1="${f(m.top + h)}" x2="${f(m.left + w)}" y2="${f(m.top + h)}" class="axisline"/>`);
  if (c.xLabel) parts.push(`<text x="${f(m.left + w / 2)}" y="${f(m.top + h + 30)}" text-anchor="middle" class="axis">${esc(c.xLabel)}</text>`);
  if (c.yLabel) parts.push(`<text x="12" y="${f(m.top + h / 2)}" transform="rotate(-90 12 ${f(m.top + h / 2)})" text-anchor="middle" class="axis">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    const good = s.points.filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b));
    if (good.length === 0) return;
    const d = good.map(([a, b], k) => `${k === 0 ? 'M' : 'L'}${f(x(a))},${f(y(b))}`).join('');
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    for (const [a, b] of good.length <= 40 ? good : []) {
      parts.push(`<circle cx="${f(x(a))}" cy="${f(y(b))}" r="2.5" fill="${color}"><title>${esc(`${s.name}: ${compact(a)} → ${b.toFixed(4)}`)}</title></circle>`);
    }
  });
  // Legend under the x label, left to right.
  let lx = m.left;
  const ly = height - 8;
  c.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length]!;
    parts.push(`<line x1="${f(lx)}" y1="${f(ly - 4)}" x2="${f(lx + 16)}" y2="${f(ly - 4)}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`);
    parts.push(`<text x="${f(lx + 20)}" y="${f(ly)}" class="tick">${esc(s.name)}</text>`);
    lx += 30 + s.name.length * 6.5;
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Width of one title character at the title font (13px semi-bold; DejaVu Sans Bold digits are ~9 px in librsvg). */
const TITLE_CHAR_PX = 9;

export interface Heatmap {
  title: string;
  rows: string[];
  cols: string[];
  /** values[r][c]. */
  values: number[][];
  rowLabel?: string;
  colLabel?: string;
  /** Shade by row share (a confusion matrix shows recall per true class) instead of raw value. */
  normalizeRows?: boolean;
  cell?: number;
}

export function heatmap(c: Heatmap): string {
  const cell = c.cell ?? 56;
  const m = { top: c.colLabel ? 62 : 46, right: 12, bottom: 12, left: 74 };
  // Wide enough for the title (a few classes make a grid narrower than its caption).
  const width = Math.max(m.left + cell * c.cols.length + m.right, Math.ceil(c.title.length * TITLE_CHAR_PX) + 16);
  const height = m.top + cell * c.rows.length + m.bottom;
  const max = Math.max(1e-9, ...c.values.flat());
  const parts: string[] = [svgOpen(width, height, c.title), title(c.title, width)];
  c.cols.forEach((name, j) => {
    parts.push(`<text x="${f(m.left + cell * j + cell / 2)}" y="${m.top - 6}" text-anchor="middle" class="tick">${esc(name)}</text>`);
  });
  if (c.colLabel) parts.push(`<text x="${f(m.left + (cell * c.cols.length) / 2)}" y="${m.top - 24}" text-anchor="middle" class="axis">${esc(c.colLabel)}</text>`);
  c.rows.forEach((name, i) => {
    const row = c.values[i] ?? [];
    const rowSum = row.reduce((a, b) => a + b, 0);
    parts.push(`<text x="${m.left - 8}" y="${f(m.top + cell * i + cell / 2 + 4)}" text-anchor="end" class="tick">${esc(name)}</text>`);
    c.cols.forEach((_, j) => {
      const v = row[j] ?? 0;
      const share = c.normalizeRows ? (rowSum > 0 ? v / rowSum : 0) : v / max;
      const fill = shade(share);
      const x = m.left + cell * j;
      const yy = m.top + cell * i;
      parts.push(`<rect class="cell" x="${x}" y="${yy}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"><title>${esc(`${name} → ${c.cols[j]}: ${v.toLocaleString('en-US')}${c.normalizeRows ? ` (${(100 * share).toFixed(1)}%)` : ''}`)}</title></rect>`);
      parts.push(`<text x="${f(x + cell / 2)}" y="${f(yy + cell / 2 + 4)}" text-anchor="middle" class="cellval" fill="${share > 0.55 ? '#fff' : '#222'}">${esc(compact(v))}</text>`);
    });
  });
  if (c.rowLabel) parts.push(`<text x="10" y="${m.top - 6}" class="axis">${esc(c.rowLabel)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/**
 * A chart that stands alone (an .svg file, or a PNG rendered from it): its own stylesheet, a white
 * background and a generic font, so it looks as it does in the report without the page's CSS.
 */
export function standaloneSvg(svg: string): string {
  const end = svg.indexOf('>') + 1;
  return `${svg.slice(0, end)}<style>svg{font-family:sans-serif}\n${CHART_CSS}</style><rect width="100%" height="100%" fill="#fff"/>${svg.slice(end)}`;
}

/** Charts side by side under one title (each keeps its size), with an optional note below. */
export function chartRow(text: string, charts: Array<{ svg: string; width: number; height: number }>, note?: string): string {
  const top = 26;
  const width = charts.reduce((a, c) => a + c.width, 0);
  const height = top + Math.max(0, ...charts.map((c) => c.height)) + (note ? 22 : 0);
  const parts = [svgOpen(width, height, text), title(text, width)];
  let x = 0;
  for (const c of charts) {
    parts.push(`<g transform="translate(${x},${top})">${c.svg}</g>`);
    x += c.width;
  }
  if (note) parts.push(`<text x="${f(width / 2)}" y="${height - 6}" text-anchor="middle" class="tick">${esc(note)}</text>`);
  parts.push('</svg>');
  return parts.join('');
}

/** White → deep blue. */
function shade(t: number): string {
  const k = Math.max(0, Math.min(1, t));
  const from = [247, 251, 255];
  const to = [8, 69, 148];
  const c = from.map((a, i) => Math.round(a + (to[i]! - a) * k));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** A legend of coloured squares (HTML, wraps with the page). */
export function legend(items: Array<{ name: string; color: string }>): string {
  return `<div class="legend">${items.map((i) => `<span><i style="background:${i.color}"></i>${esc(i.name)}</span>`).join('')}</div>`;
}

function svgOpen(width: number, height: number, label: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(label)}">`;
}

function title(text: string, width: number): string {
  return `<text x="${f(width / 2)}" y="16" text-anchor="middle" class="ctitle">${esc(text)}</text>`;
}

function yAxis(ticks: number[], y: (v: number) => number, x0: number, x1: number, fmt: (v: number) => string): string {
  return ticks
    .map((t) => `<line x1="${x0}" y1="${f(y(t))}" x2="${f(x1)}" y2="${f(y(t))}" class="grid"/><text x="${x0 - 6}" y="${f(y(t) + 4)}" text-anchor="end" class="tick">${esc(fmt(t))}</text>`)
    .join('');
}

function f(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
