/**
 * Types for jpeg-lossless-decoder-js 2.1.2 (its package.json names release/lossless.d.ts, which the
 * tarball lacks). `decode` returns Uint8Array for ≤8-bit precision, else Uint16Array (unsigned).
 */
declare module 'jpeg-lossless-decoder-js' {
  export class Decoder {
    constructor(buffer?: ArrayBuffer | null, numBytes?: number);
    decode(buffer: ArrayBuffer, offset?: number, length?: number, numBytes?: number): Uint8Array | Uint16Array;
    decompress(buffer: ArrayBuffer, offset?: number, length?: number): ArrayBuffer;
  }
}
