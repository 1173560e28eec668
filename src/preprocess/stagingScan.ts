import fsp from 'node:fs/promises';
import { Type } from 'apache-arrow';
import { InputError } from '../core/errors.ts';
import { decodeColumns, readAt, readIpcLayout } from '../core/ipcLayout.ts';
import { STAGING_FORMAT } from './staging.ts';

/**
 * A staging file's rows WITHOUT their images: the metadata columns, and where each image lies in
 * the file, so `etl shard` can sort millions of rows by key and then read each image once, by
 * position, straight into the batch it belongs to. Reads the footer, the batch message and the
 * buffers after the image column; the image bytes themselves are not read here.
 */

const COLUMNS = ['dataset', 'patientId', 'seriesUid', 'sopUid', 'label', 'pixelHash', 'frame'] as const;

export interface StagingRows {
  size: number;
  rows: number;
  dataset: string[];
  patientId: string[];
  seriesUid: string[];
  sopUid: string[];
  label: string[];
  pixelHash: string[];
  frame: Int32Array;
  /** Absolute file offset of row i's image is imageOffsets[batch] + (i - batch start) * size². */
  imageOffset(row: number): number;
}

function unreadable(file: string, err: unknown): InputError {
  if (err instanceof InputError && err.code === 'STAGING_FORMAT') return err;
  return new InputError('STAGING_UNREADABLE', `${file} is not a readable Arrow file: ${String((err as Error)?.message ?? err)}`, {
    hint: 'delete it and run `etl preprocess` again to re-stage the series',
  });
}

export async function scanStaging(file: string): Promise<StagingRows> {
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, 'r');
    const fileBytes = (await handle.stat()).size;
    const layout = await readIpcLayout(handle, file);
    const format = layout.schema.metadata.get('format');
    if (format !== STAGING_FORMAT) {
      throw new InputError('STAGING_FORMAT', `${file}: expected format ${STAGING_FORMAT}, got ${format ?? 'none'}`, {
        hint: 'the file was written by another version; re-run `etl preprocess`',
      });
    }
    const size = Number(layout.schema.metadata.get('size'));
    const pixels = size * size;
    const img = layout.fields.findIndex((f) => f.name === 'image');
    const imgType = layout.fields[img]?.type as { typeId?: Type; byteWidth?: number } | undefined;
    if (imgType?.typeId !== Type.FixedSizeBinary || imgType.byteWidth !== pixels) {
      throw new InputError('STAGING_FORMAT', `${file}: image column is ${String(imgType)}, expected FixedSizeBinary(${pixels})`, { hint: 're-run `etl preprocess`' });
    }
    const out: StagingRows = { size, rows: 0, dataset: [], patientId: [], seriesUid: [], sopUid: [], label: [], pixelHash: [], frame: new Int32Array(0), imageOffset: () => 0 };
    const starts: number[] = [];
    const offsets: number[] = [];
    const frames: Int32Array[] = [];
    for (const b of layout.batches) {
      const image = b.buffers[layout.firstBuffer[img]! + 1]!;
      if (b.nullCounts[img] || image.length < b.rows * pixels || image.offset + b.rows * pixels > fileBytes) {
        throw new InputError('STAGING_UNREADABLE', `${file}: image buffer of ${b.rows} rows is cut short or has nulls`, { hint: 're-run `etl preprocess`' });
      }
      // One read spanning the metadata columns' buffers (they follow the image values in the body).
      const ranges = COLUMNS.flatMap((c) => {
        const f = layout.fields.findIndex((x) => x.name === c);
        return f < 0 ? [] : b.buffers.slice(layout.firstBuffer[f]!, layout.firstBuffer[f]! + 3);
      });
      const from = Math.min(...ranges.map((r) => r.offset));
      const to = Math.max(...ranges.map((r) => r.offset + r.length));
      if (!(to <= fileBytes)) throw new InputError('STAGING_UNREADABLE', `${file}: column buffers run past the end of the file`, { hint: 're-run `etl preprocess`' });
      const chunk = await readAt(handle, from, to - from);
      const cols = decodeColumns(layout, b, chunk, from, COLUMNS);
      for (const c of COLUMNS) if (c !== 'frame') out[c] = out[c].concat(cols[c] as string[]);
      frames.push(cols.frame as Int32Array);
      starts.push(out.rows);
      offsets.push(image.offset);
      out.rows += b.rows;
    }
    out.frame = frames.length === 1 ? frames[0]! : Int32Array.from(frames.flatMap((f) => [...f]));
    out.imageOffset = (row) => {
      let k = starts.length - 1;
      while (starts[k]! > row) k--;
      return offsets[k]! + (row - starts[k]!) * pixels;
    };
    return out;
  } catch (err) {
    throw unreadable(file, err);
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
