import { DEFAULT_CLASS_MAP } from '../../core/types.ts';
import type { DatasetManifest } from '../../curate/index.ts';
import { presetSpecs, type SynthPreset } from './presets.ts';

/**
 * The dataset manifest of a synth preset (manifests/<preset>.json): one dataset per collection
 * with its class, body location and dataset-level split. Tests check the files match this.
 */
export function presetManifest(preset: Exclude<SynthPreset, 'bench' | 'paper'>): DatasetManifest {
  const specs = presetSpecs(preset);
  return {
    name: `synth-${preset}`,
    description: `Synthetic TCIA-like collections written by \`etl tcia synth --preset ${preset}\` (served by \`etl tcia serve\`). Splits are by dataset: no collection appears in two splits.`,
    source: 'medimg-etl synthetic data (src/standins/synth/presets.ts)',
    classes: ['CT', 'MR', 'PT', 'XR'],
    datasets: specs.map((s) => ({
      name: s.collection,
      source: 'tcia' as const,
      collection: s.collection,
      modalities: [s.modality],
      classes: [DEFAULT_CLASS_MAP[s.modality]!],
      location: s.location,
      split: s.split,
    })),
  };
}
