import fs from 'node:fs';
import { ConfigError } from '../core/errors.ts';

/**
 * `.tcia` manifests (tcia-api.md §6): a Java-properties header, the marker `ListOfSeriesToDownload=`,
 * then one SeriesInstanceUID a line. Robust rule: properties until the marker, then trimmed
 * non-empty lines matching ^[0-9.]+$ (anything else after the marker is counted, not fatal).
 */
export interface TciaManifest {
  downloadServerUrl?: string;
  includeAnnotation?: boolean;
  noOfrRetry?: number;
  databasketId?: string;
  manifestVersion?: string;
  dataType?: string;
  /** Every header property as written (including unknown keys). */
  properties: Record<string, string>;
  /** Header lines that are neither properties nor comments. */
  junkHeaderLines: number;
  /** Lines after the marker that are not UIDs. */
  junkLines: number;
  /** SeriesInstanceUIDs in file order, duplicates removed. */
  seriesUids: string[];
  duplicates: number;
}

const MARKER = 'ListOfSeriesToDownload';

export function parseTciaManifest(text: string, source = '.tcia manifest'): TciaManifest {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const properties: Record<string, string> = {};
  let junkHeaderLines = 0;
  let i = 0;
  let sawMarker = false;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:\s]+)\s*[=:]\s*(.*)$/.exec(line);
    if (m && m[1] === MARKER) {
      sawMarker = true;
      // Some writers put the first UID on the marker line itself.
      if (m[2]!.trim() !== '') lines[i] = m[2]!;
      else i++;
      break;
    }
    if (m) properties[m[1]!] = m[2]!.trim();
    else if (/^[0-9.]+$/.test(line) && Object.keys(properties).length === 0) break; // a bare UID list without header
    else junkHeaderLines++;
  }
  if (!sawMarker && Object.keys(properties).length > 0) {
    throw new ConfigError(`${source}: no "${MARKER}=" line found`, {
      hint: 'a .tcia manifest lists its series after the line ListOfSeriesToDownload=',
    });
  }
  const seen = new Set<string>();
  const seriesUids: string[] = [];
  let junkLines = 0;
  let duplicates = 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!/^[0-9.]+$/.test(line) || line.startsWith('.') || line.endsWith('.') || line.includes('..')) {
      junkLines++;
      continue;
    }
    if (seen.has(line)) {
      duplicates++;
      continue;
    }
    seen.add(line);
    seriesUids.push(line);
  }
  const out: TciaManifest = { properties, junkHeaderLines, junkLines, seriesUids, duplicates };
  if (properties.downloadServerUrl !== undefined) out.downloadServerUrl = properties.downloadServerUrl;
  if (properties.includeAnnotation !== undefined) out.includeAnnotation = /^true$/i.test(properties.includeAnnotation);
  if (properties.noOfrRetry !== undefined && /^\d+$/.test(properties.noOfrRetry)) out.noOfrRetry = Number(properties.noOfrRetry);
  if (properties.databasketId !== undefined) out.databasketId = properties.databasketId;
  if (properties.manifestVersion !== undefined) out.manifestVersion = properties.manifestVersion;
  if (properties.dataType !== undefined) out.dataType = properties.dataType;
  return out;
}

/** Read and parse a `.tcia` file; a missing file or one without series is a ConfigError. */
export function loadTciaManifest(file: string): TciaManifest {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`\`tciaManifest\` ${file} not found`, { hint: 'pass the .tcia file the TCIA portal gave you' });
  }
  const m = parseTciaManifest(text, file);
  if (m.seriesUids.length === 0) {
    throw new ConfigError(`\`tciaManifest\` ${file} lists no SeriesInstanceUIDs`, {
      hint: 'expected one UID (digits and dots) a line after ListOfSeriesToDownload=',
    });
  }
  return m;
}
