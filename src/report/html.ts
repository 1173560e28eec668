import type { CountRow, ReportData } from './model.ts';
import { CHART_CSS, PALETTE, compact, esc, hBarChart, heatmap, legend, lineChart, stackedBarChart } from './svg.ts';
import { paperHtml } from './paperTable.ts';
import { GENERALISATION_GAP, orderedLocations, orderedSplits, pct, secondsText, sumBy, throughputOf } from './summarize.ts';

/** One self-contained HTML page: inline CSS, inline SVG, no scripts, no external assets. */
export function renderHtml(d: ReportData): string {
  const body = [
    header(d),
    d.notes.length ? `<div class="notes">${d.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>` : '',
    datasetSection(d),
    evaluationSection(d),
    trainingSection(d),
    capsSection(d),
    rejectsSection(d),
    timingSection(d),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(d.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
<footer>Generated ${esc(d.generatedAt)} by medimg-etl from <code>${esc(d.dataDir)}</code>.</footer>
</main>
</body>
</html>
`;
}

function header(d: ReportData): string {
  const cards: Array<[string, string]> = [];
  if (d.dataset) {
    const total = sumBy(d.dataset.counts, () => 'all').get('all') ?? 0;
    cards.push(['images', total.toLocaleString('en-US')]);
    cards.push(['datasets', String(new Set(d.dataset.counts.map((c) => c.dataset)).size)]);
  }
  if (d.validation) cards.push([`${d.validation.split} balanced accuracy`, pct(d.validation.balancedAccuracy)]);
  if (d.evaluation) {
    cards.push([`${d.evaluation.split} accuracy`, pct(d.evaluation.accuracy)]);
    cards.push([`${d.evaluation.split} balanced accuracy`, pct(d.evaluation.balancedAccuracy)]);
    const h = d.evaluation.paper?.headline;
    if (h) cards.push([`paper (${h.arch})`, `${h.accuracy.toFixed(2)} % / ${h.balancedAccuracy.toFixed(2)} %`]);
  }
  if (d.timing) cards.push(['pipeline time', secondsText(d.timing.totalSeconds)]);
  if (d.rejects) cards.push(['rejects', compact(d.rejects.total)]);
  const sub = d.dataset ? `dataset <b>${esc(d.dataset.name)}</b>${d.dataset.version ? ` version <code>${esc(d.dataset.version)}</code>` : ''}` : 'no published dataset';
  return `<header><h1>${esc(d.title)}</h1><p class="sub">${sub}</p><div class="cards">${cards
    .map(([k, v]) => `<div class="card"><div class="v">${esc(v)}</div><div class="k">${esc(k)}</div></div>`)
    .join('')}</div></header>`;
}

function datasetSection(d: ReportData): string {
  const ds = d.dataset;
  if (!ds || ds.counts.length === 0) {
    return section('Dataset', '<p class="missing">No published dataset found: run <code>etl run</code> (or the shard step) first.</p>');
  }
  const splits = orderedSplits(ds.counts.map((c) => c.split));
  const classes = ds.classes?.length ? ds.classes : [...new Set(ds.counts.map((c) => c.label))].sort();
  const locations = orderedLocations(ds.counts);
  const colors = new Map(locations.map((l, i) => [l, PALETTE[i % PALETTE.length]!]));
  const perBar = (split: string, label: string) => ds.counts.filter((c) => c.split === split && c.label === label).reduce((a, c) => a + c.images, 0);
  const yMax = Math.max(0, ...splits.flatMap((s) => classes.map((c) => perBar(s, c))));
  const charts = splits.map((split) =>
    stackedBarChart({
      title: `${split}`,
      width: 340,
      categories: classes,
      yMax,
      yLabel: 'images',
      series: locations.map((loc) => ({
        name: loc,
        color: colors.get(loc)!,
        values: classes.map((label) => ds.counts.filter((c) => c.split === split && c.label === label && c.location === loc).reduce((a, c) => a + c.images, 0)),
      })),
    }),
  );
  const meta: string[] = [];
  if (ds.shards !== undefined) meta.push(`${ds.shards} shard files`);
  if (ds.bytes !== undefined) meta.push(`${compact(ds.bytes)}B`);
  if (ds.batch !== undefined) meta.push(`batches of ${ds.batch}`);
  if (ds.imageSize !== undefined) meta.push(`${ds.imageSize}×${ds.imageSize} uint8`);
  if (ds.path) meta.push(`<code>${esc(ds.path)}</code>`);
  return section(
    'Dataset: images per split, class and body location',
    `<p class="meta">${meta.join(' · ')}</p>
<div class="row">${charts.join('')}</div>
${legend(locations.map((l) => ({ name: l, color: colors.get(l)! })))}
${splitClassTable(ds.counts, splits, classes)}
${datasetTable(ds.counts, splits)}`,
  );
}

function splitClassTable(counts: CountRow[], splits: string[], classes: string[]): string {
  const head = `<tr><th>split</th>${classes.map((c) => `<th class="n">${esc(c)}</th>`).join('')}<th class="n">total</th><th class="n">datasets</th><th class="n">locations</th></tr>`;
  const rows = splits.map((s) => {
    const inSplit = counts.filter((c) => c.split === s);
    const cells = classes.map((label) => inSplit.filter((c) => c.label === label).reduce((a, c) => a + c.images, 0));
    const total = cells.reduce((a, b) => a + b, 0);
    return `<tr><td>${esc(s)}</td>${cells.map((n) => `<td class="n">${n.toLocaleString('en-US')}</td>`).join('')}<td class="n"><b>${total.toLocaleString('en-US')}</b></td><td class="n">${new Set(inSplit.map((c) => c.dataset)).size}</td><td class="n">${new Set(inSplit.map((c) => c.location)).size}</td></tr>`;
  });
  return `<table>${head}${rows.join('')}</table>`;
}

function datasetTable(counts: CountRow[], splits: string[]): string {
  const rows = [...counts].sort((a, b) => splits.indexOf(a.split) - splits.indexOf(b.split) || a.dataset.localeCompare(b.dataset) || a.label.localeCompare(b.label));
  return `<details><summary>Per dataset (${new Set(counts.map((c) => c.dataset)).size} datasets)</summary><table><tr><th>split</th><th>dataset</th><th>class</th><th>location</th><th class="n">images</th></tr>${rows
    .map((r) => `<tr><td>${esc(r.split)}</td><td>${esc(r.dataset)}</td><td>${esc(r.label)}</td><td>${esc(r.location)}</td><td class="n">${r.images.toLocaleString('en-US')}</td></tr>`)
    .join('')}</table></details>`;
}

function evaluationSection(d: ReportData): string {
  const e = d.evaluation;
  if (!e) {
    const why = d.training ? 'the training run has no evaluation yet: run `train evaluate`' : 'no training run: this pipeline builds data only, or training has not run yet';
    return section('Evaluation', `<p class="missing">No evaluation — ${esc(why)}.</p>`);
  }
  const gap = d.validation ? Math.abs(d.validation.balancedAccuracy - e.balancedAccuracy) : 0;
  const warn =
    gap > GENERALISATION_GAP
      ? `<p class="notes">Validation and ${esc(e.split)} balanced accuracy differ by ${(100 * gap).toFixed(1)} points: one of the splits holds data the model does not generalise to (see the rows marked “unseen in train”).</p>`
      : '';
  return warn + (d.validation ? evaluationBlock(d.validation) : '') + evaluationBlock(e);
}

function evaluationBlock(e: NonNullable<ReportData['evaluation']>): string {
  const matrix = heatmap({ title: `Confusion matrix (${e.split}, rows = true class)`, rows: e.classes, cols: e.classes, values: e.confusion, normalizeRows: true, colLabel: 'predicted' });
  const perClass = e.perClass?.length
    ? `<table><tr><th>class</th><th class="n">images</th><th class="n">recall</th><th class="n">precision</th></tr>${e.perClass
        .map((c) => `<tr><td>${esc(c.label)}</td><td class="n">${c.images.toLocaleString('en-US')}</td><td class="n">${pct(c.recall)}</td><td class="n">${pct(c.precision)}</td></tr>`)
        .join('')}</table>`
    : '';
  const per = [...e.perDataset].sort((a, b) => a.label.localeCompare(b.label) || a.dataset.localeCompare(b.dataset));
  const perTable = per.length
    ? `<h3>Per-dataset accuracy (${esc(e.split)} split)</h3><table><tr><th>dataset</th><th>class</th><th>location</th><th class="n">images</th><th class="n">correct</th><th class="n">accuracy</th><th>class × location in train</th></tr>${per
        .map(
          (r) =>
            `<tr${r.accuracy < 0.5 ? ' class="bad"' : ''}><td>${esc(r.dataset)}</td><td>${esc(r.label)}</td><td>${esc(r.location ?? '')}</td><td class="n">${r.images.toLocaleString('en-US')}</td><td class="n">${r.correct.toLocaleString('en-US')}</td><td class="n">${pct(r.accuracy)}</td><td>${r.unseenInTrain ? '<b>unseen in train</b>' : r.unseenInTrain === false ? 'seen' : ''}</td></tr>`,
        )
        .join('')}</table>`
    : '';
  return section(
    `Evaluation on the ${e.split} split`,
    `<p class="meta">${e.images.toLocaleString('en-US')} images · accuracy <b>${pct(e.accuracy)}</b> · balanced accuracy <b>${pct(e.balancedAccuracy)}</b>${e.seconds !== undefined ? ` · ${secondsText(e.seconds)}` : ''}</p>
<div class="row">${matrix}<div>${perClass}</div></div>${e.paper ? paperHtml(e.paper) : ''}${perTable}`,
  );
}

function trainingSection(d: ReportData): string {
  const t = d.training;
  if (!t) return section('Training', '<p class="missing">No training run found (pipelines without a <code>train</code> section build data only).</p>');
  if (t.epochs.length === 0) return section('Training', `<p class="missing">Run <code>${esc(t.runId)}</code> has no metrics yet.</p>`);
  const pts = (k: keyof (typeof t.epochs)[number]) => t.epochs.filter((e) => typeof e[k] === 'number').map((e) => [e.epoch, e[k] as number] as [number, number]);
  const loss = lineChart({ title: 'Loss', xLabel: 'epoch', series: [{ name: 'train', points: pts('trainLoss') }, { name: 'validate', points: pts('valLoss'), dashed: true }] });
  const acc = lineChart({
    title: 'Accuracy',
    xLabel: 'epoch',
    yRange: [0, 1],
    series: [
      { name: 'train', points: pts('trainAcc') },
      { name: 'validate', points: pts('valAcc'), dashed: true },
      { name: 'validate balanced', points: pts('valBalancedAcc'), dashed: true },
    ].filter((s) => s.points.length > 0),
  });
  const cfg = t.config
    ? `<p class="meta">${CONFIG_KEYS.filter((k) => t.config![k] !== undefined && t.config![k] !== null && typeof t.config![k] !== 'object')
        .map((k) => [k, t.config![k]] as const)
        .map(([k, v]) => `${esc(k)} <b>${esc(String(v))}</b>`)
        .join(' · ')}</p>`
    : '';
  const last = t.epochs[t.epochs.length - 1]!;
  const speed = last.imagesPerSecond !== undefined ? `<p class="meta">last epoch: ${compact(last.imagesPerSecond)} images/s${last.seconds !== undefined ? `, ${secondsText(last.seconds)}` : ''}</p>` : '';
  return section(`Training run ${t.runId}`, `${cfg}<div class="row">${loss}${acc}</div>${speed}`);
}

/** Training settings worth a glance, in reading order (config.json holds more). */
const CONFIG_KEYS = ['arch', 'width', 'imageSize', 'params', 'epochs', 'batch', 'lr', 'momentum', 'weightDecay', 'plateauPatience', 'seed', 'backend', 'backendRequest', 'version'];

function capsSection(d: ReportData): string {
  const c = d.caps;
  if (!c) return section('Caps', '<p class="missing">No plan found, so no cap summary.</p>');
  const cut = c.rows.filter((r) => r.cappedFrom > r.images);
  const totalImages = c.rows.reduce((a, r) => a + r.images, 0);
  const totalBefore = c.rows.reduce((a, r) => a + Math.max(r.cappedFrom, r.images), 0);
  const rows = [...c.rows].sort((a, b) => b.cappedFrom - b.images - (a.cappedFrom - a.images) || a.dataset.localeCompare(b.dataset));
  return section(
    'Plan and caps',
    `<p class="meta">${totalImages.toLocaleString('en-US')} images planned of ${totalBefore.toLocaleString('en-US')} listed · ${cut.length} dataset/class pairs capped · <code>${esc(c.plan)}</code></p>
<table><tr><th>dataset</th><th>class</th><th class="n">series</th><th class="n">images</th><th class="n">before cap</th><th class="n">kept</th></tr>${rows
      .map((r) => `<tr><td>${esc(r.dataset)}</td><td>${esc(r.label)}</td><td class="n">${r.series.toLocaleString('en-US')}</td><td class="n">${r.images.toLocaleString('en-US')}</td><td class="n">${Math.max(r.cappedFrom, r.images).toLocaleString('en-US')}</td><td class="n">${r.cappedFrom > r.images ? pct(r.images / r.cappedFrom) : '100%'}</td></tr>`)
      .join('')}</table>`,
  );
}

function rejectsSection(d: ReportData): string {
  const r = d.rejects;
  if (!r || r.total === 0) return section('Rejects', '<p class="ok">No rejected files.</p>');
  const top = r.reasons.slice(0, 8);
  const chart = hBarChart({
    title: 'Rejects by reason',
    bars: top.map((x) => ({ label: `${x.stage}: ${x.code}`, value: x.count, color: '#e15759' })),
  });
  const table = `<table><tr><th>stage</th><th>code</th><th class="n">count</th><th>examples</th></tr>${r.reasons
    .map((x) => `<tr><td>${esc(x.stage)}</td><td><code>${esc(x.code)}</code></td><td class="n">${x.count.toLocaleString('en-US')}</td><td class="ex">${x.examples.map((e) => `<div><code>${esc(e.key)}</code> — ${esc(e.reason)}</div>`).join('')}</td></tr>`)
    .join('')}</table>`;
  return section('Rejects', `<p class="meta">${r.total.toLocaleString('en-US')} rejected · <code>${esc(r.file)}</code></p><div class="row">${chart}</div>${table}`);
}

function timingSection(d: ReportData): string {
  const t = d.timing;
  if (!t) return section('Pipeline steps', '<p class="missing">No pipeline run log found (the data was built with single commands).</p>');
  const ran = t.steps.filter((s) => s.status !== 'skipped');
  const chart = ran.length
    ? hBarChart({ title: 'Seconds per step', bars: ran.map((s) => ({ label: s.step, value: s.seconds, color: '#4e79a7' })), labelWidth: 110 })
    : '';
  const table = `<table><tr><th>step</th><th>status</th><th class="n">time</th><th>counts</th><th class="n">throughput</th></tr>${t.steps
    .map((s) => {
      const tp = throughputOf(s);
      return `<tr class="${esc(s.status)}"><td>${esc(s.step)}</td><td>${esc(s.status)}${s.reason ? ` <span class="why">(${esc(s.reason)})</span>` : ''}</td><td class="n">${secondsText(s.seconds)}</td><td>${Object.entries(s.counts)
        .map(([k, v]) => `${esc(k)} ${esc(typeof v === 'number' ? v.toLocaleString('en-US') : v)}`)
        .join(', ')}</td><td class="n">${tp ? esc(tp) : ''}</td></tr>`;
    })
    .join('')}</table>`;
  return section(
    'Pipeline steps',
    `<p class="meta">pipeline <b>${esc(t.pipeline)}</b> · started ${esc(t.startedAt)} · ${esc(t.status)} · ${secondsText(t.totalSeconds)} · <code>${esc(t.logFile)}</code></p><div class="row">${chart}</div>${table}`,
  );
}

function section(title: string, inner: string): string {
  return `<section><h2>${esc(title)}</h2>${inner}</section>`;
}

const CSS = `
:root{--fg:#1d2330;--muted:#5d6677;--line:#e3e7ee;--bg:#f6f8fb;--accent:#4e79a7}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
main{max-width:1180px;margin:0 auto;padding:24px}
header h1{margin:0 0 4px;font-size:24px}
.sub{margin:0 0 14px;color:var(--muted)}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:10px 16px;min-width:130px}
.card .v{font-size:22px;font-weight:600;color:var(--accent)}
.card .k{color:var(--muted);font-size:12px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:18px 0}
h2{margin:0 0 8px;font-size:18px}
h3{font-size:15px;margin:16px 0 6px}
.meta{color:var(--muted);margin:0 0 10px}
.row{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}
table{border-collapse:collapse;margin:10px 0;font-size:13px}
th,td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
th{background:#fafbfd;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.bad td{background:#fff1f0}
tr.skipped td{color:var(--muted)}
tr.failed td{background:#fff1f0}
.why{color:var(--muted);font-size:12px}
td.ex{font-size:12px;max-width:620px;word-break:break-all}
.missing{color:#8a6d3b;background:#fcf8e3;padding:8px 12px;border-radius:6px}
.ok{color:#2e7d32}
.notes p{margin:4px 0;color:#8a6d3b}
.legend{display:flex;flex-wrap:wrap;gap:14px;margin:6px 0 4px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
details summary{cursor:pointer;color:var(--accent);margin:6px 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#f1f3f7;padding:1px 4px;border-radius:3px}
${CHART_CSS}footer{color:var(--muted);font-size:12px;margin-top:20px}
`;
