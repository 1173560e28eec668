/**
 * Response bodies exactly as NBIA's FormatOutput writes them (tcia-api.md §2):
 * - JSON: Jettison 1.1 — compact array of flat objects, keys in column order, null columns omitted,
 *   every `/` escaped as `\/`, decimals with trailing zeros stripped (JS number printing does that).
 * - csv / csvquoted / csv-download: every field quoted, `""` escaping, `\n` line ends, quoted header.
 * - value lists (single column): unquoted CSV `column\nvalue\n`.
 * - xml: `<Results><Row><Col type='java.lang.String'>…</Col>…</Row></Results>`, nulls omitted.
 * - html: `<P ALIGN='center'><TABLE BORDER=1>…`, nulls as `&nbsp;`.
 * Text in xml/html goes through an ESAPI-style encodeForHTML.
 */

/**
 * How a column is typed in the server's result rows: `int`/`long` are Java integers, `dec` is a
 * DB DECIMAL (JSON `500`, text `500.000000`), `str` a string (dates are already `MM-DD-YYYY` strings).
 */
export type ColumnType = 'str' | 'int' | 'long' | 'dec';
export interface Column {
  name: string;
  type: ColumnType;
}
export type Cell = string | number | null;
export type Row = readonly Cell[];

/** Columns from a compact spec: `Name` is a string, `Name:int`, `Name:long`, `Name:dec`. */
export function columns(...specs: string[]): Column[] {
  return specs.map((s) => {
    const i = s.lastIndexOf(':');
    return i < 0 ? { name: s, type: 'str' } : { name: s.slice(0, i), type: s.slice(i + 1) as ColumnType };
  });
}

/** A JSON string as Jettison 1.1 quotes it (`/` → `\/`). */
export function jettisonQuote(s: string): string {
  return JSON.stringify(s).replace(/\//g, '\\/');
}

function jsonValue(v: string | number): string {
  if (typeof v === 'string') return jettisonQuote(v);
  return Number.isFinite(v) ? String(v) : 'null';
}

export function toJson(cols: readonly Column[], rows: readonly Row[]): string {
  const parts: string[] = [];
  for (const row of rows) {
    const fields: string[] = [];
    cols.forEach((c, i) => {
      const v = row[i];
      if (v !== null && v !== undefined) fields.push(`${jettisonQuote(c.name)}:${jsonValue(v)}`);
    });
    parts.push(`{${fields.join(',')}}`);
  }
  return `[${parts.join(',')}]`;
}

/** `toString()` of the Java value behind a cell (BigDecimal keeps its DB scale of 6). */
function javaString(v: string | number, type: ColumnType): string {
  if (typeof v === 'string') return v;
  if (type === 'dec') return v.toFixed(6);
  return String(Math.trunc(v));
}

/** FormatOutput.toCsvQuoted, including its null handling (`","` for a null cell). */
export function toCsvQuoted(cols: readonly Column[], rows: readonly Row[]): string {
  const q = (s: string) => s.replace(/"/g, '""');
  let out = '"' + cols.map((c) => q(c.name)).join('","') + '"\n';
  for (const row of rows) {
    let line = '';
    cols.forEach((c, i) => {
      const v = row[i];
      if (v === null || v === undefined) line += '","';
      else line += (i > 0 ? '","' : '"') + q(javaString(v, c.type));
    });
    out += line + '"\n';
  }
  return out;
}

/** FormatOutput.toCsv for unquoted multi-column output (md5hashes.csv). */
export function toCsvPlain(cols: readonly Column[], rows: readonly Row[]): string {
  let out = cols.map((c) => c.name).join(',') + '\n';
  for (const row of rows) {
    out += cols.map((c, i) => (row[i] === null || row[i] === undefined ? '' : javaString(row[i]!, c.type))).join(',') + '\n';
  }
  return out;
}

/** FormatOutput.toCsv(String column, List<String>): unquoted; a null value writes an extra blank line. */
export function toValueCsv(column: string, values: readonly (string | null)[]): string {
  let out = column + '\n';
  for (const v of values) out += (v === null ? '\n' : v) + '\n';
  return out;
}

const JAVA_TYPE: Record<ColumnType, string> = {
  str: 'java.lang.String',
  int: 'java.lang.Integer',
  long: 'java.lang.Long',
  dec: 'java.math.BigDecimal',
};

const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>';

export function toXml(cols: readonly Column[], rows: readonly Row[]): string {
  let out = XML_HEAD + '<Results>';
  for (const row of rows) {
    out += '<Row>';
    cols.forEach((c, i) => {
      const v = row[i];
      if (v === null || v === undefined) return;
      const type = typeof v === 'string' ? JAVA_TYPE.str : JAVA_TYPE[c.type];
      const text = typeof v === 'string' ? encodeForHtml(v) : javaString(v, c.type);
      out += `<${c.name} type='${type}'>${text}</${c.name}>`;
    });
    out += '</Row>';
  }
  return out + '</Results>';
}

export function toValueXml(column: string, values: readonly (string | null)[]): string {
  let out = XML_HEAD + '<Results>';
  for (const v of values) {
    out += '<Row>';
    if (v !== null) out += `<${column} type='java.lang.String'>${encodeForHtml(v)}</${column}>`;
    out += '</Row>';
  }
  return out + '</Results>';
}

export function toHtml(cols: readonly Column[], rows: readonly Row[]): string {
  let out = "<P ALIGN='center'><TABLE BORDER=1><TR>" + cols.map((c) => `<TH>${c.name}</TH>`).join('') + '</TR>';
  for (const row of rows) {
    out += '<TR>';
    cols.forEach((c, i) => {
      const v = row[i];
      if (v === null || v === undefined) out += '<TD>&nbsp;</TD>';
      else out += `<TD>${typeof v === 'string' ? encodeForHtml(v) : javaString(v, c.type)}</TD>`;
    });
    out += '</TR>';
  }
  return out + '</TABLE></P>';
}

export function toValueHtml(column: string, values: readonly (string | null)[]): string {
  let out = `<P ALIGN='center'><TABLE BORDER=1><TR><TH>${column}</TH></TR>`;
  for (const v of values) out += `<TR><TD>${v === null ? '&nbsp;' : encodeForHtml(v)}</TD></TR>`;
  return out + '</TABLE></P>';
}

const NAMED: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };

/** ESAPI HTMLEntityCodec style: letters, digits and `,.-_ ` pass; the rest become entities. */
export function encodeForHtml(s: string): string {
  let out = '';
  for (const ch of s) {
    if (/[A-Za-z0-9,.\-_ ]/.test(ch)) out += ch;
    else out += NAMED[ch] ?? `&#x${ch.codePointAt(0)!.toString(16)};`;
  }
  return out;
}
