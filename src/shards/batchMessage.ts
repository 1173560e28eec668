import { isAscii } from 'node:buffer';
import { InputError } from '../core/errors.ts';

/**
 * One stored batch, decoded straight from the bytes read for it (its encapsulated RecordBatch
 * message and body): the image column is a view into those bytes (no copy), labels and frames are
 * small typed arrays, the ID columns strings decoded on first use (IdColumns). The message is a
 * flatbuffer (Arrow's Message.fbs / Schema.fbs); reading the few fields the reader needs by hand
 * keeps apache-arrow, whose import alone costs a training process ~0.4 s of start-up on the
 * project's machine, off the read path.
 */

/** Buffers of a shard batch by column, in IPC order (schema.ts COLUMNS; checked by the reader at open). */
const BUFFER = { image: 1, label: 3, dataset: [5, 6], series: [11, 12], sop: [14, 15], frame: 17 } as const;
const BUFFERS = 21;
/** Arrow stores little-endian; a typed-array view reads in the platform's order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const RECORD_BATCH = 3;

export interface DecodedBatch {
  rows: number;
  images: Uint8Array;
  labels: Int32Array;
  /** ID columns: accessors that decode on first use (IdColumns). */
  datasets: string[];
  series: string[];
  sops: string[];
  frames: Int32Array;
}

type IdName = 'datasets' | 'series' | 'sops';
const ID_BUFFERS: Record<IdName, readonly [number, number]> = { datasets: BUFFER.dataset, series: BUFFER.series, sops: BUFFER.sop };
const ID_NAMES = Object.keys(ID_BUFFERS) as IdName[];

/**
 * A batch's ID columns (dataset, series, SOP UID), decoded to strings when first read: the training
 * step reads images and labels only, and the strings were a third of the reader's own time per
 * batch. Their bytes (offsets and values, ~15 KB a batch) are copied and their offsets checked at
 * decode time (a damaged batch fails in the reader, as before), so they outlive the read buffer's
 * reuse and the map's dropped pages.
 */
export class IdColumns {
  private readonly decoded: Partial<Record<IdName, string[]>> = {};

  constructor(
    private readonly bytes: Buffer,
    private readonly rows: number,
    /** [offsets, values] of each column, positions in `bytes`. */
    private readonly at: Record<IdName, readonly [number, number]>,
  ) {}

  get(name: IdName): string[] {
    return (this.decoded[name] ??= this.strings(...this.at[name]));
  }

  set(name: IdName, value: string[]): void {
    this.decoded[name] = value;
  }

  /**
   * Give `target` the three columns as enumerable accessors over these: a spread copies the strings,
   * an assignment replaces a column (for every object these columns are attached to). The accessor
   * functions are shared, so batch objects keep one shape (V8 turns an object whose accessors
   * differ from its siblings' into a slow dictionary).
   */
  attach<T extends object>(target: T): T & Pick<DecodedBatch, IdName> {
    Object.defineProperty(target, COLUMNS_OF, { value: this });
    return Object.defineProperties(target, ACCESSORS) as T & Pick<DecodedBatch, IdName>;
  }

  private strings(offsets: number, values: number): string[] {
    const { bytes: buf, rows } = this;
    const end = buf.readInt32LE(offsets + 4 * rows);
    // IDs are ASCII: decode the column once and cut it (a row equal to the one before shares its string).
    const ascii = isAscii(buf.subarray(values, values + end));
    const all = ascii ? buf.toString('latin1', values, values + end) : '';
    const out = new Array<string>(rows);
    let ps = -1;
    let pe = -1;
    for (let i = 0; i < rows; i++) {
      const s = buf.readInt32LE(offsets + 4 * i);
      const e = buf.readInt32LE(offsets + 4 * i + 4);
      if (ascii && i > 0 && e - s === pe - ps && all.startsWith(out[i - 1]!, s)) out[i] = out[i - 1]!;
      else out[i] = ascii ? all.slice(s, e) : buf.toString('utf8', values + s, values + e);
      ps = s;
      pe = e;
    }
    return out;
  }
}

const COLUMNS_OF = Symbol('IdColumns');
type Carrier = { [COLUMNS_OF]: IdColumns };
const ACCESSORS = Object.fromEntries(ID_NAMES.map((name): [IdName, PropertyDescriptor] => [name, {
  enumerable: true,
  configurable: true,
  get(this: Carrier) {
    return this[COLUMNS_OF].get(name);
  },
  set(this: Carrier, v: string[]) {
    this[COLUMNS_OF].set(name, v);
  },
}]));

