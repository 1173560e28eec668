import sharp, { type OutputInfo } from 'sharp';
import { DataError, messageOf } from '../core/errors.ts';

/**
 * PNG/JPEG (CheXpert, MURA, RSNA bone age…) → grey values for the same normalise/resize chain as
 * DICOM. sharp decodes to 8-bit luma here; it never sees our float data.
 */

sharp.cache(false);

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export function isImageName(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((e) => lower.endsWith(e));
}

export async function decodeImageFile(bytes: Uint8Array): Promise<{ values: Float32Array; rows: number; cols: number }> {
  let out: { data: Buffer; info: OutputInfo };
  try {
    out = await sharp(bytes).removeAlpha().toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new DataError('IMAGE_UNREADABLE', `not a readable PNG/JPEG: ${messageOf(err)}`);
  }
  const { width, height, channels } = out.info;
  const n = width * height;
  const values = new Float32Array(n);
  // b-w gives one channel; take the first if libvips kept more.
  for (let i = 0; i < n; i++) values[i] = out.data[i * channels]!;
  return { values, rows: height, cols: width };
}
