import type { ReportData } from './model.ts';
import { paperMarkdownLines } from './paperTable.ts';
import { orderedSplits, pct, secondsText, throughputOf } from './summarize.ts';

/** The report as Markdown (for a terminal, a PR comment or a wiki): the same figures as tables. */
export function renderMarkdown(d: ReportData): string {
  const out: string[] = [`# ${d.title}`, '', `Generated ${d.generatedAt} from \`${d.dataDir}\`.`, ''];
  for (const n of d.notes) out.push(`> ${md(n)}`);
  if (d.notes.length) out.push('');

  const ds = d.dataset;
  out.push('## Dataset', '');
  if (!ds || ds.counts.length === 0) out.push('No published dataset found.', '');
  else {
    out.push(`Dataset **${md(ds.name)}**${ds.version ? ` version \`${ds.version}\`` : ''}${ds.path ? ` at \`${ds.path}\`` : ''}.`, '');
    const splits = orderedSplits(ds.counts.map((c) => c.split));
    const classes = ds.classes?.length ? ds.classes : [...new Set(ds.counts.map((c) => c.label))].sort();
    out.push(table(['split', ...classes, 'total', 'datasets', 'locations'], splits.map((s) => {
      const rows = ds.counts.filter((c) => c.split === s);
      const cells = classes.map((l) => rows.filter((r) => r.label === l).reduce((a, r) => a + r.images, 0));
      return [s, ...cells.map(num), num(cells.reduce((a, b) => a + b, 0)), String(new Set(rows.map((r) => r.dataset)).size), String(new Set(rows.map((r) => r.location)).size)];
    }), 1));
    out.push('', '### Images per split, class and location', '');
    const keys = new Map<string, number>();
    for (const c of ds.counts) keys.set(`${c.split}\u0000${c.label}\u0000${c.location}`, (keys.get(`${c.split}\u0000${c.label}\u0000${c.location}`) ?? 0) + c.images);
    const rows = [...keys.entries()].map(([k, v]) => [...k.split('\u0000'), num(v)]).sort((a, b) => splits.indexOf(a[0]!) - splits.indexOf(b[0]!) || a[1]!.localeCompare(b[1]!) || a[2]!.localeCompare(b[2]!));
    out.push(table(['split', 'class', 'location', 'images'], rows, 3), '');
  }

  out.push('## Evaluation', '');
  if (!d.evaluation) out.push(d.training ? 'The training run has no evaluation yet.' : 'No training run (data-only pipeline, or training has not run).', '');
  // Validation first, then the test split: the two side by side show whether the model generalises.
  for (const e of d.evaluation ? [d.validation, d.evaluation].filter((x) => x !== undefined) : []) {
    out.push(`${md(e.split)} split: ${num(e.images)} images, accuracy **${pct(e.accuracy)}**, balanced accuracy **${pct(e.balancedAccuracy)}**.`, '');
    out.push('Confusion matrix (rows = true class, columns = predicted):', '');
    out.push(table(['true \\ predicted', ...e.classes], e.classes.map((c, i) => [c, ...(e.confusion[i] ?? []).map(num)]), 1), '');
    if (e.paper) out.push(...paperMarkdownLines(e.paper));
    if (e.perDataset.length) {
      out.push(`### Per-dataset accuracy (${md(e.split)})`, '');
      out.push(table(['dataset', 'class', 'location', 'images', 'correct', 'accuracy', 'class × location in train'], [...e.perDataset]
        .sort((a, b) => a.label.localeCompare(b.label) || a.dataset.localeCompare(b.dataset))
        .map((r) => [r.dataset, r.label, r.location ?? '', num(r.images), num(r.correct), pct(r.accuracy), r.unseenInTrain ? '**unseen**' : r.unseenInTrain === false ? 'seen' : '']), 3), '');
    }
  }

  out.push('## Training', '');
  const t = d.training;
  if (!t) out.push('No training run found.', '');
  else {
    out.push(`Run \`${t.runId}\` (\`${t.dir}\`).`, '');
    out.push(table(['epoch', 'train loss', 'train acc', 'val loss', 'val acc', 'val balanced acc', 'lr'], t.epochs.map((r) => [
      String(r.epoch), fx(r.trainLoss), pctOpt(r.trainAcc), fx(r.valLoss), pctOpt(r.valAcc), pctOpt(r.valBalancedAcc), r.lr === undefined ? '' : String(r.lr),
    ]), 0), '');
  }

  out.push('## Plan and caps', '');
  if (!d.caps) out.push('No plan found.', '');
  else {
    const capped = d.caps.rows.filter((r) => r.cappedFrom > r.images);
    out.push(`${num(d.caps.rows.reduce((a, r) => a + r.images, 0))} images planned; ${capped.length} dataset/class pairs capped (\`${d.caps.plan}\`).`, '');
    if (capped.length) out.push(table(['dataset', 'class', 'images', 'before cap'], capped.map((r) => [r.dataset, r.label, num(r.images), num(r.cappedFrom)]), 2), '');
  }

  out.push('## Rejects', '');
  if (!d.rejects || d.rejects.total === 0) out.push('No rejected files.', '');
  else {
    out.push(`${num(d.rejects.total)} rejected (\`${d.rejects.file}\`).`, '');
    out.push(table(['stage', 'code', 'count', 'example'], d.rejects.reasons.map((r) => [r.stage, r.code, num(r.count), r.examples[0] ? `${r.examples[0].key}: ${r.examples[0].reason}` : '']), 2), '');
  }

  out.push('## Pipeline steps', '');
  if (!d.timing) out.push('No pipeline run log found.', '');
  else {
    out.push(`Pipeline **${md(d.timing.pipeline)}**, started ${md(d.timing.startedAt)}, ${md(d.timing.status)}, ${secondsText(d.timing.totalSeconds)}.`, '');
    out.push(table(['step', 'status', 'time', 'counts', 'throughput'], d.timing.steps.map((s) => [
      s.step, s.status, secondsText(s.seconds), Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', '), throughputOf(s) ?? '',
    ]), 2), '');
  }
  return out.join('\n');
}

/** A GitHub table; columns from `firstNumeric` on are right-aligned. */
function table(head: string[], rows: string[][], firstNumeric: number): string {
  const cell = (s: string) => md(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const align = head.map((_, i) => (i >= firstNumeric ? '---:' : '---'));
  return [`| ${head.map(cell).join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function num(n: number | undefined): string {
  return n === undefined ? '' : n.toLocaleString('en-US');
}
function fx(n: number | undefined): string {
  return n === undefined ? '' : n.toFixed(4);
}
function pctOpt(n: number | undefined): string {
  return n === undefined ? '' : pct(n);
}

/**
 * Text from the data (dataset names, reject reasons, server messages) as Markdown text: renderers
 * pass raw HTML through, so `<`, `>` and `&` become entities (code spans need none).
 */
function md(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
