import { Decoder as JpegLosslessDecoder } from 'jpeg-lossless-decoder-js';
import { thrownMessage } from './errors.ts';

/**
 * The compressed-frame codecs. Each wasm module loads lazily, once per process/worker (the promise
 * is cached); every factory call gets a FRESH options object (a shared one becomes both Modules and
 * breaks embind). Decoded buffers are views into the wasm heap, so they are copied out before the
 * decoder is deleted. Wasm exceptions arrive as bare numbers; callers wrap everything in DECODE_FAILED.
 */

export interface CodecOutput {
  /** Decoded samples, interleaved when componentCount > 1; 16-bit containers for bitsPerSample > 8. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  componentCount: number;
  bitsPerSample: number;
  /** Components are stored plane after plane (CharLS output for JPEG-LS interleave mode 0). */
  planar?: boolean;
}

interface WasmDecoder {
  getInterleaveMode?(): number;
  getEncodedBuffer(length: number): Uint8Array;
  getDecodedBuffer(): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete(): void;
}

type WasmCodec = 'jpeg' | 'jpegls' | 'j2k' | 'htj2k';

const silent = (): Record<string, unknown> => ({ print() {}, printErr() {} });

const loaders: Record<WasmCodec, () => Promise<() => WasmDecoder>> = {
  async jpeg() {
    const m = await (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs')).default(silent());
    return () => new m.JPEGDecoder();
  },
  async jpegls() {
    const m = await (await import('@cornerstonejs/codec-charls/decodewasmjs')).default(silent());
    return () => new m.JpegLSDecoder();
  },
  async j2k() {
    const m = await (await import('@cornerstonejs/codec-openjpeg/decodewasmjs')).default(silent());
    return () => new m.J2KDecoder();
  },
  async htj2k() {
    const m = await (await import('@cornerstonejs/codec-openjph/wasmjs')).default(silent());
    return () => new m.HTJ2KDecoder();
  },
};

const loaded = new Map<WasmCodec, Promise<() => WasmDecoder>>();

function factoryFor(codec: WasmCodec): Promise<() => WasmDecoder> {
  let p = loaded.get(codec);
  if (!p) {
    p = loaders[codec]();
    // A failed load is not cached: the next call retries.
    p.catch(() => loaded.delete(codec));
    loaded.set(codec, p);
  }
  return p;
}

/** Decode one compressed frame with a wasm codec; the result is owned by the caller. */
export async function decodeWasm(codec: WasmCodec, frame: Uint8Array): Promise<CodecOutput> {
  const make = await factoryFor(codec);
  const d = make();
  try {
    d.getEncodedBuffer(frame.length).set(frame);
    d.decode();
    const info = d.getFrameInfo();
    const bytes = d.getDecodedBuffer();
    const bps = info.bitsPerSample;
    const n = info.width * info.height * info.componentCount;
    // CharLS writes interleave-mode-0 (ILV_NONE) colour scans plane by plane; the others interleaved.
    const planar = codec === 'jpegls' && info.componentCount > 1 && d.getInterleaveMode?.() === 0;
    if (bps > 8) {
      if (bytes.length < n * 2) throw new Error(`decoded buffer holds ${bytes.length} bytes, expected ${n * 2}`);
      // Copy into a fresh, aligned Uint16Array (the heap view's offset may be odd).
      const out = new Uint16Array(n);
      new Uint8Array(out.buffer).set(bytes.subarray(0, n * 2));
      return { data: out, width: info.width, height: info.height, componentCount: info.componentCount, bitsPerSample: bps, planar };
    }
    if (bytes.length < n) throw new Error(`decoded buffer holds ${bytes.length} bytes, expected ${n}`);
    return { data: bytes.slice(0, n), width: info.width, height: info.height, componentCount: info.componentCount, bitsPerSample: bps, planar };
  } catch (err) {
    // An Emscripten abort (RuntimeError) leaves the module unusable: drop it so the next frame reloads.
    if ((err instanceof Error && err.name === 'RuntimeError') || /abort/i.test(thrownMessage(err))) loaded.delete(codec);
    throw new Error(thrownMessage(err));
  } finally {
    try {
      d.delete();
    } catch {
      loaded.delete(codec);
    }
  }
}

/** JPEG lossless (processes 14, .57/.70), pure JS. Output is unsigned; sign is restored by the caller. */
export function decodeJpegLossless(frame: Uint8Array): CodecOutput {
  // The decoder reads an ArrayBuffer from offset 0: hand it an exact copy (Buffer#slice would share memory).
  const ab = Uint8Array.prototype.slice.call(frame).buffer;
  const dec = new JpegLosslessDecoder();
  const out = dec.decode(ab, 0, ab.byteLength);
  const st = dec as unknown as { xDim: number; yDim: number; numComp: number; precision: number };
  return { data: out, width: st.xDim, height: st.yDim, componentCount: st.numComp, bitsPerSample: st.precision };
}
