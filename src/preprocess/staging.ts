import fs from 'node:fs';
import {
  Field,
  FixedSizeBinary,
  Float32,
  Int32,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Utf8,
  makeData,
  tableFromIPC,
  vectorFromArray,
  type Data,
} from 'apache-arrow';
import { InputError } from '../core/errors.ts';
import { writeFileAtomic } from '../core/fsAtomic.ts';
import type { StagedSample } from '../core/types.ts';

/**
 * Staging files: the preprocessed samples of one series as one Arrow IPC file
 * (`staging/<Collection>/<SeriesUID>.arrow`), read back by split and shard. Small (one series),
 * so written and read whole.
 */

export const STAGING_FORMAT = 'medimg-staging/1';

const STRING_COLUMNS = ['dataset', 'patientId', 'studyUid', 'seriesUid', 'sopUid', 'modality', 'label', 'bodyPart', 'pixelHash'] as const;
const INT_COLUMNS = ['frame', 'rows', 'cols'] as const;
const FLOAT_COLUMNS = ['normLo', 'normHi'] as const;

export function stagingSchema(size: number, metadata: Record<string, string> = {}): Schema {
  const fields = [
    new Field('image', new FixedSizeBinary(size * size), false),
    ...STRING_COLUMNS.map((n) => new Field(n, new Utf8(), false)),
    ...INT_COLUMNS.map((n) => new Field(n, new Int32(), false)),
    ...FLOAT_COLUMNS.map((n) => new Field(n, new Float32(), false)),
  ];
  return new Schema(fields, new Map(Object.entries({ format: STAGING_FORMAT, size: String(size), ...metadata })));
}

/** Serialise samples (all size×size) to Arrow IPC file bytes. */
export function encodeStaging(samples: StagedSample[], size: number, metadata: Record<string, string> = {}): Uint8Array {
  const schema = stagingSchema(size, metadata);
  const n = samples.length;
  const pixels = new Uint8Array(n * size * size);
  samples.forEach((s, i) => {
    if (s.image.length !== size * size) {
      throw new Error(`staged image ${s.sopUid}#${s.frame} has ${s.image.length} bytes, expected ${size * size}`);
    }
    pixels.set(s.image, i * size * size);
  });
  const children: Data[] = [
    makeData({ type: new FixedSizeBinary(size * size), length: n, nullCount: 0, data: pixels }),
    ...STRING_COLUMNS.map((c) => vectorFromArray(samples.map((s) => s[c]), new Utf8()).data[0]!),
    ...INT_COLUMNS.map((c) => makeData({ type: new Int32(), length: n, nullCount: 0, data: Int32Array.from(samples, (s) => s[c]) })),
    ...FLOAT_COLUMNS.map((c) => makeData({ type: new Float32(), length: n, nullCount: 0, data: Float32Array.from(samples, (s) => s[c]) })),
  ];
  const data = makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children });
  const writer = new RecordBatchFileWriter();
  writer.reset(undefined, schema);
  if (n > 0) writer.write(new RecordBatch(schema, data));
  return writer.finish().toUint8Array(true);
}

export async function writeStaging(file: string, samples: StagedSample[], size: number, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(file, encodeStaging(samples, size, metadata));
}

export interface StagingFile {
  size: number;
  metadata: Record<string, string>;
  samples: StagedSample[];
}

/** Decode staging bytes; images are views into `bytes` (copy them if `bytes` is reused). */
export function decodeStaging(bytes: Uint8Array, source = 'staging file'): StagingFile {
  let table;
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new InputError('STAGING_UNREADABLE', `${source} is not a readable Arrow file: ${String(err)}`, {
      hint: 'delete it and run `etl preprocess` again to re-stage the series',
    });
  }
  const metadata = Object.fromEntries(table.schema.metadata);
  if (metadata.format !== STAGING_FORMAT) {
    throw new InputError('STAGING_FORMAT', `${source}: expected format ${STAGING_FORMAT}, got ${metadata.format ?? 'none'}`, {
      hint: 'the file was written by another version; re-run `etl preprocess`',
    });
  }
  const size = Number(metadata.size);
  const col = (name: string) => {
    const c = table.getChild(name);
    if (!c) throw new InputError('STAGING_FORMAT', `${source}: missing column ${name}`);
    return c;
  };
  const image = col('image');
  const cols = Object.fromEntries([...STRING_COLUMNS, ...INT_COLUMNS, ...FLOAT_COLUMNS].map((n) => [n, col(n)]));
  const samples: StagedSample[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const rec: Record<string, unknown> = { image: image.get(i) as Uint8Array };
    for (const [n, c] of Object.entries(cols)) rec[n] = c.get(i);
    samples.push(rec as unknown as StagedSample);
  }
  return { size, metadata, samples };
}

export function readStaging(file: string): StagingFile {
  return decodeStaging(fs.readFileSync(file), file);
}
