/**
 * Types for @cornerstonejs/codec-openjph (no bundled types; only the full `/wasmjs` build exists).
 * Fresh options object per factory call; get*Buffer returns views into the wasm heap (copy them out).
 */
declare module '@cornerstonejs/codec-openjph/wasmjs' {
  import type { OpenJphModule } from '@cornerstonejs/codec-openjph/types';
  const factory: (options?: Record<string, unknown>) => Promise<OpenJphModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph' {
  import type { OpenJphModule } from '@cornerstonejs/codec-openjph/types';
  const factory: (options?: Record<string, unknown>) => Promise<OpenJphModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-openjph/types' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned: boolean;
    isUsingColorTransform?: boolean;
  }
  export interface HTJ2KDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    decodeSubResolution(decompositionLevel: number): void;
    getFrameInfo(): FrameInfo;
    getIsReversible(): boolean;
    delete(): void;
  }
  export interface HTJ2KEncoder {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    getEncodedBuffer(): Uint8Array;
    setQuality(lossless: boolean, quality: number): void;
    setDecompositions(levels: number): void;
    encode(): void;
    delete(): void;
  }
  export interface OpenJphModule {
    HTJ2KDecoder: new () => HTJ2KDecoder;
    HTJ2KEncoder: new () => HTJ2KEncoder;
  }
}
