import zlib from 'node:zlib';
import { encode as encodePng } from 'fast-png';
import sharp from 'sharp';

/**
 * Writers of the external datasets' file formats, byte for byte as their publishers' tools write
 * them (numpy.save, nibabel/ITK NIfTI, 8-bit and 16-bit PNG, baseline JPEG). Test world only.
 */

export type NpyDtype = '|u1' | '<i2' | '>i2' | '<u2' | '<f4' | '<f8';

const NPY_BYTES: Record<NpyDtype, number> = { '|u1': 1, '<i2': 2, '>i2': 2, '<u2': 2, '<f4': 4, '<f8': 8 };

/**
 * numpy.save: magic, version, little-endian header length, dict literal padded with spaces to a
 * multiple of 64 bytes ending in "\n", then the data in C order (or Fortran order when asked:
 * `values` are always given in C order and transposed here).
 */
export function encodeNpy(values: ArrayLike<number>, shape: number[], dtype: NpyDtype, opts: { version?: 1 | 2 | 3; fortran?: boolean } = {}): Buffer {
  const version = opts.version ?? 1;
  const dict = `{'descr': '${dtype}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = Buffer.alloc(total, 0x20);
  header.write('\x93NUMPY', 0, 'latin1');
  header[6] = version;
  header[7] = 0;
  if (version === 1) header.writeUInt16LE(total - pre, 8);
  else header.writeUInt32LE(total - pre, 8);
  header.write(dict, pre, 'latin1');
  header[total - 1] = 0x0a;
  const n = shape.reduce((a, b) => a * b, 1);
  const size = NPY_BYTES[dtype];
  const data = Buffer.alloc(n * size);
  const order = opts.fortran ? fortranOrder(shape) : undefined;
  for (let i = 0; i < n; i++) {
    const v = values[order ? order[i]! : i]!;
    const o = i * size;
    if (dtype === '|u1') data[o] = v;
    else if (dtype === '<i2') data.writeInt16LE(v, o);
    else if (dtype === '>i2') data.writeInt16BE(v, o);
    else if (dtype === '<u2') data.writeUInt16LE(v, o);
    else if (dtype === '<f4') data.writeFloatLE(v, o);
    else data.writeDoubleLE(v, o);
  }
  return Buffer.concat([header, data]);
}

/** For each Fortran-order position, the C-order index of the element stored there. */
function fortranOrder(shape: number[]): Uint32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint32Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let f = 0; f < n; f++) {
    let c = 0;
    for (let d = 0; d < shape.length; d++) c = c * shape[d]! + idx[d]!;
    out[f] = c;
    for (let d = 0; d < shape.length; d++) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

export interface NiftiOptions {
  /** nifti1.h DT_* code: 2 uint8, 4 int16, 16 float32, 512 uint16. */
  datatype: 2 | 4 | 16 | 512;
  version?: 1 | 2;
  littleEndian?: boolean;
  sclSlope?: number;
  sclInter?: number;
  gzip?: boolean;
}

/**
 * A single-file NIfTI (`n+1` / `n+2` magic, vox_offset 352 / 544) of dims (nx, ny, nz) with voxel
 * spacing 1 mm, written as nibabel writes it; `values` in NIfTI order (x fastest).
 */
export function encodeNifti(values: ArrayLike<number>, dims: [number, number, number], o: NiftiOptions): Buffer {
  const v2 = o.version === 2;
  const le = o.littleEndian ?? true;
  const hdrSize = v2 ? 540 : 348;
  const voxOffset = v2 ? 544 : 352;
  const bytes = { 2: 1, 4: 2, 16: 4, 512: 2 }[o.datatype];
  const n = dims[0] * dims[1] * dims[2];
  const buf = Buffer.alloc(voxOffset + n * bytes);
  const i16 = (v: number, at: number) => (le ? buf.writeInt16LE(v, at) : buf.writeInt16BE(v, at));
  const i32 = (v: number, at: number) => (le ? buf.writeInt32LE(v, at) : buf.writeInt32BE(v, at));
  const i64 = (v: number, at: number) => (le ? buf.writeBigInt64LE(BigInt(v), at) : buf.writeBigInt64BE(BigInt(v), at));
  const f32 = (v: number, at: number) => (le ? buf.writeFloatLE(v, at) : buf.writeFloatBE(v, at));
  const f64 = (v: number, at: number) => (le ? buf.writeDoubleLE(v, at) : buf.writeDoubleBE(v, at));
  i32(hdrSize, 0);
  const dim = [3, dims[0], dims[1], dims[2], 1, 1, 1, 1];
  if (!v2) {
    dim.forEach((d, k) => i16(d, 40 + 2 * k));
    i16(o.datatype, 70);
    i16(bytes * 8, 72);
    [1, 1, 1, 1, 1, 1, 1, 1].forEach((p, k) => f32(p, 76 + 4 * k));
    f32(voxOffset, 108);
    f32(o.sclSlope ?? 1, 112);
    f32(o.sclInter ?? 0, 116);
    buf.write('n+1\0', 344, 'latin1');
  } else {
    buf.write('n+2\0\r\n\x1a\n', 4, 'latin1');
    i16(o.datatype, 12);
    i16(bytes * 8, 14);
    dim.forEach((d, k) => i64(d, 16 + 8 * k));
    [1, 1, 1, 1, 1, 1, 1, 1].forEach((p, k) => f64(p, 104 + 8 * k));
    i64(voxOffset, 168);
    f64(o.sclSlope ?? 1, 176);
    f64(o.sclInter ?? 0, 184);
  }
  for (let i = 0; i < n; i++) {
    const at = voxOffset + i * bytes;
    const v = values[i]!;
    if (o.datatype === 2) buf[at] = v;
    else if (o.datatype === 4) i16(v, at);
    else if (o.datatype === 512) le ? buf.writeUInt16LE(v, at) : buf.writeUInt16BE(v, at);
    else f32(v, at);
  }
  return o.gzip === false ? buf : zlib.gzipSync(buf);
}

/** Grey 16-bit PNG (what sharp cannot write without rescaling). */
export function encodePng16(values: Uint16Array, width: number, height: number): Uint8Array {
  return encodePng({ width, height, data: values, depth: 16, channels: 1 });
}

export async function encodePng8(values: Uint8Array, width: number, height: number, channels: 1 | 3 = 1): Promise<Buffer> {
  return sharp(values, { raw: { width, height, channels } }).png().toBuffer();
}

/** Baseline JPEG, grey or RGB (CheXpert's are grey; some scanners' exports are RGB). */
export async function encodeJpeg(values: Uint8Array, width: number, height: number, channels: 1 | 3 = 1): Promise<Buffer> {
  const img = sharp(values, { raw: { width, height, channels } });
  return (channels === 1 ? img.toColourspace('b-w') : img).jpeg({ quality: 92 }).toBuffer();
}
