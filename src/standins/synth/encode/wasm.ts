import charlsFactory from '@cornerstonejs/codec-charls/wasmjs';
import openjpegFactory from '@cornerstonejs/codec-openjpeg/wasmjs';
import type { CharlsModule } from '@cornerstonejs/codec-charls/types';
import type { OpenJpegModule } from '@cornerstonejs/codec-openjpeg/types';

/**
 * JPEG-LS (CharLS) and JPEG 2000 (OpenJPEG) encoders from the full wasm builds, loaded once per
 * thread on first use. Each factory call gets its own options object (they become the Module).
 */
let charls: Promise<CharlsModule> | undefined;
let openjpeg: Promise<OpenJpegModule> | undefined;

const quiet = () => ({ print() {}, printErr() {} });

export interface FrameSpec {
  rows: number;
  cols: number;
  /** Bits per sample the codestream declares (BitsStored, or 16 for signed data). */
  bits: number;
  signed: boolean;
}

function bytesOf(pixels: Uint8Array | Uint16Array | Int16Array): Uint8Array {
  return new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
}

/** Wasm codecs throw bare numbers (C++ exception pointers): give them a message. */
function wrap<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof Error ? err : new Error(`${what} failed (wasm exception ${String(err)})`);
  }
}

export async function encodeJpegLs(pixels: Uint16Array | Int16Array | Uint8Array, f: FrameSpec): Promise<Uint8Array> {
  charls ??= charlsFactory(quiet());
  const m = await charls;
  const enc = new m.JpegLSEncoder();
  try {
    return wrap('JPEG-LS encode', () => {
      enc.getDecodedBuffer({ width: f.cols, height: f.rows, bitsPerSample: f.bits, componentCount: 1 }).set(bytesOf(pixels));
      enc.setNearLossless(0);
      enc.encode();
      return enc.getEncodedBuffer().slice();
    });
  } finally {
    enc.delete();
  }
}

export async function encodeJ2k(pixels: Uint16Array | Int16Array | Uint8Array, f: FrameSpec): Promise<Uint8Array> {
  openjpeg ??= openjpegFactory(quiet());
  const m = await openjpeg;
  const enc = new m.J2KEncoder();
  try {
    return wrap('JPEG 2000 encode', () => {
      enc
        .getDecodedBuffer({ width: f.cols, height: f.rows, bitsPerSample: f.bits, componentCount: 1, isSigned: f.signed, isUsingColorTransform: false })
        .set(bytesOf(pixels));
      enc.setQuality(true, 0);
      enc.encode();
      return enc.getEncodedBuffer().slice();
    });
  } finally {
    enc.delete();
  }
}
