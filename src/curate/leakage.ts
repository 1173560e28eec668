import type { Split } from '../core/types.ts';
import { HashFirstSeen } from './hashFirstSeen.ts';

/**
 * Leakage between splits: (a) one PatientID in datasets on different sides (TCIA collections can
 * share patients, e.g. NSCLC-Radiomics and NSCLC-Radiomics-Interobserver1); (b) identical output
 * pixels (same pixelHash) on different sides. Samples are collected per dataset, so the same scan
 * can judge any assignment (the manifest's, or a proposed one) without reading data again. Memory:
 * 16–32 bytes per distinct pixel hash (hashFirstSeen.ts) and a map entry per patient.
 */

export interface LeakageSide {
  dataset: string;
  split: Split;
}

export interface LeakageReport {
  clean: boolean;
  sharedPatients: { count: number; examples: Array<{ patientId: string; sides: LeakageSide[] }> };
  duplicateImages: { count: number; examples: Array<{ pixelHash: string; sides: LeakageSide[]; sample: string }> };
}

export class LeakageCollector {
  private readonly datasetIds = new Map<string, number>();
  private readonly datasetNames: string[] = [];
  /** patient → dataset ids (a patient is in few datasets, so a small array). */
  private readonly patients = new Map<string, number[]>();
  /** pixel hash → first dataset id (typed arrays: millions of images); hashes seen in a second dataset also go to `multiHash`. */
  private readonly hashes = new HashFirstSeen();
  private readonly multiHash = new Map<string, { ids: number[]; sample: string }>();

  add(dataset: string, patientId: string, pixelHash: string, sampleKey: string): void {
    let id = this.datasetIds.get(dataset);
    if (id === undefined) {
      id = this.datasetNames.length;
      this.datasetIds.set(dataset, id);
      this.datasetNames.push(dataset);
    }
    if (patientId) {
      const ids = this.patients.get(patientId);
      if (!ids) this.patients.set(patientId, [id]);
      else if (!ids.includes(id)) ids.push(id);
    }
    if (pixelHash) {
      const first = this.hashes.firstOrSet(pixelHash, id);
      if (first !== id) {
        const m = this.multiHash.get(pixelHash);
        if (!m) this.multiHash.set(pixelHash, { ids: [first, id], sample: sampleKey });
        else if (!m.ids.includes(id)) m.ids.push(id);
      }
    }
  }

  /** Leakage under `assignments` (datasets without a split are ignored). */
  report(assignments: Readonly<Record<string, Split>>, maxExamples = 10): LeakageReport {
    const sidesOf = (ids: number[]): LeakageSide[] =>
      ids
        .map((i) => this.datasetNames[i]!)
        .filter((d) => assignments[d] !== undefined)
        .map((d) => ({ dataset: d, split: assignments[d]! }))
        .sort((a, b) => a.split.localeCompare(b.split) || a.dataset.localeCompare(b.dataset));
    const crosses = (sides: LeakageSide[]) => new Set(sides.map((s) => s.split)).size > 1;

    const patientExamples: LeakageReport['sharedPatients']['examples'] = [];
    let patientCount = 0;
    for (const pid of [...this.patients.keys()].sort()) {
      const ids = this.patients.get(pid)!;
      if (ids.length < 2) continue;
      const sides = sidesOf(ids);
      if (!crosses(sides)) continue;
      patientCount++;
      if (patientExamples.length < maxExamples) patientExamples.push({ patientId: pid, sides });
    }
    const imageExamples: LeakageReport['duplicateImages']['examples'] = [];
    let imageCount = 0;
    for (const h of [...this.multiHash.keys()].sort()) {
      const m = this.multiHash.get(h)!;
      const sides = sidesOf(m.ids);
      if (!crosses(sides)) continue;
      imageCount++;
      if (imageExamples.length < maxExamples) imageExamples.push({ pixelHash: h, sides, sample: m.sample });
    }
    return {
      clean: patientCount === 0 && imageCount === 0,
      sharedPatients: { count: patientCount, examples: patientExamples },
      duplicateImages: { count: imageCount, examples: imageExamples },
    };
  }
}

/** One-paragraph text for logs and reports. */
export function formatLeakage(r: LeakageReport): string {
  if (r.clean) return 'leakage: none (no patient or identical image on two sides)';
  const lines: string[] = [];
  if (r.sharedPatients.count > 0) {
    lines.push(`leakage: ${r.sharedPatients.count} patient ID(s) in datasets on different sides`);
    for (const e of r.sharedPatients.examples.slice(0, 5)) {
      lines.push(`  patient ${e.patientId}: ${e.sides.map((s) => `${s.dataset} (${s.split})`).join(', ')}`);
    }
  }
  if (r.duplicateImages.count > 0) {
    lines.push(`leakage: ${r.duplicateImages.count} identical image(s) on different sides`);
    for (const e of r.duplicateImages.examples.slice(0, 5)) {
      lines.push(`  pixels ${e.pixelHash} (${e.sample}): ${e.sides.map((s) => `${s.dataset} (${s.split})`).join(', ')}`);
    }
  }
  return lines.join('\n');
}
