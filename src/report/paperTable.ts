import type { PaperSection } from './model.ts';
import { esc } from './svg.ts';

/** The paper's Table 3 beside this run, for the HTML and Markdown reports (percentages). */

const cell = (x: number | null) => (x === null ? '–' : `${x.toFixed(x % 1 === 0 ? 0 : 2)} %`);
const diff = (paper: number | null, ours: number | null) => (paper === null || ours === null ? '–' : `${ours - paper >= 0 ? '+' : ''}${(ours - paper).toFixed(1)}`);

export function paperHtml(p: PaperSection): string {
  const head = p.headline
    ? `<table><tr><th></th><th class="n">accuracy</th><th class="n">balanced accuracy</th></tr>
<tr><td>paper, ${esc(p.headline.arch)}${p.headline.source ? ` <span class="meta">(${esc(p.headline.source)})</span>` : ''}</td><td class="n">${cell(p.headline.accuracy)}</td><td class="n">${cell(p.headline.balancedAccuracy)}</td></tr>
<tr><td>this run, ${esc(p.ours.arch)}</td><td class="n"><b>${cell(p.ours.accuracy)}</b></td><td class="n"><b>${cell(p.ours.balancedAccuracy)}</b></td></tr></table>`
    : '';
  const rows = p.rows
    .map(
      (r) =>
        `<tr${r.ours !== null && r.paper !== null && r.ours < r.paper - 10 ? ' class="bad"' : ''}><td>${esc(r.dataset)}</td><td>${esc(r.location)}</td><td>${esc(r.modality)}</td><td class="n">${r.images.toLocaleString('en-US')}</td><td class="n">${cell(r.paper)}</td><td class="n">${cell(r.ours)}</td><td class="n">${diff(r.paper, r.ours)}</td></tr>`,
    )
    .join('');
  return `<h3 id="paper-table-3">The paper beside this run (Table 3)</h3>${head}
<table><tr><th>dataset</th><th>location</th><th>class</th><th class="n">images</th><th class="n">paper</th><th class="n">this run</th><th class="n">difference</th></tr>${rows}</table>`;
}

export function paperMarkdownLines(p: PaperSection): string[] {
  const out = ['### The paper beside this run (Table 3)', ''];
  if (p.headline) {
    out.push('| | accuracy | balanced accuracy |', '|---|---:|---:|');
    out.push(`| paper, ${p.headline.arch} | ${cell(p.headline.accuracy)} | ${cell(p.headline.balancedAccuracy)} |`);
    out.push(`| this run, ${p.ours.arch} | ${cell(p.ours.accuracy)} | ${cell(p.ours.balancedAccuracy)} |`, '');
  }
  out.push('| dataset | location | class | images | paper | this run | difference |', '|---|---|---|---:|---:|---:|---:|');
  for (const r of p.rows) out.push(`| ${r.dataset} | ${r.location} | ${r.modality} | ${r.images} | ${cell(r.paper)} | ${cell(r.ours)} | ${diff(r.paper, r.ours)} |`);
  out.push('');
  return out;
}