/** `to` with `from`'s ID columns (the same IdColumns: still undecoded where `from`'s are). */
export function carryIds<T extends object>(from: DecodedBatch, to: T): T & Pick<DecodedBatch, IdName> {
  return (from as unknown as Carrier)[COLUMNS_OF].attach(to);
}

function corrupt(what: string, why: string): InputError {
  return new InputError('SHARDS_CORRUPT', `${what}: ${why}`, { hint: 'run `etl verify`' });
}

/** Field `id` of the flatbuffer table at `pos`: its absolute position, or 0 when absent. */
function field(dv: DataView, pos: number, id: number): number {
  const vtable = pos - dv.getInt32(pos, true);
  const o = 4 + 2 * id;
  const rel = o < dv.getUint16(vtable, true) ? dv.getUint16(vtable + o, true) : 0;
  return rel === 0 ? 0 : pos + rel;
}

/** Follow the uoffset stored at `pos`. */
const deref = (dv: DataView, pos: number) => pos + dv.getUint32(pos, true);

/**
 * Decode `bytes` = one block of a shard (message + body, as the footer / batch index locate it).
 * `what` names the batch in errors.
 */
export function decodeBatch(bytes: Uint8Array, metadataLength: number, pixels: number, what: string): DecodedBatch {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const skip = dv.getInt32(0, true) === -1 ? 8 : 4; // continuation marker, then the flatbuffer's length
  const fb = new DataView(bytes.buffer, bytes.byteOffset + skip, metadataLength - skip);
  const msg = deref(fb, 0);
  const type = field(fb, msg, 1);
  if (!type || fb.getUint8(type) !== RECORD_BATCH) throw corrupt(what, 'not a RecordBatch message');
  const rb = deref(fb, field(fb, msg, 2));
  if (field(fb, rb, 3)) throw corrupt(what, 'compressed (shards are written uncompressed)');
  const rows = Number(fb.getBigInt64(field(fb, rb, 0), true));
  const vec = deref(fb, field(fb, rb, 2));
  if (fb.getUint32(vec, true) !== BUFFERS) throw corrupt(what, `${fb.getUint32(vec, true)} buffers, expected ${BUFFERS}`);
  const range = (b: number, min: number): [number, number] => {
    const start = metadataLength + Number(fb.getBigInt64(vec + 4 + 16 * b, true));
    const length = Number(fb.getBigInt64(vec + 12 + 16 * b, true));
    if (length < min || start + length > bytes.byteLength) throw corrupt(what, `buffer ${b} lies outside the batch`);
    return [start, length];
  };
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Fresh arrays (they outlive the read buffer): one native copy where the column lies 4-aligned.
  const ints = ([start]: [number, number]): Int32Array =>
    LITTLE_ENDIAN && (bytes.byteOffset + start) % 4 === 0
      ? new Int32Array(bytes.buffer, bytes.byteOffset + start, rows).slice()
      : Int32Array.from({ length: rows }, (_, i) => buf.readInt32LE(start + 4 * i));
  // The ID columns' buffers, located and their offsets checked now; their bytes copied in one piece for IdColumns.
  const at = {} as Record<IdName, [number, number]>;
  let from = bytes.byteLength;
  let to = 0;
  for (const name of ID_NAMES) {
    const [o, v] = ID_BUFFERS[name];
    const [offsets] = range(o, 4 * (rows + 1));
    const [values, length] = range(v, 0);
    for (let i = 0, prev = 0; i <= rows; i++) {
      const x = buf.readInt32LE(offsets + 4 * i);
      if (x < prev || x > length) throw corrupt(what, `${name} offset ${i} lies outside its buffer`);
      prev = x;
    }
    const start = length > 0 ? values : offsets; // an empty values buffer may lie anywhere: nothing to copy
    at[name] = [offsets, start];
    from = Math.min(from, offsets, start);
    to = Math.max(to, offsets + 4 * (rows + 1), start + length);
  }
  for (const r of Object.values(at)) {
    r[0] -= from;
    r[1] -= from;
  }
  const idBytes = Buffer.from(bytes.subarray(from, to)); // a copy
  const [image] = range(BUFFER.image, rows * pixels);
  return new IdColumns(idBytes, rows, at).attach({
    rows,
    images: bytes.subarray(image, image + rows * pixels),
    labels: ints(range(BUFFER.label, 4 * rows)),
    frames: ints(range(BUFFER.frame, 4 * rows)),
  });
}
