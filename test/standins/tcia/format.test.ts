import { describe, expect, it } from 'vitest';
import { columns, encodeForHtml, toCsvPlain, toCsvQuoted, toHtml, toJson, toValueCsv, toXml } from '../../../src/standins/tcia/format.ts';
import { daToMdy, parseFromDate, upperValues } from '../../../src/standins/tcia/queries.ts';
import { javaHashMapOrder, javaStringHash, newFileNameOrder, sequentialEntryName } from '../../../src/tcia/zipEntries.ts';
import { manifestText } from '../../../src/standins/tcia/endpoints.ts';
import { shortLicenseName } from '../../../src/standins/tcia/catalog.ts';

const COLS = columns('SeriesInstanceUID', 'LicenseURI', 'SeriesNumber:dec', 'ImageCount:int', 'Site');

describe('stand-in JSON (Jettison 1.1)', () => {
  it('keeps column order, omits null columns, prints numbers as numbers and escapes every slash', () => {
    const json = toJson(COLS, [['1.2.3', 'http://x/y', 500, 57, null]]);
    expect(json).toBe('[{"SeriesInstanceUID":"1.2.3","LicenseURI":"http:\\/\\/x\\/y","SeriesNumber":500,"ImageCount":57}]');
    expect(JSON.parse(json)).toEqual([{ SeriesInstanceUID: '1.2.3', LicenseURI: 'http://x/y', SeriesNumber: 500, ImageCount: 57 }]);
  });

  it('strips trailing zeros of decimals and serialises a null value-list entry as {}', () => {
    expect(toJson(columns('PixelSpacing:dec'), [[0.8789]])).toBe('[{"PixelSpacing":0.8789}]');
    expect(toJson(columns('BodyPartExamined'), [[null], ['CHEST']])).toBe('[{},{"BodyPartExamined":"CHEST"}]');
  });
});

describe('stand-in text formats (FormatOutput)', () => {
  it('quotes every CSV field, doubles quotes, keeps DB decimal scale and writes "" for nulls', () => {
    const csv = toCsvQuoted(COLS, [['1.2', 'a"b', 2, 3, null]]);
    expect(csv).toBe('"SeriesInstanceUID","LicenseURI","SeriesNumber","ImageCount","Site"\n"1.2","a""b","2.000000","3",""\n');
  });

  it('writes value lists as unquoted CSV and md5hashes.csv as plain CSV', () => {
    expect(toValueCsv('Modality', ['CT', 'MR'])).toBe('Modality\nCT\nMR\n');
    expect(toCsvPlain(columns('Filename', 'MD5Hash'), [['1-1.dcm', 'ab']])).toBe('Filename,MD5Hash\n1-1.dcm,ab\n');
  });

  it('writes XML rows with Java type attributes and HTML tables with &nbsp; for nulls', () => {
    const xml = toXml(COLS, [['1.2', 'http://x', 2, 3, null]]);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Results><Row><SeriesInstanceUID type=\'java.lang.String\'>1.2</SeriesInstanceUID>' +
        "<LicenseURI type='java.lang.String'>http&#x3a;&#x2f;&#x2f;x</LicenseURI><SeriesNumber type='java.math.BigDecimal'>2.000000</SeriesNumber>" +
        "<ImageCount type='java.lang.Integer'>3</ImageCount></Row></Results>",
    );
    expect(toHtml(columns('A', 'B'), [['x', null]])).toBe("<P ALIGN='center'><TABLE BORDER=1><TR><TH>A</TH><TH>B</TH></TR><TR><TD>x</TD><TD>&nbsp;</TD></TR></TABLE></P>");
    expect(encodeForHtml('a&b <c>, d.e-f_g')).toBe('a&amp;b &lt;c&gt;, d.e-f_g');
  });
});

