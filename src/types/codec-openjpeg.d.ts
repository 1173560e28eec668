/**
 * Types for @cornerstonejs/codec-openjpeg (no bundled types). `/decodewasmjs` is the decoder-only
 * build; `/wasmjs` is the full build with the encoder (`setQuality(true, 0)` = lossless). Pass
 * print/printErr in the (fresh) options object to silence OpenJPEG's [INFO] lines.
 */
declare module '@cornerstonejs/codec-openjpeg/wasmjs' {
  import type { OpenJpegModule } from '@cornerstonejs/codec-openjpeg/types';
  const factory: (options?: Record<string, unknown>) => Promise<OpenJpegModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  import type { OpenJpegModule } from '@cornerstonejs/codec-openjpeg/types';
  const factory: (options?: Record<string, unknown>) => Promise<Pick<OpenJpegModule, 'J2KDecoder'>>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjpeg/types' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform?: boolean;
  }
  export interface J2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    decodeSubResolution(decompositionLevel: number, decodeLayer: number): void;
    getFrameInfo(): FrameInfo;
    getNumDecompositions(): number;
    delete(): void;
  }
  export interface J2KEncoder {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    getEncodedBuffer(): Uint8Array;
    setQuality(lossless: boolean, quality: number): void;
    setDecompositions(levels: number): void;
    encode(): void;
    delete(): void;
  }
  export interface OpenJpegModule {
    J2KDecoder: new () => J2KDecoder;
    J2KEncoder: new () => J2KEncoder;
  }
}
