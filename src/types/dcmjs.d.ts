/** Minimal types for the parts of dcmjs (no bundled types) the toolkit uses. */
declare module 'dcmjs' {
  type DicomJson = Record<string, { vr: string; Value?: unknown[]; InlineBinary?: string }>;
  interface WriteOptions {
    allowInvalidVRLength?: boolean;
    fragmentMultiframe?: boolean;
  }
  class DicomDict {
    constructor(meta: DicomJson);
    meta: DicomJson;
    dict: DicomJson;
    write(options?: WriteOptions): ArrayBuffer;
  }
  class DicomMessage {
    static readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): DicomDict;
  }
  const DicomMetaDictionary: {
    uid(): string;
    date(): string;
    time(): string;
    naturalizeDataset(dataset: DicomJson): Record<string, unknown>;
    denaturalizeDataset(dataset: Record<string, unknown>): DicomJson;
  };
  const dcmjs: {
    data: {
      DicomDict: typeof DicomDict;
      DicomMessage: typeof DicomMessage;
      DicomMetaDictionary: typeof DicomMetaDictionary;
    };
    log: { setLevel(level: string): void; getLevel(): number };
  };
  export default dcmjs;
}
