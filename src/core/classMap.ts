import { ConfigError } from './errors.ts';
import { DEFAULT_CLASS_MAP } from './types.ts';

/** DICOM Modality → class label. Modalities not in the map (NM, XA, US, SEG, RTSTRUCT, SR, …) are excluded. */
export type ClassMap = Readonly<Record<string, string>>;

/** Class of a modality, or undefined when the map drops it. Modality codes compare upper-cased. */
export function classOf(modality: string | undefined, map: ClassMap = DEFAULT_CLASS_MAP): string | undefined {
  if (!modality) return undefined;
  return map[modality.trim().toUpperCase()];
}

/** Normalise a class map from a manifest or config: upper-case modality keys, non-empty labels. */
export function normalizeClassMap(map: Record<string, string> | undefined): ClassMap {
  if (!map) return DEFAULT_CLASS_MAP;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(map)) {
    if (!/^[A-Za-z0-9]+$/.test(k) || v.trim() === '') {
      throw new ConfigError(`class map entry "${k}": "${v}" is not a DICOM modality code mapped to a class`, {
        hint: 'e.g. {"CT": "CT", "CR": "XR"}',
      });
    }
    out[k.toUpperCase()] = v.trim();
  }
  return out;
}

/** The class labels a map produces, sorted. */
export function labelsOf(map: ClassMap): string[] {
  return [...new Set(Object.values(map))].sort();
}

/** `--modality CT,MR`: upper-cased DICOM modality codes. */
export function parseModalities(text: string | string[] | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const parts = (Array.isArray(text) ? text : [text]).flatMap((t) => t.split(',')).map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  for (const p of parts) {
    if (!/^[A-Za-z0-9]{1,16}$/.test(p)) {
      throw new ConfigError(`\`modalities\`: "${p}" is not a DICOM modality code`, { hint: 'e.g. `modalities` CT,MR,PT,CR,DX,MG' });
    }
  }
  return [...new Set(parts.map((p) => p.toUpperCase()))].sort();
}
