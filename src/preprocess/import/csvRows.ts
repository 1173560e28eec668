import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse';
import { InputError, messageOf } from '../../core/errors.ts';

/**
 * Rows of a dataset's metadata CSV (CheXpert train.csv, NIH Data_Entry_2017.csv, RSNA bone age),
 * streamed with csv-parse: one record at a time, header row as keys, so a million-row file never
 * sits in memory. A row with a column count that differs from the header is kept (fields missing or
 * extra are simply absent/ignored); a file that cannot be parsed at all is an input error.
 */
export interface CsvRow {
  /** 1-based line number of the record in the file (for rejects). */
  line: number;
  fields: Record<string, string>;
}

export async function* csvRows(file: string, required: string[]): AsyncGenerator<CsvRow> {
  const parser = fs.createReadStream(file).pipe(
    parse({ columns: (h: string[]) => h.map((c) => c.trim()), bom: true, skip_empty_lines: true, relax_column_count: true, info: true, trim: true }),
  );
  let checked = false;
  try {
    for await (const rec of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (!checked) {
        const missing = required.filter((c) => !(c in rec.record));
        if (missing.length > 0) {
          throw new InputError('CSV_COLUMNS', `${path.basename(file)} lacks column(s) ${missing.join(', ')} (has ${Object.keys(rec.record).join(', ')})`, {
            hint: 'is this the dataset\'s own CSV file?',
          });
        }
        checked = true;
      }
      yield { line: rec.info.lines, fields: rec.record };
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError('CSV_UNREADABLE', `${file}: not a readable CSV: ${messageOf(err)}`, { hint: 'download the dataset\'s CSV again' });
  } finally {
    parser.destroy();
  }
}
