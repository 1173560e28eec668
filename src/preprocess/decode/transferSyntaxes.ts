/** Transfer syntaxes: which decoder handles each, and facts the pixel pipeline needs. */

export type Codec = 'native' | 'rle' | 'jpeg' | 'jpegLossless' | 'jpegls' | 'j2k' | 'htj2k';
// 'jpeg' covers baseline (.50) and extended (.51): 8-bit streams go to libjpeg-turbo (wasm),
// 12-bit greyscale streams to the bit-exact TypeScript decoder in jpegDct.ts.

export interface TransferSyntax {
  uid: string;
  name: string;
  codec: Codec;
  bigEndian?: boolean;
  /** The syntax itself is lossy (padding values may be smeared by compression). */
  lossy?: boolean;
  /** The codec outputs RGB for YBR_* photometrics (it undid the colour transform itself). */
  codecOutputsRgb?: boolean;
}

const list: TransferSyntax[] = [
  { uid: '1.2.840.10008.1.2', name: 'Implicit VR Little Endian', codec: 'native' },
  { uid: '1.2.840.10008.1.2.1', name: 'Explicit VR Little Endian', codec: 'native' },
  { uid: '1.2.840.10008.1.2.1.99', name: 'Deflated Explicit VR Little Endian', codec: 'native' },
  { uid: '1.2.840.10008.1.2.2', name: 'Explicit VR Big Endian (retired)', codec: 'native', bigEndian: true },
  { uid: '1.2.840.10008.1.2.5', name: 'RLE Lossless', codec: 'rle' },
  { uid: '1.2.840.10008.1.2.4.50', name: 'JPEG Baseline (Process 1)', codec: 'jpeg', lossy: true, codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.51', name: 'JPEG Extended (Process 2 & 4)', codec: 'jpeg', lossy: true, codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.57', name: 'JPEG Lossless, Non-Hierarchical (Process 14)', codec: 'jpegLossless' },
  { uid: '1.2.840.10008.1.2.4.70', name: 'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])', codec: 'jpegLossless' },
  { uid: '1.2.840.10008.1.2.4.80', name: 'JPEG-LS Lossless', codec: 'jpegls' },
  { uid: '1.2.840.10008.1.2.4.81', name: 'JPEG-LS Lossy (Near-Lossless)', codec: 'jpegls', lossy: true },
  { uid: '1.2.840.10008.1.2.4.90', name: 'JPEG 2000 Image Compression (Lossless Only)', codec: 'j2k', codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.91', name: 'JPEG 2000 Image Compression', codec: 'j2k', lossy: true, codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.201', name: 'High-Throughput JPEG 2000 (Lossless Only)', codec: 'htj2k', codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.202', name: 'High-Throughput JPEG 2000 with RPCL Options (Lossless Only)', codec: 'htj2k', codecOutputsRgb: true },
  { uid: '1.2.840.10008.1.2.4.203', name: 'High-Throughput JPEG 2000', codec: 'htj2k', lossy: true, codecOutputsRgb: true },
];

export const TRANSFER_SYNTAXES: ReadonlyMap<string, TransferSyntax> = new Map(list.map((t) => [t.uid, t]));

/** Known but not decoded here, with the reason given to the user. */
const UNSUPPORTED: Record<string, { name: string; reason: string }> = {
  '1.2.840.10008.1.2.4.52': { name: 'JPEG Extended (Processes 3 & 5) (retired)', reason: 'retired JPEG process, no decoder' },
  '1.2.840.10008.1.2.4.53': { name: 'JPEG Spectral Selection, Non-Hierarchical (retired)', reason: 'retired JPEG process, no decoder' },
  '1.2.840.10008.1.2.4.55': { name: 'JPEG Full Progression, Non-Hierarchical (retired)', reason: 'retired JPEG process, no decoder' },
  '1.2.840.10008.1.2.4.92': { name: 'JPEG 2000 Part 2 Multi-component (Lossless Only)', reason: 'JPEG 2000 Part 2 multi-component is not supported' },
  '1.2.840.10008.1.2.4.93': { name: 'JPEG 2000 Part 2 Multi-component', reason: 'JPEG 2000 Part 2 multi-component is not supported' },
  '1.2.840.10008.1.2.4.94': { name: 'JPIP Referenced', reason: 'pixel data is a JPIP URL, not in the file' },
  '1.2.840.10008.1.2.4.95': { name: 'JPIP Referenced Deflate', reason: 'pixel data is a JPIP URL, not in the file' },
  '1.2.840.10008.1.2.4.100': { name: 'MPEG2 Main Profile / Main Level', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.101': { name: 'MPEG2 Main Profile / High Level', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.102': { name: 'MPEG-4 AVC/H.264 High Profile', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.103': { name: 'MPEG-4 AVC/H.264 BD-compatible High Profile', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.104': { name: 'MPEG-4 AVC/H.264 High Profile For 2D Video', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.105': { name: 'MPEG-4 AVC/H.264 High Profile For 3D Video', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.106': { name: 'MPEG-4 AVC/H.264 Stereo High Profile', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.107': { name: 'HEVC/H.265 Main Profile', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.108': { name: 'HEVC/H.265 Main 10 Profile', reason: 'video transfer syntax' },
  '1.2.840.10008.1.2.4.110': { name: 'JPEG XL Lossless', reason: 'no JPEG XL decoder' },
  '1.2.840.10008.1.2.4.111': { name: 'JPEG XL JPEG Recompression', reason: 'no JPEG XL decoder' },
  '1.2.840.10008.1.2.4.112': { name: 'JPEG XL', reason: 'no JPEG XL decoder' },
  '1.2.840.10008.1.2.4.204': { name: 'JPIP HTJ2K Referenced', reason: 'pixel data is a JPIP URL, not in the file' },
  '1.2.840.10008.1.2.4.205': { name: 'JPIP HTJ2K Referenced Deflate', reason: 'pixel data is a JPIP URL, not in the file' },
  '1.2.840.10008.1.2.6.1': { name: 'RFC 2557 MIME encapsulation (retired)', reason: 'retired, no decoder' },
  '1.2.840.10008.1.2.6.2': { name: 'XML Encoding (retired)', reason: 'retired, no decoder' },
  '1.2.840.10008.1.2.7.1': { name: 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', reason: 'video transfer syntax' },
};

/** Why a transfer syntax is not decoded, or null when it is. */
export function unsupportedReason(uid: string): string | null {
  if (TRANSFER_SYNTAXES.has(uid)) return null;
  const u = UNSUPPORTED[uid];
  if (u) return `unsupported transfer syntax ${u.name} (${uid}): ${u.reason}`;
  if (uid === '') return 'unsupported transfer syntax: (0002,0010) TransferSyntaxUID is empty';
  return `unsupported transfer syntax ${uid} (unknown or private)`;
}
