/** What a generator wrote, for the tests and the miniature run to check an import against. */
export interface GeneratedExternal {
  format: string;
  /** The folder to give `etl import <format>`. */
  dir: string;
  /** Samples a correct import stages (images, or non-empty slices of image volumes). */
  images: number;
  /** Patient ids as the dataset's metadata names them. */
  patients: string[];
  /** Files written broken on purpose, with the reject code a correct import records. */
  bad: Array<{ file: string; code: string }>;
}

export interface GenerateOptions {
  seed: number;
  /** Size multiplier: 1 is a few patients per dataset. */
  scale: number;
  /** Also write broken files (tests). */
  bad?: boolean;
  /** Edge of each 2-D image (default: 64 for radiographs; MRNet 256, BraTS 240 as shipped). */
  size?: number;
}
