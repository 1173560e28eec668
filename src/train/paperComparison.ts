import fs from 'node:fs';
import { loadManifest, type DatasetManifest } from '../curate/index.ts';
import type { GroupAccuracy } from './metrics.ts';

/**
 * The paper's Table 3 beside our evaluation: for each test dataset × class, the accuracy the paper
 * reports (from the dataset manifest's `paper` rows) and ours, plus the paper's headline
 * (`paperHeadline`, e.g. ResNet-18 96.00 % / 86.17 % balanced) beside our overall figures.
 * Percentages throughout, as the paper prints them.
 */

export interface PaperRowComparison {
  dataset: string;
  /** The paper's location for the row where it has one, else the manifest's. */
  location: string;
  modality: string;
  /** The paper's accuracy %, null where Table 3 has no figure for this dataset × class. */
  paper: number | null;
  /** Our accuracy %, null where the evaluated split has no images of this dataset × class. */
  ours: number | null;
  images: number;
}

export interface PaperComparison {
  source: string;
  headline: { arch: string; accuracy: number; balancedAccuracy: number; source?: string } | null;
  ours: { arch: string; accuracy: number | null; balancedAccuracy: number | null };
  rows: PaperRowComparison[];
}

const pct = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : Math.round(x * 10000) / 100);

/**
 * Table 3 rows for the datasets the manifest puts in test (optional ones included when evaluated),
 * or undefined when the manifest records no paper figures at all.
 */
export function comparePaper(
  manifest: DatasetManifest,
  groups: readonly GroupAccuracy[],
  ours: { arch: string; accuracy: number | null; balancedAccuracy: number | null },
  source = manifest.name,
): PaperComparison | undefined {
  const all = [...manifest.datasets, ...(manifest.optionalDatasets ?? [])];
  if (!manifest.paperHeadline && !all.some((d) => d.paper)) return undefined;
  const evaluated = new Set(groups.map((g) => g.dataset));
  const rows: PaperRowComparison[] = [];
  for (const d of all) {
    const optional = !manifest.datasets.includes(d);
    if (d.split !== 'test' || (optional && !evaluated.has(d.name))) continue;
    const mine = groups.filter((g) => g.dataset === d.name);
    const modalities = [...new Set([...(d.paper ?? []).map((p) => p.modality), ...mine.map((g) => g.modality)])];
    for (const modality of modalities) {
      const p = d.paper?.find((x) => x.modality === modality);
      const g = mine.find((x) => x.modality === modality);
      rows.push({ dataset: d.name, location: p?.location ?? d.location, modality, paper: p ? p.accuracy : null, ours: g ? pct(g.accuracy) : null, images: g?.images ?? 0 });
    }
  }
  const h = manifest.paperHeadline;
  return {
    source,
    headline: h ? { arch: h.arch, accuracy: h.accuracy, balancedAccuracy: h.balancedAccuracy, ...(h.source ? { source: h.source } : {}) } : null,
    ours: { arch: ours.arch, accuracy: pct(ours.accuracy), balancedAccuracy: pct(ours.balancedAccuracy) },
    rows,
  };
}

/** The comparison for an evaluation of the dataset manifest at `manifestPath` (undefined when unreadable or without figures). */
export function comparePaperFromFile(
  manifestPath: string | undefined,
  groups: readonly GroupAccuracy[],
  ours: { arch: string; accuracy: number | null; balancedAccuracy: number | null },
): PaperComparison | undefined {
  if (!manifestPath || !fs.existsSync(manifestPath)) return undefined;
  let manifest: DatasetManifest;
  try {
    manifest = loadManifest(manifestPath);
  } catch {
    return undefined; // the evaluation does not depend on the manifest still parsing
  }
  return comparePaper(manifest, groups, ours);
}

const cell = (x: number | null) => (x === null ? '–' : `${x.toFixed(x % 1 === 0 ? 0 : 2)} %`);

/** Markdown: headline line and the per dataset × class table. */
export function paperMarkdown(c: PaperComparison): string[] {
  const out = ['## The paper beside this run (Table 3)', ''];
  if (c.headline) {
    out.push(
      `| | accuracy | balanced accuracy |`,
      `|---|---:|---:|`,
      `| paper, ${c.headline.arch}${c.headline.source ? ` (${c.headline.source})` : ''} | ${c.headline.accuracy.toFixed(2)} % | ${c.headline.balancedAccuracy.toFixed(2)} % |`,
      `| this run, ${c.ours.arch} | ${cell(c.ours.accuracy)} | ${cell(c.ours.balancedAccuracy)} |`,
      '',
    );
  }
  out.push('| dataset | location | class | images | paper | this run | difference |', '|---|---|---|---:|---:|---:|---:|');
  for (const r of c.rows) {
    const diff = r.paper !== null && r.ours !== null ? `${r.ours - r.paper >= 0 ? '+' : ''}${(r.ours - r.paper).toFixed(1)}` : '–';
    out.push(`| ${r.dataset} | ${r.location} | ${r.modality} | ${r.images} | ${cell(r.paper)} | ${cell(r.ours)} | ${diff} |`);
  }
  out.push('');
  return out;
}
