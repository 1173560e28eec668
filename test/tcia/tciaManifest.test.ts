import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTciaManifest, parseTciaManifest } from '../../src/tcia/tciaManifest.ts';
import { ConfigError } from '../../src/core/errors.ts';

const LIVE = `downloadServerUrl=https://nbia.cancerimagingarchive.net/nbia-download/servlet/DownloadServlet
includeAnnotation=true
noOfrRetry=4
databasketId=manifest-1724796815128.tcia
manifestVersion=3.0
ListOfSeriesToDownload=
1.3.6.1.4.1.14519.5.2.1.48822327301563949480198360763011173678
1.3.6.1.4.1.14519.5.2.1.74640583883665924899120840733688469127
`;

describe('.tcia manifest parser', () => {
  it('reads every header key of the live format and the UIDs in order', () => {
    const m = parseTciaManifest(LIVE);
    expect(m.downloadServerUrl).toBe('https://nbia.cancerimagingarchive.net/nbia-download/servlet/DownloadServlet');
    expect(m.includeAnnotation).toBe(true);
    expect(m.noOfrRetry).toBe(4);
    expect(m.databasketId).toBe('manifest-1724796815128.tcia');
    expect(m.manifestVersion).toBe('3.0');
    expect(m.seriesUids).toEqual([
      '1.3.6.1.4.1.14519.5.2.1.48822327301563949480198360763011173678',
      '1.3.6.1.4.1.14519.5.2.1.74640583883665924899120840733688469127',
    ]);
    expect(m.junkLines).toBe(0);
  });

  it('handles CRLF, blank lines, padding, junk lines, duplicates, dataType and unknown keys', () => {
    const text = [
      '\uFEFFdownloadServerUrl=https://public.cancerimagingarchive.net/nbia-download/servlet/DownloadServlet',
      '',
      '# a comment',
      'includeAnnotation=false',
      'noOfrRetry=4',
      'dataType=DICOM',
      'someFutureKey=x',
      'this is not a property',
      'databasketId=manifest-1.tcia',
      'manifestVersion=1.0',
      'ListOfSeriesToDownload=',
      '  1.2.840.1  ',
      '',
      'garbage line',
      '1.2.840.2\t',
      '1.2.840.1',
      '1.2..3',
      '',
    ].join('\r\n');
    const m = parseTciaManifest(text);
    expect(m.includeAnnotation).toBe(false);
    expect(m.dataType).toBe('DICOM');
    expect(m.properties.someFutureKey).toBe('x');
    expect(m.junkHeaderLines).toBe(1);
    expect(m.manifestVersion).toBe('1.0');
    expect(m.seriesUids).toEqual(['1.2.840.1', '1.2.840.2']);
    expect(m.junkLines).toBe(2);
    expect(m.duplicates).toBe(1);
  });

  it('accepts a bare list of UIDs and a UID on the marker line', () => {
    expect(parseTciaManifest('1.2.3\n4.5.6\n').seriesUids).toEqual(['1.2.3', '4.5.6']);
    expect(parseTciaManifest('manifestVersion=3.0\nListOfSeriesToDownload=1.2.3\n4.5\n').seriesUids).toEqual(['1.2.3', '4.5']);
  });

  it('refuses a header without the marker, and a file without series', () => {
    expect(() => parseTciaManifest('manifestVersion=3.0\n1.2.3\n')).toThrow(ConfigError);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tcia-m-'));
    const f = path.join(dir, 'empty.tcia');
    fs.writeFileSync(f, 'manifestVersion=3.0\nListOfSeriesToDownload=\n\n');
    expect(() => loadTciaManifest(f)).toThrow(/lists no SeriesInstanceUIDs/);
    expect(() => loadTciaManifest(path.join(dir, 'missing.tcia'))).toThrow(/not found/);
  });
});
