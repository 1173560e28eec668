import zlib from 'node:zlib';
import type * as NiftiReader from 'nifti-reader-js';
import { DataError, messageOf } from '../../core/errors.ts';
import { volumeOf, type Volume } from './volume.ts';

/**
 * NIfTI-1 / NIfTI-2 single files (`.nii`, `.nii.gz`) → a Volume of axial slices.
 *
 * nifti-reader-js (0.8.0) parses both header versions and either byte order; gzip is undone here
 * with node's zlib (the worker thread's native inflate, not the library's JS one). Voxel values are
 * ours: the library hands back raw bytes, and the datatype, byte order and `scl_slope`/`scl_inter`
 * are applied below. Dimension order is NIfTI's: x fastest, then y, then z, then any further
 * dimensions (time, …), so slice k of a 4-D file is z = k mod nz of volume ⌊k / nz⌋. A slice is shown
 * as stored (row = y, column = x): for volumes converted from DICOM (BraTS), row 0 is DICOM's first row.
 */

/**
 * Loaded on first use: a static import of nifti-reader-js inside a piscina worker run through tsx
 * fails to load the worker (ERR_UNKNOWN_FILE_EXTENSION on the worker file); a dynamic one works.
 */
let library: Promise<typeof NiftiReader> | undefined;
const niftiReader = () => (library ??= import('nifti-reader-js'));

const GZIP_MAGIC = [0x1f, 0x8b];

interface Voxel {
  bytes: number;
  get(v: DataView, o: number, little: boolean): number;
}

// NIfTI datatype codes (nifti1.h DT_*).
const VOXELS: Record<number, Voxel> = {
  2: { bytes: 1, get: (v, o) => v.getUint8(o) },
  4: { bytes: 2, get: (v, o, l) => v.getInt16(o, l) },
  8: { bytes: 4, get: (v, o, l) => v.getInt32(o, l) },
  16: { bytes: 4, get: (v, o, l) => v.getFloat32(o, l) },
  64: { bytes: 8, get: (v, o, l) => v.getFloat64(o, l) },
  // RGB24: three bytes per voxel, read as Rec. 601 luma like colour DICOM.
  128: { bytes: 3, get: (v, o) => 0.299 * v.getUint8(o) + 0.587 * v.getUint8(o + 1) + 0.114 * v.getUint8(o + 2) },
  256: { bytes: 1, get: (v, o) => v.getInt8(o) },
  512: { bytes: 2, get: (v, o, l) => v.getUint16(o, l) },
  768: { bytes: 4, get: (v, o, l) => v.getUint32(o, l) },
  1024: { bytes: 8, get: (v, o, l) => Number(v.getBigInt64(o, l)) },
  1280: { bytes: 8, get: (v, o, l) => Number(v.getBigUint64(o, l)) },
};

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

/** sizeof_hdr: 348 (NIfTI-1) or 540 (NIfTI-2), in either byte order. */
function looksNifti(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const v = new DataView(b.buffer, b.byteOffset, 4);
  return [348, 540].includes(v.getInt32(0, true)) || [348, 540].includes(v.getInt32(0, false));
}

function arrayBufferOf(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer
    ? b.buffer
    : (b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
}

/** Undo gzip when the name or the bytes say so. A `.gz` that is not gzip but a plain NIfTI is read as is. */
export function niftiBytes(bytes: Uint8Array, name: string): Uint8Array {
  if (isGzip(bytes)) {
    try {
      return zlib.gunzipSync(bytes);
    } catch (err) {
      throw new DataError('NIFTI_GZIP_BROKEN', `${name}: gzip stream is broken: ${messageOf(err)}`, { hint: 'the file is truncated or corrupt; download it again' });
    }
  }
  if (name.toLowerCase().endsWith('.gz') && !looksNifti(bytes)) {
    const got = Buffer.from(bytes.subarray(0, 4)).toString('hex');
    throw new DataError('NIFTI_NOT_GZIP', `${name}: expected gzip data (1f8b…) or a NIfTI header, got bytes ${got}…`, {
      hint: 'the file is not a .nii.gz; download it again',
    });
  }
  return bytes;
}

export async function readNifti(raw: Uint8Array, name = 'NIfTI file'): Promise<Volume> {
  const nifti = await niftiReader();
  const bytes = niftiBytes(raw, name);
  if (!looksNifti(bytes)) {
    throw new DataError('NIFTI_MALFORMED', `${name}: sizeof_hdr is not 348 (NIfTI-1) or 540 (NIfTI-2)`, { hint: 'is this a NIfTI file?' });
  }
  const buf = arrayBufferOf(bytes);
  let header: NiftiReader.NIFTI1 | NiftiReader.NIFTI2;
  try {
    header = nifti.readHeader(buf);
  } catch (err) {
    throw new DataError('NIFTI_MALFORMED', `${name}: unreadable NIfTI header: ${messageOf(err)}`);
  }
  const voxel = VOXELS[header.datatypeCode];
  if (!voxel) {
    throw new DataError('NIFTI_DATATYPE', `${name}: datatype ${header.datatypeCode} is not a real-valued image type this reader handles`, {
      hint: `handled: ${Object.keys(VOXELS).join(', ')} (nifti1.h DT_* codes)`,
    });
  }
  const dims = header.dims;
  const ndim = dims[0] ?? 0;
  if (!(ndim >= 2 && ndim <= 7)) throw new DataError('NIFTI_MALFORMED', `${name}: dim[0] = ${ndim}, expected 2 to 7`);
  const size = (i: number) => (i <= ndim ? Math.max(1, dims[i] ?? 1) : 1);
  const [nx, ny, nz] = [size(1), size(2), size(3)];
  let volumes = 1;
  for (let i = 4; i <= ndim; i++) volumes *= size(i);
  const need = nx * ny * nz * volumes * voxel.bytes;
  const offset = Math.max(header.vox_offset, 0);
  if (bytes.length - offset < need) {
    throw new DataError('NIFTI_TRUNCATED', `${name}: ${nx}×${ny}×${nz}×${volumes} voxels of ${voxel.bytes} bytes need ${need} bytes after vox_offset ${offset}, the file has ${Math.max(0, bytes.length - offset)}`, {
      hint: 'the file is truncated; download it again',
    });
  }
  // scl_slope 0 (or not finite) means "no scaling" (nifti1.h).
  const scaled = Number.isFinite(header.scl_slope) && header.scl_slope !== 0;
  const slope = scaled ? header.scl_slope : 1;
  const inter = scaled && Number.isFinite(header.scl_inter) ? header.scl_inter : 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, need);
  const little = header.littleEndian;
  const plane = nx * ny;
  const unsigned = [2, 128, 512, 768, 1280].includes(header.datatypeCode);
  const shape = { slices: nz * volumes, rows: ny, cols: nx, bitsAllocated: header.datatypeCode === 128 ? 8 : Math.min(voxel.bytes, 4) * 8, signed: !unsigned };
  return volumeOf(shape, (s, out) => {
    const base = s * plane;
    for (let i = 0; i < plane; i++) out[i] = voxel.get(view, (base + i) * voxel.bytes, little) * slope + inter;
  });
}
