/**
 * A stack of 2-D images read from a volume file (.npy, NIfTI): each slice is one sample. Slices are
 * produced one at a time into a fresh Float32Array, so a volume never exists twice in float form.
 */
export interface Volume {
  slices: number;
  rows: number;
  cols: number;
  /** Stored container (the range of `--normalize dtype-range`). */
  bitsAllocated: number;
  pixelRepresentation: 0 | 1;
  /** Values of slice `s` (row-major rows × cols), after any scaling the format defines. */
  slice(s: number): Float32Array;
}

export function volumeOf(
  shape: { slices: number; rows: number; cols: number; bitsAllocated: number; signed: boolean },
  fill: (s: number, out: Float32Array) => void,
): Volume {
  const { slices, rows, cols } = shape;
  return {
    slices,
    rows,
    cols,
    bitsAllocated: shape.bitsAllocated,
    pixelRepresentation: shape.signed ? 1 : 0,
    slice(s) {
      if (!(s >= 0 && s < slices)) throw new RangeError(`slice ${s} outside 0..${slices - 1}`);
      const out = new Float32Array(rows * cols);
      fill(s, out);
      return out;
    },
  };
}
