/** SOP classes that hold no decodable image (skipped before any pixel work), with their names. */

const NAMES: Record<string, string> = {
  '1.2.840.10008.1.3.10': 'Media Storage Directory Storage (DICOMDIR)',
  '1.2.840.10008.5.1.4.1.1.66': 'Raw Data Storage',
  '1.2.840.10008.5.1.4.1.1.66.1': 'Spatial Registration Storage',
  '1.2.840.10008.5.1.4.1.1.66.2': 'Spatial Fiducials Storage',
  '1.2.840.10008.5.1.4.1.1.66.3': 'Deformable Spatial Registration Storage',
  '1.2.840.10008.5.1.4.1.1.66.4': 'Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.5': 'Surface Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.66.6': 'Tractography Results Storage',
  '1.2.840.10008.5.1.4.1.1.66.7': 'Label Map Segmentation Storage',
  '1.2.840.10008.5.1.4.1.1.67': 'Real World Value Mapping Storage',
  '1.2.840.10008.5.1.4.1.1.4.2': 'MR Spectroscopy Storage',
  '1.2.840.10008.5.1.4.1.1.481.2': 'RT Dose Storage',
  '1.2.840.10008.5.1.4.1.1.481.3': 'RT Structure Set Storage',
  '1.2.840.10008.5.1.4.1.1.481.4': 'RT Beams Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.5': 'RT Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.6': 'RT Brachy Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.7': 'RT Treatment Summary Record Storage',
  '1.2.840.10008.5.1.4.1.1.481.8': 'RT Ion Plan Storage',
  '1.2.840.10008.5.1.4.1.1.481.9': 'RT Ion Beams Treatment Record Storage',
  '1.2.840.10008.5.1.4.1.1.88.11': 'Basic Text SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.22': 'Enhanced SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.33': 'Comprehensive SR Storage',
  '1.2.840.10008.5.1.4.1.1.88.59': 'Key Object Selection Document Storage',
  '1.2.840.10008.5.1.4.1.1.88.67': 'X-Ray Radiation Dose SR Storage',
  '1.2.840.10008.5.1.4.1.1.11.1': 'Grayscale Softcopy Presentation State Storage',
  '1.2.840.10008.5.1.4.1.1.104.1': 'Encapsulated PDF Storage',
  '1.2.840.10008.5.1.4.1.1.104.2': 'Encapsulated CDA Storage',
  '1.2.840.10008.5.1.4.1.1.104.3': 'Encapsulated STL Storage',
  '1.2.840.10008.5.1.4.39.1': 'Color Palette Storage',
};

/** Prefixes of whole families (SR, PR, waveforms, encapsulated documents, RT objects, palettes…). */
const FAMILIES: Array<[prefix: string, family: string]> = [
  ['1.2.840.10008.5.1.4.1.1.88.', 'Structured Report'],
  ['1.2.840.10008.5.1.4.1.1.11.', 'Presentation State'],
  ['1.2.840.10008.5.1.4.1.1.9.', 'Waveform'],
  ['1.2.840.10008.5.1.4.1.1.104.', 'Encapsulated Document'],
  ['1.2.840.10008.5.1.4.1.1.481.', 'Radiotherapy object'],
  ['1.2.840.10008.5.1.4.1.1.66.', 'Segmentation/registration object'],
  ['1.2.840.10008.5.1.4.1.1.68.', 'Surface object'],
  ['1.2.840.10008.5.1.4.1.1.200.', 'Protocol storage'],
  ['1.2.840.10008.5.1.4.39.', 'Color Palette'],
  ['1.2.840.10008.5.1.4.34.', 'Treatment plan object'],
];

/** RT Image is an image (portal/DRR) even though it sits in the RT family. */
const IMAGE_EXCEPTIONS = new Set(['1.2.840.10008.5.1.4.1.1.481.1']);

/** Name of a non-image SOP class, or null when the class may hold an image. */
export function nonImageSopClass(uid: string): string | null {
  if (IMAGE_EXCEPTIONS.has(uid)) return null;
  const name = NAMES[uid];
  if (name) return name;
  for (const [prefix, family] of FAMILIES) if (uid.startsWith(prefix)) return family;
  return null;
}

export function sopClassLabel(uid: string): string {
  const name = NAMES[uid] ?? FAMILIES.find(([p]) => uid.startsWith(p))?.[1];
  return name ? `${name} (${uid})` : uid || '(no SOP Class UID)';
}
