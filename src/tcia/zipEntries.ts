/**
 * Entry names inside a TCIA getImage ZIP (tcia-api.md §4), shared by the stand-in server and by
 * anything that must predict them. Ported from NBIA's V4_getImage / ImageDAO2Impl.setNewFileNames
 * including their quirks, so names match what the real server sends.
 */

/** One stored image as the naming rules see it. */
export interface NamedImage {
  instanceNumber: number | null;
  acquisitionNumber: number | null;
}

/**
 * Default names: `%08d` counter + the stored file's extension (`00000001.dcm`), in DB order.
 * A stored name without a dot would make the real server throw mid-ZIP; we fall back to `.dcm`.
 */
export function sequentialEntryName(counter: number, storedFileName: string): string {
  const dot = storedFileName.lastIndexOf('.');
  const slash = Math.max(storedFileName.lastIndexOf('/'), storedFileName.lastIndexOf('\\'));
  const ext = dot > slash && dot >= 0 ? storedFileName.slice(dot) : '.dcm';
  return String(counter).padStart(8, '0') + ext;
}

/**
 * `NewFileNames=Yes`: the images in the order the server writes them, with their names.
 * Order: stable sort by InstanceNumber, nulls first (ImageDTO2.compareTo compares instance numbers
 * only, despite its variable names). Names `<acq>-<inst>.dcm`: `<acq>` counts AcquisitionNumber
 * changes along that order, `<inst>` restarts at 1 with each change; the paddings are the digit
 * counts of the number of acquisition changes and of InstanceNumber changes over the whole series.
 * Returns indices into `images` with the entry name of each.
 */
export function newFileNameOrder(images: readonly NamedImage[]): Array<{ index: number; name: string }> {
  const order = images.map((_, i) => i);
  order.sort((a, b) => compareInstance(images[a]!, images[b]!) || a - b);
  const sorted = order.map((i) => images[i]!);
  if (sorted.length === 0) return [];

  // Pass 1: widths.
  let accCount = 1;
  let insCount = 1;
  let acc: number = sorted[0]!.acquisitionNumber ?? 0;
  let ins: number = sorted[0]!.instanceNumber ?? 0;
  for (const img of sorted) {
    if (img.acquisitionNumber !== null && img.acquisitionNumber !== acc) {
      acc = img.acquisitionNumber;
      accCount++;
    }
    if (img.instanceNumber !== null && img.instanceNumber !== ins) {
      ins = img.instanceNumber;
      insCount++;
    }
  }
  const accPad = String(accCount).length;
  const insPad = String(insCount).length;

  // Pass 2: names. `current` is null-defaulted to 0 but `accNow` keeps a raw null after a change,
  // which (as in Java's Integer.equals(null)) never compares equal again.
  let accNow: number | null = sorted[0]!.acquisitionNumber ?? 0;
  let accN = 1;
  let insN = 0;
  let accPart = pad(1, accPad);
  const out: Array<{ index: number; name: string }> = [];
  for (let k = 0; k < sorted.length; k++) {
    const img = sorted[k]!;
    const current = img.acquisitionNumber ?? 0;
    if (accNow === null || current !== accNow) {
      accNow = img.acquisitionNumber;
      accN++;
      accPart = pad(accN, accPad);
      insN = 1;
    } else {
      insN++;
    }
    out.push({ index: order[k]!, name: `${accPart}-${pad(insN, insPad)}.dcm` });
  }
  return out;
}

function compareInstance(a: NamedImage, b: NamedImage): number {
  if (a.instanceNumber === null) return b.instanceNumber === null ? 0 : -1;
  if (b.instanceNumber === null) return 1;
  return a.instanceNumber - b.instanceNumber;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Java `String.hashCode()` (UTF-16 code units, 32-bit overflow). */
export function javaStringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/**
 * Iteration order of a `java.util.HashMap<String, ?>` filled with `keys` in this order: the server
 * writes md5hashes.csv rows in this order. Bucket = spread(hash) & (capacity - 1), capacity doubles
 * from 16 while size > 0.75 × capacity; within a bucket, insertion order (no treeification below 8
 * collisions per bucket, which names like `00000001.dcm` never reach in practice).
 */
export function javaHashMapOrder(keys: readonly string[]): string[] {
  const distinct = [...new Set(keys)];
  let capacity = 16;
  while (distinct.length > capacity * 0.75) capacity *= 2;
  const bucketOf = (k: string) => {
    const h = javaStringHash(k);
    return (h ^ (h >>> 16)) & (capacity - 1);
  };
  return distinct
    .map((k, i) => ({ k, i, b: bucketOf(k) }))
    .sort((x, y) => x.b - y.b || x.i - y.i)
    .map((x) => x.k);
}
