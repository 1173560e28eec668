import { readNifti } from './nifti.ts';
import { readNpy } from './npy.ts';
import type { Volume } from './volume.ts';

/** Volume file formats: one staged sample per 2-D slice. */
export const VOLUME_FORMATS = ['npy', 'nifti'] as const;
export type VolumeFormat = (typeof VOLUME_FORMATS)[number];

export async function readVolume(format: VolumeFormat, bytes: Uint8Array, name: string): Promise<Volume> {
  return format === 'npy' ? readNpy(bytes) : readNifti(bytes, name);
}
