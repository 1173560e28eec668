/**
 * Types for @cornerstonejs/codec-libjpeg-turbo-8bit (no bundled types). `/decodewasmjs` is the
 * decoder-only build; `/wasmjs` adds JPEGEncoder (`setQuality(90)` takes ONE argument). Fresh
 * options object per factory call; get*Buffer returns views into the wasm heap (copy them out).
 */
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/wasmjs' {
  import type { LibJpegTurboModule } from '@cornerstonejs/codec-libjpeg-turbo-8bit/types';
  const factory: (options?: Record<string, unknown>) => Promise<LibJpegTurboModule>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  import type { LibJpegTurboModule } from '@cornerstonejs/codec-libjpeg-turbo-8bit/types';
  const factory: (options?: Record<string, unknown>) => Promise<Pick<LibJpegTurboModule, 'JPEGDecoder'>>;
  export default factory;
}
declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/types' {
  export interface FrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned?: boolean;
  }
  export interface JPEGDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    getFrameInfo(): FrameInfo;
    delete(): void;
  }
  export interface JPEGEncoder {
    getDecodedBuffer(frameInfo: FrameInfo): Uint8Array;
    getEncodedBuffer(): Uint8Array;
    setQuality(quality: number): void;
    setProgressive(progressive: boolean): void;
    setSubSampling(subSampling: number): void;
    encode(): void;
    delete(): void;
  }
  export interface LibJpegTurboModule {
    JPEGDecoder: new () => JPEGDecoder;
    JPEGEncoder: new () => JPEGEncoder;
  }
}
