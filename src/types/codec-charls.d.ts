/**
 * Types for @cornerstonejs/codec-charls (no bundled types). `/decodewasmjs` is the decoder-only
 * build; `/wasmjs` is the full build with the encoder. Each factory call needs a fresh options
 * object; buffers returned by get*Buffer are views into the wasm heap (copy before reuse).
 */
declare module '@cornerstonejs/codec-charls/wasmjs' {
  import type { CharlsModule } from '@cornerstonejs/codec-charls/types';
  const factory: (options?: Record<string, unknown>) => Promise<CharlsModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  import type { CharlsModule } from '@cornerstonejs/codec-charls/types';
  const factory: (options?: Record<string, unknown>) => Promise<Pick<CharlsModule, 'JpegLSDecoder'>>;
  export default factory;
}
declare module '@cornerstonejs/codec-charls/types' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned?: boolean;
  }
  export interface JpegLSDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    getNearLossless(): number;
    getInterleaveMode(): number;
    delete(): void;
  }
  export interface JpegLSEncoder {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    getEncodedBuffer(): Uint8Array;
    setNearLossless(nearLossless: number): void;
    setInterleaveMode(mode: number): void;
    encode(): void;
    delete(): void;
  }
  export interface CharlsModule {
    JpegLSDecoder: new () => JpegLSDecoder;
    JpegLSEncoder: new () => JpegLSEncoder;
  }
}
