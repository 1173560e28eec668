import { DataError } from '../../core/errors.ts';
import { volumeOf, type Volume } from './volume.ts';

/**
 * NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) → a Volume of 2-D slices.
 *
 * Hand-written on purpose: the npm readers we checked (npyjs 1.2.0, numpy-parser 1.2.3) parse the
 * header dict with regular expressions, do not check the data length against the shape (a truncated
 * file parses silently into a short array), treat big-endian dtypes as unsupported or as little
 * endian, and npyjs pulls in a fetch client at run time. The format is one page of spec
 * (numpy.lib.format): magic, version, header length, a Python dict literal, then raw data.
 */

export const NPY_MAGIC = '\x93NUMPY';

export interface NpyHeader {
  version: string;
  /** NumPy type string, e.g. `|u1`, `<i2`, `>f4`. */
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the data. */
  dataOffset: number;
}

interface DtypeInfo {
  bytes: number;
  get(view: DataView, offset: number, little: boolean): number;
}

const DTYPES: Record<string, DtypeInfo> = {
  b1: { bytes: 1, get: (v, o) => v.getUint8(o) },
  u1: { bytes: 1, get: (v, o) => v.getUint8(o) },
  i1: { bytes: 1, get: (v, o) => v.getInt8(o) },
  u2: { bytes: 2, get: (v, o, l) => v.getUint16(o, l) },
  i2: { bytes: 2, get: (v, o, l) => v.getInt16(o, l) },
  u4: { bytes: 4, get: (v, o, l) => v.getUint32(o, l) },
  i4: { bytes: 4, get: (v, o, l) => v.getInt32(o, l) },
  u8: { bytes: 8, get: (v, o, l) => Number(v.getBigUint64(o, l)) },
  i8: { bytes: 8, get: (v, o, l) => Number(v.getBigInt64(o, l)) },
  f2: { bytes: 2, get: (v, o, l) => half(v.getUint16(o, l)) },
  f4: { bytes: 4, get: (v, o, l) => v.getFloat32(o, l) },
  f8: { bytes: 8, get: (v, o, l) => v.getFloat64(o, l) },
};

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bad(message: string): DataError {
  return new DataError('NPY_MALFORMED', message, { hint: 'write it with numpy.save (format 1.0–3.0, a numeric dtype)' });
}

/** The dict literal: {'descr': '<u1', 'fortran_order': False, 'shape': (3, 256, 256), } */
function parseDict(text: string): Omit<NpyHeader, 'version' | 'dataOffset'> {
  const t = text.trim();
  if (!t.startsWith('{') || !t.endsWith('}')) throw bad(`.npy header is not a dict literal: ${JSON.stringify(t.slice(0, 80))}`);
  const field = (key: string): string | undefined => {
    const m = new RegExp(`['"]${key}['"]\\s*:\\s*`).exec(t);
    if (!m) return undefined;
    const rest = t.slice(m.index + m[0].length);
    if (rest.startsWith('(')) return rest.slice(0, rest.indexOf(')') + 1);
    const q = rest[0];
    if (q === "'" || q === '"') return rest.slice(1, rest.indexOf(q, 1));
    return /^[A-Za-z]+/.exec(rest)?.[0];
  };
  const descr = field('descr');
  const fortran = field('fortran_order');
  const shapeText = field('shape');
  if (descr === undefined || fortran === undefined || shapeText === undefined || !shapeText.endsWith(')')) {
    throw bad(`.npy header lacks descr, fortran_order or shape: ${JSON.stringify(t.slice(0, 120))}`);
  }
  if (fortran !== 'True' && fortran !== 'False') throw bad(`.npy fortran_order is ${fortran}, expected True or False`);
  const parts = shapeText.slice(1, -1).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const shape = parts.map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw bad(`.npy shape ${shapeText} is not a tuple of sizes`);
  return { descr, fortranOrder: fortran === 'True', shape };
}

export function readNpyHeader(bytes: Uint8Array): NpyHeader {
  const magic = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(6, bytes.length)).toString('latin1');
  if (magic !== NPY_MAGIC) throw bad(`not an .npy file (expected magic \\x93NUMPY, got ${JSON.stringify(magic)})`);
  if (bytes.length < 10) throw bad(`.npy file ends after ${bytes.length} bytes, inside its preamble`);
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (major < 1 || major > 3) throw bad(`.npy format version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) throw bad(`.npy file ends inside its header length`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = 8 + lenBytes;
  if (start + headerLen > bytes.length) throw bad(`.npy header says ${headerLen} bytes, the file ends ${bytes.length - start} bytes after it starts`);
  // Versions 1 and 2 store the dict in latin1, version 3 in UTF-8.
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, headerLen).toString(major === 3 ? 'utf8' : 'latin1');
  return { version: `${major}.${minor}`, ...parseDict(text), dataOffset: start + headerLen };
}

/**
 * The array as a Volume: 2-D → one slice; 3-D (slices, rows, cols) → one per index of axis 0 (MRNet);
 * C or Fortran order from the header. Other ranks are rejected: which axes are the image is unknown.
 */
export function readNpy(bytes: Uint8Array): Volume {
  const h = readNpyHeader(bytes);
  const order = h.descr[0];
  const code = h.descr.slice(1);
  const dtype = DTYPES[code];
  if (!dtype || !'<>|='.includes(order ?? '')) throw bad(`.npy dtype ${h.descr} is not a numeric dtype this reader handles (${Object.keys(DTYPES).join(', ')})`);
  const little = order !== '>';
  if (h.shape.length < 2 || h.shape.length > 3) {
    throw new DataError('NPY_SHAPE', `.npy shape (${h.shape.join(', ')}) is not 2-D (rows, cols) or 3-D (slices, rows, cols)`, {
      hint: 'save one image or a stack of slices per file',
    });
  }
  const [slices, rows, cols] = h.shape.length === 2 ? [1, h.shape[0]!, h.shape[1]!] : (h.shape as [number, number, number]);
  const need = slices * rows * cols * dtype.bytes;
  const have = bytes.length - h.dataOffset;
  if (have < need) {
    throw new DataError('NPY_TRUNCATED', `.npy data is ${have} bytes, shape (${h.shape.join(', ')}) of ${h.descr} needs ${need}`, {
      hint: 'the file is truncated; download it again',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + h.dataOffset, need);
  // Element (s, r, c): C order s·R·C + r·C + c; Fortran order s + S·r + S·R·c.
  const [ss, sr, sc] = h.fortranOrder ? [1, slices, slices * rows] : [rows * cols, cols, 1];
  const shape = { slices, rows, cols, bitsAllocated: dtype.bytes * 8, signed: code[0] !== 'u' && code !== 'b1' };
  return volumeOf(shape, (s, out) => {
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) out[r * cols + c] = dtype.get(view, (s * ss + r * sr + c * sc) * dtype.bytes, little);
    }
  });
}
