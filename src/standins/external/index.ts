import { generateOai } from './oaiLayout.ts';
import { generateChexpert, generateMura, generateNih, generateRsnaBoneAge } from './pictureLayouts.ts';
import type { GeneratedExternal, GenerateOptions } from './types.ts';
import { generateBrats, generateMrnet, generateNiftiFolder, generateNpyFolder } from './volumeLayouts.ts';

export type { GeneratedExternal, GenerateOptions } from './types.ts';

/**
 * Generators of the external datasets in their real on-disk layouts (test world: tests, bench, the
 * paper in miniature; never imported by product code). `generateExternal(format, outDir, …)` writes
 * under `outDir` the folder a user would download and returns it as `dir`, with what a correct
 * import of it finds. Deterministic per seed.
 */
const GENERATORS: Record<string, (out: string, o: GenerateOptions) => Promise<GeneratedExternal> | GeneratedExternal> = {
  chexpert: generateChexpert,
  'nih-cxr14': generateNih,
  'rsna-bone-age': generateRsnaBoneAge,
  mura: generateMura,
  mrnet: generateMrnet,
  oai: generateOai,
  brats20: generateBrats,
  nifti: generateNiftiFolder,
  npy: generateNpyFolder,
};

export const GENERATED_FORMATS = Object.keys(GENERATORS);

export async function generateExternal(format: string, outDir: string, options: Partial<GenerateOptions> = {}): Promise<GeneratedExternal> {
  const gen = GENERATORS[format];
  if (!gen) throw new Error(`no generator for external format "${format}" (have ${GENERATED_FORMATS.join(', ')})`);
  return gen(outDir, { seed: options.seed ?? 1, scale: options.scale ?? 1, ...options });
}