describe('stand-in dates and value lists', () => {
  it('reads fromDate like STR_TO_DATE(%m-%d-%Y) and rejects impossible dates', () => {
    expect(parseFromDate('03-08-2019')).toBe('2019-03-08');
    expect(parseFromDate('3-8-2019')).toBe('2019-03-08');
    expect(parseFromDate('2019-03-08')).toBeNull();
    expect(parseFromDate('02-30-2019')).toBeNull();
    expect(daToMdy('20180106')).toBe('01-06-2018');
    expect(daToMdy('2018')).toBeNull();
  });

  it('upper-cases, de-duplicates and sorts value lists with NULL first', () => {
    expect(upperValues(['mr', 'CT', 'Mr', null, undefined])).toEqual([null, 'CT', 'MR']);
  });

  it('derives the short licence name used in LICENSE', () => {
    expect(shortLicenseName('http://creativecommons.org/licenses/by/3.0/')).toBe('CC BY 3.0');
    expect(shortLicenseName('https://creativecommons.org/licenses/by-nc/4.0/')).toBe('CC BY-NC 4.0');
    expect(shortLicenseName('https://example.org/tcia-restricted')).toBeNull();
  });
});

describe('getImage entry names (ImageDAO2Impl.setNewFileNames)', () => {
  const img = (instanceNumber: number | null, acquisitionNumber: number | null = 1) => ({ instanceNumber, acquisitionNumber });

  it('sorts by InstanceNumber and pads to the digits of the instance count', () => {
    const images = Array.from({ length: 133 }, (_, i) => img(133 - i));
    const names = newFileNameOrder(images);
    expect(names[0]).toEqual({ index: 132, name: '1-001.dcm' });
    expect(names[132]).toEqual({ index: 0, name: '1-133.dcm' });
  });

  it('starts a new acquisition prefix (and restarts instances) when AcquisitionNumber changes', () => {
    const names = newFileNameOrder([img(1, 1), img(2, 1), img(3, 2), img(4, 2)]).map((n) => n.name);
    expect(names).toEqual(['1-1.dcm', '1-2.dcm', '2-1.dcm', '2-2.dcm']);
  });

  it('puts images without InstanceNumber first and keeps DB order for ties', () => {
    const order = newFileNameOrder([img(2), img(null), img(1), img(null)]).map((n) => n.index);
    expect(order).toEqual([1, 3, 2, 0]);
  });

  it('names default entries with an 8-digit counter and the stored extension', () => {
    expect(sequentialEntryName(1, 'P/S/X/000001.dcm')).toBe('00000001.dcm');
    expect(sequentialEntryName(12, 'a/b.DCM')).toBe('00000012.DCM');
    expect(sequentialEntryName(3, 'dir.v2/IM0003')).toBe('00000003.dcm');
  });
});

describe('md5hashes.csv row order (java.util.HashMap)', () => {
  it('hashes strings like Java', () => {
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
  });

  it('iterates by bucket index, not insertion or sorted order', () => {
    const keys = Array.from({ length: 20 }, (_, i) => String(i + 1).padStart(8, '0') + '.dcm');
    const order = javaHashMapOrder(keys);
    expect([...order].sort()).toEqual(keys);
    // 20 entries → 32 buckets; bucket = (h ^ h >>> 16) & 31 must be non-decreasing along the order.
    const buckets = order.map((k) => {
      const h = javaStringHash(k);
      return (h ^ (h >>> 16)) & 31;
    });
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(order).not.toEqual(keys);
  });
});

describe('manifest text (ManifestMaker)', () => {
  it('writes the properties header then one UID per line, verbatim', () => {
    const text = manifestText(['1.2.3', '4.5'], false, 'manifest-1.tcia', 'http://127.0.0.1:9');
    expect(text).toBe(
      'downloadServerUrl=http://127.0.0.1:9/nbia-download/servlet/DownloadServlet\nincludeAnnotation=false\nnoOfrRetry=4\n' +
        'databasketId=manifest-1.tcia\nmanifestVersion=3.0\nListOfSeriesToDownload=\n1.2.3\n4.5\n',
    );
  });
});
