import { ConfigError } from '../core/errors.ts';
import { DEFAULT_CAP_ORDER, DEFAULT_CAPS, type CapOrder } from './caps.ts';
import { labelsOf, type ClassMap } from '../core/classMap.ts';
import { collectionOf, type ManifestDataset } from './manifest.ts';
import type { PlanDataset } from './plan.ts';
import { rejectRateOption } from '../core/rejects.ts';

/**
 * The options every fetch shares whatever the archive (TCIA, IDC): caps, cap order, modality
 * filter, concurrency, reject budget, plan name, attempts. Checked before any network work.
 */
export interface SelectionInput {
  modalities?: string[] | undefined;
  caps?: Record<string, number> | undefined;
  capOrder?: CapOrder | undefined;
  concurrency?: number | undefined;
  maxRejectRate?: number | undefined;
  planName?: string | undefined;
  maxAttempts?: number | undefined;
}

export interface Selection {
  modalities: string[] | undefined;
  caps: Record<string, number>;
  capOrder: CapOrder;
  concurrency: number;
  maxRejectRate: number;
  planName: string;
}

/** `base` holds what a dataset manifest set (caps, cap order, plan name); options override it. */
export function validateSelection(o: SelectionInput, classMap: ClassMap, base: { caps?: Record<string, number>; capOrder?: CapOrder; planName: string; concurrency: number }): Selection {
  const labels = labelsOf(classMap);
  let caps: Record<string, number> = { ...(base.caps ?? DEFAULT_CAPS) };
  if (o.caps) {
    for (const k of Object.keys(o.caps)) {
      if (!labels.includes(k)) throw new ConfigError(`\`caps\`: unknown class "${k}" (classes: ${labels.join(', ')})`, { hint: 'caps are per class, e.g. `caps` CT=50000,MR=100000' });
    }
    caps = { ...caps, ...o.caps };
  }
  let capOrder: CapOrder = base.capOrder ?? DEFAULT_CAP_ORDER;
  if (o.capOrder) {
    if (o.capOrder !== 'tcia' && o.capOrder !== 'spread') throw new ConfigError(`\`capOrder\` must be tcia or spread, got "${String(o.capOrder)}"`);
    capOrder = o.capOrder;
  }
  if (o.modalities) {
    for (const m of o.modalities) {
      if (!(m.toUpperCase() in classMap)) {
        throw new ConfigError(`\`modalities\` ${m}: the class map drops it (known: ${Object.keys(classMap).sort().join(', ')})`, {
          hint: 'only modalities mapped to a class can be fetched; SEG, RTSTRUCT, SR, NM, US, XA are excluded',
        });
      }
    }
  }
  const concurrency = o.concurrency ?? base.concurrency;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    throw new ConfigError(`\`concurrency\` must be a whole number from 1 to 64, got ${concurrency}`, { hint: `default ${base.concurrency}` });
  }
  const maxRejectRate = rejectRateOption(o.maxRejectRate, 'planned series');
  let planName = base.planName;
  if (o.planName !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(o.planName)) {
      throw new ConfigError(`\`planName\` "${o.planName}" must be letters, digits, ".", "_" or "-"`, { hint: 'it becomes plans/<name>.json' });
    }
    planName = o.planName;
  }
  if (o.maxAttempts !== undefined && (!Number.isInteger(o.maxAttempts) || o.maxAttempts < 1)) {
    throw new ConfigError(`\`maxAttempts\` must be a whole number ≥ 1, got ${o.maxAttempts}`);
  }
  return {
    modalities: o.modalities ? [...new Set(o.modalities.map((m) => m.toUpperCase()))].sort() : undefined,
    caps,
    capOrder,
    concurrency,
    maxRejectRate,
    planName,
  };
}

/** A manifest dataset as the plan step sees it; one used for some classes only takes those classes' modalities. */
export function planDatasetOf(d: ManifestDataset, classMap: ClassMap): PlanDataset {
  const modalities = d.modalities ?? (d.classes ? Object.keys(classMap).filter((m) => d.classes!.includes(classMap[m]!)).sort() : undefined);
  return { name: d.name, collection: collectionOf(d), location: d.location, ...(modalities ? { modalities } : {}) };
}
