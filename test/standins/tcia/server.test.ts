import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from '../../../src/standins/synth/index.ts';
import { startStandIn, type StandInServer } from '../../../src/standins/tcia/index.ts';
import { SERIES_COLUMNS, STUDY_COLUMNS } from '../../../src/standins/tcia/queries.ts';
import { readHeaderFields } from '../../../src/standins/tcia/dicomHeader.ts';

/** What the synth wrote, read back from disk (so expectations do not come from the server). */
interface DiskSeries {
  collection: string;
  patientId: string;
  studyUid: string;
  seriesUid: string;
  dir: string;
  files: string[];
  bytes: number;
  dateReleased: string;
}

function readDisk(root: string): DiskSeries[] {
  const out: DiskSeries[] = [];
  for (const coll of fs.readdirSync(root).filter((n) => fs.statSync(path.join(root, n)).isDirectory()).sort()) {
    const meta = JSON.parse(fs.readFileSync(path.join(root, coll, 'collection.json'), 'utf8')) as {
      collection: string;
      series: Record<string, { dateReleased: string }>;
    };
    for (const patient of fs.readdirSync(path.join(root, coll)).filter((n) => n !== 'collection.json')) {
      for (const study of fs.readdirSync(path.join(root, coll, patient))) {
        for (const series of fs.readdirSync(path.join(root, coll, patient, study))) {
          const dir = path.join(root, coll, patient, study, series);
          const files = fs.readdirSync(dir).sort();
          out.push({
            collection: meta.collection,
            patientId: patient,
            studyUid: study,
            seriesUid: series,
            dir,
            files,
            bytes: files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0),
            dateReleased: meta.series[series]!.dateReleased,
          });
        }
      }
    }
  }
  return out;
}

interface Got {
  status: number;
  headers: Headers;
  body: Buffer;
}

async function get(server: StandInServer, endpoint: string, params: Record<string, string> = {}): Promise<Got> {
  const qs = new URLSearchParams(params).toString();
  const res = await fetch(`${server.url}/${endpoint}${qs ? `?${qs}` : ''}`);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

async function post(server: StandInServer, endpoint: string, form: Array<[string, string]>): Promise<Got> {
  const res = await fetch(`${server.url}/${endpoint}`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const json = (g: Got) => JSON.parse(g.body.toString('utf8')) as Array<Record<string, unknown>>;

interface ZipEntryData {
  name: string;
  data: Buffer;
}

function unzip(buf: Buffer): Promise<ZipEntryData[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buf, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('no zip'));
      const out: ZipEntryData[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e ?? new Error('no stream'));
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            out.push({ name: entry.fileName, data: Buffer.concat(chunks) });
            zip.readEntry();
          });
          stream.on('error', reject);
        });
      });
      zip.on('end', () => resolve(out));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest('hex');
const mdy = (iso: string) => `${iso.slice(5, 7)}-${iso.slice(8, 10)}-${iso.slice(0, 4)}`;

let tmp: string;
let dataDir: string;
let disk: DiskSeries[];
let server: StandInServer;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'standin-'));
  dataDir = path.join(tmp, 'data');
  await synthesize({ preset: 'tiny', out: dataDir, seed: 7 });
  disk = readDisk(dataDir);
  server = await startStandIn({ dataDir, port: 0, seed: 3 });
});

afterAll(async () => {
  await server?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('stand-in listings', () => {
  it('serves the base URL on 127.0.0.1 without a trailing slash', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/nbia-api\/services\/v4$/);
    expect(server.port).toBeGreaterThan(0);
  });

  it('lists collections as [{"Collection":…}] compact JSON', async () => {
    const g = await get(server, 'getCollectionValues');
    expect(g.status).toBe(200);
    expect(g.headers.get('content-type')).toBe('application/json');
    expect(g.body.toString()).not.toMatch(/\s/);
    const names = [...new Set(disk.map((d) => d.collection))].sort((a, b) => a.toUpperCase().localeCompare(b.toUpperCase()));
    expect(json(g)).toEqual(names.map((c) => ({ Collection: c })));
  });

  it('getSeries rows: fixed key order, no nulls, numbers as numbers, MM-DD-YYYY dates, \\/ escaping', async () => {
    const g = await get(server, 'getSeries');
    const rows = json(g);
    expect(rows).toHaveLength(disk.length);
    const order = SERIES_COLUMNS.map((c) => c.name);
    for (const row of rows) {
      const keys = Object.keys(row);
      expect(keys).toEqual(order.filter((k) => keys.includes(k)));
      expect(Object.values(row)).not.toContain(null);
      for (const k of ['ImageCount', 'FileSize', 'SeriesNumber', 'Authorized']) expect(typeof row[k]).toBe('number');
      for (const k of ['DateReleased', 'MaxSubmissionTimestamp', 'StudyDate']) expect(row[k]).toMatch(/^\d{2}-\d{2}-\d{4}$/);
      expect(row.Authorized).toBe(1);
      expect(row.ReleasedStatus).toBe('Yes');
      const d = disk.find((s) => s.seriesUid === row.SeriesInstanceUID)!;
      expect(row).toMatchObject({ Collection: d.collection, PatientID: d.patientId, StudyInstanceUID: d.studyUid });
      expect(row.ImageCount).toBe(d.files.length);
      expect(row.FileSize).toBe(d.bytes);
      expect(row.DateReleased).toBe(mdy(d.dateReleased));
    }
    expect(g.body.toString()).toContain('"LicenseURI":"http');
    expect(g.body.toString()).toContain(':\\/\\/');
  });

  it('filters names case-insensitively and UIDs exactly', async () => {
    const d = disk[0]!;
    const exact = json(await get(server, 'getSeries', { Collection: d.collection }));
    const lower = json(await get(server, 'getSeries', { Collection: d.collection.toLowerCase(), PatientID: d.patientId.toLowerCase() }));
    expect(exact.length).toBeGreaterThan(0);
    expect(lower.map((r) => r.SeriesInstanceUID)).toEqual(exact.filter((r) => r.PatientID === d.patientId).map((r) => r.SeriesInstanceUID));
    const modality = String(exact[0]!.Modality);
    const byModality = json(await get(server, 'getSeries', { Modality: modality.toLowerCase() }));
    expect(byModality.every((r) => r.Modality === modality)).toBe(true);
    expect(json(await get(server, 'getSeries', { SeriesInstanceUID: d.seriesUid }))).toHaveLength(1);
    const notExact = await get(server, 'getSeries', { SeriesInstanceUID: d.seriesUid + '.0' });
    expect(notExact.body.length).toBe(0);
  });

  it('answers an empty result with HTTP 200 and an empty body, not []', async () => {
    const g = await get(server, 'getSeries', { Collection: 'No-Such-Collection' });
    expect(g.status).toBe(200);
    expect(g.body.length).toBe(0);
    expect((await get(server, 'getSeriesSize', { SeriesInstanceUID: '1.2.3' })).body.length).toBe(0);
  });

  it('rejects unknown (or wrongly cased) parameters and missing required ones with the server texts', async () => {
    const bad = await get(server, 'getSeries', { collection: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.toString()).toBe(
      "Invalid query parameter: 'collection'. Allowed parameters are: [Collection, PatientID, StudyInstanceUID, SeriesInstanceUID, Modality, BodyPartExamined, Manufacturer, ManufacturerModelName, format]",
    );
    const missing = await get(server, 'getSeriesSize');
    expect(missing.status).toBe(400);
    expect(missing.body.toString()).toBe('A parameter, SeriesInstanceUID, is required for this API call.');
    const patient = await get(server, 'NewPatientsInCollection', { Collection: 'x' });
    expect(patient.status).toBe(400);
    const notFormat = await get(server, 'getImage', { SeriesInstanceUID: disk[0]!.seriesUid, format: 'json' });
    expect(notFormat.status).toBe(400);
  });

  it('returns upper-cased, distinct, sorted value lists', async () => {
    const modalities = json(await get(server, 'getModalityValues')).map((r) => r.Modality as string);
    expect(modalities.length).toBeGreaterThan(1);
    expect(modalities).toEqual([...new Set(modalities)].sort());
    for (const m of modalities) expect(m).toBe(m.toUpperCase());
    const parts = json(await get(server, 'getBodyPartValues', { Collection: disk[0]!.collection.toLowerCase() }));
    for (const p of parts) if (p.BodyPartExamined !== undefined) expect(p.BodyPartExamined).toBe(String(p.BodyPartExamined).toUpperCase());
    const csv = await get(server, 'getModalityValues', { format: 'csv' });
    expect(csv.headers.get('content-type')).toBe('text/csv');
    expect(csv.body.toString()).toBe(['Modality', ...modalities].join('\n') + '\n');
  });

  it('serves patients (PatientId with a lower-case d) and studies with SeriesCount', async () => {
    const d = disk[0]!;
    const patients = json(await get(server, 'getPatient', { Collection: d.collection, PatientId: d.patientId }));
    expect(patients).toHaveLength(1);
    expect(patients[0]).toMatchObject({ PatientId: d.patientId, Collection: d.collection, Phantom: 'NO', SpeciesCode: '337915000', SpeciesDescription: 'Homo sapiens', Authorized: 1 });
    const studies = json(await get(server, 'getPatientStudy', { Collection: d.collection, PatientID: d.patientId }));
    const expectedStudies = new Set(disk.filter((s) => s.collection === d.collection && s.patientId === d.patientId).map((s) => s.studyUid));
    expect(new Set(studies.map((s) => s.StudyInstanceUID))).toEqual(expectedStudies);
    for (const s of studies) {
      expect(Object.keys(s)).toEqual(STUDY_COLUMNS.map((c) => c.name).filter((k) => k in s));
      expect(s.SeriesCount).toBe(disk.filter((x) => x.studyUid === s.StudyInstanceUID).length);
    }
  });

  it('reports series size and SOP instance UIDs', async () => {
    const d = disk.find((s) => s.files.length > 1)!;
    expect(json(await get(server, 'getSeriesSize', { SeriesInstanceUID: d.seriesUid }))).toEqual([{ TotalSizeInBytes: d.bytes, ObjectCount: d.files.length }]);
    const sops = json(await get(server, 'getSOPInstanceUIDs', { SeriesInstanceUID: d.seriesUid }));
    expect(sops).toHaveLength(d.files.length);
  });

  it('writes quoted CSV for format=csv and a 500 for an unknown format', async () => {
    const csv = (await get(server, 'getSeries', { Collection: disk[0]!.collection, format: 'CSV' })).body.toString();
    expect(csv.split('\n')[0]).toBe('"' + SERIES_COLUMNS.map((c) => c.name).join('","') + '"');
    const bad = await get(server, 'getSeries', { format: 'yaml' });
    expect(bad.status).toBe(500);
    expect(bad.body.toString()).toBe('Server was not able to process your request');
  });

  it('getUpdatedSeries is strictly after fromDate (day granularity)', async () => {
    const d = disk[0]!;
    const day = new Date(d.dateReleased + 'T00:00:00Z');
    const before = new Date(day.getTime() - 86_400_000).toISOString().slice(0, 10);
    const onDay = json(await get(server, 'getUpdatedSeries', { fromDate: mdy(d.dateReleased) })).map((r) => r.SeriesInstanceUID);
    const dayBefore = json(await get(server, 'getUpdatedSeries', { fromDate: mdy(before) })).map((r) => r.SeriesInstanceUID);
    expect(onDay).not.toContain(d.seriesUid);
    expect(dayBefore).toContain(d.seriesUid);
    expect(onDay.length).toBe(disk.filter((s) => s.dateReleased > d.dateReleased).length);
    expect(json(await get(server, 'getUpdatedSeries'))).toHaveLength(disk.length);
  });

  it('returns a .tcia manifest for POST getManifestText', async () => {
    const g = await post(server, 'getManifestText', [['list', disk[0]!.seriesUid], ['list', disk[1]!.seriesUid], ['includeAnnotation', 'false']]);
    expect(g.headers.get('content-type')).toBe('application/x-nbia-manifest-file');
    const lines = g.body.toString().split('\n');
    expect(lines.slice(1, 3)).toEqual(['includeAnnotation=false', 'noOfrRetry=4']);
    expect(lines.slice(lines.indexOf('ListOfSeriesToDownload=') + 1, -1)).toEqual([disk[0]!.seriesUid, disk[1]!.seriesUid]);
  });
});

describe('stand-in other endpoints and formats', () => {
  it('POST getSeriesMetadata: quoted CSV download by default, JSON on request, 400 without list', async () => {
    const d = disk[0]!;
    const csv = await post(server, 'getSeriesMetadata', [['list', `${d.seriesUid},${disk[1]!.seriesUid}`]]);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="SeriesMetaData.csv"');
    const lines = csv.body.toString().trim().split('\n');
    expect(lines[0]!.startsWith('"PatientID","PatientName","PatientSex"')).toBe(true);
    expect(lines).toHaveLength(3);
    const rows = json(await post(server, 'getSeriesMetadata', [['list', d.seriesUid], ['format', 'json']]));
    expect(rows[0]).toMatchObject({ SeriesInstanceUID: d.seriesUid, ImageCount: d.files.length, FileSize: d.bytes, Phantom: 'NO' });
    const none = await post(server, 'getSeriesMetadata', [['format', 'json']]);
    expect([none.status, none.body.toString()]).toEqual([400, 'A form parameter, list, containing at least one SeriesInstanceUID is required.']);
    const bad = await post(server, 'getSeriesMetadata', [['lists', d.seriesUid]]);
    expect(bad.body.toString()).toMatch(/^Invalid form parameter: 'lists'\. Allowed parameters are: \[list, format\]$/);
  });

  it('serves XML rows with type attributes', async () => {
    const xml = (await get(server, 'getSeriesSize', { SeriesInstanceUID: disk[0]!.seriesUid, format: 'xml' })).body.toString();
    expect(xml).toBe(
      `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Results><Row><TotalSizeInBytes type='java.lang.Long'>${disk[0]!.bytes}</TotalSizeInBytes>` +
        `<ObjectCount type='java.lang.Integer'>${disk[0]!.files.length}</ObjectCount></Row></Results>`,
    );
  });

  it('NewPatientsInCollection / NewStudiesInPatientCollection use >= fromDate', async () => {
    const d = disk[0]!;
    const patients = json(await get(server, 'NewPatientsInCollection', { Collection: d.collection, fromDate: mdy(d.dateReleased) }));
    expect(patients.map((p) => p.PatientId)).toContain(d.patientId);
    const studies = json(await get(server, 'NewStudiesInPatientCollection', { Collection: d.collection, PatientID: d.patientId, fromDate: mdy(d.dateReleased) }));
    expect(studies.map((s) => s.StudyInstanceUID)).toContain(d.studyUid);
    const later = await get(server, 'NewPatientsInCollection', { Collection: d.collection, fromDate: '01-01-2999' });
    expect([later.status, later.body.length]).toEqual([200, 0]);
  });

  it('getImageWithMD5Hash sends no LICENSE but always md5hashes.csv; v1 getImage ignores IncludeMD5', async () => {
    const d = disk.find((s) => s.files.length > 1)!;
    const names = (await unzip((await get(server, 'getImageWithMD5Hash', { SeriesInstanceUID: d.seriesUid })).body)).map((e) => e.name);
    expect(names).toEqual([...d.files.map((_, i) => String(i + 1).padStart(8, '0') + '.dcm'), 'md5hashes.csv']);
    const v1 = await fetch(server.url.replace('/v4', '/v1') + `/getImage?SeriesInstanceUID=${d.seriesUid}&IncludeMD5=Yes`);
    const v1names = (await unzip(Buffer.from(await v1.arrayBuffer()))).map((e) => e.name);
    expect(v1names[0]).toBe('LICENSE');
    expect(v1names).not.toContain('md5hashes.csv');
  });

  it('answers unknown endpoints with 404 and the wrong method with 405', async () => {
    expect((await get(server, 'getNothing')).status).toBe(404);
    expect((await get(server, 'getManifestText')).status).toBe(405);
    expect((await post(server, 'getSeries', [['Collection', 'x']])).status).toBe(405);
  });
});

describe('stand-in getImage', () => {
  it('streams LICENSE then 00000001.dcm… in DB order, chunked with no Content-Length, without md5hashes.csv by default', async () => {
    const d = disk.find((s) => s.files.length > 1)!;
    const g = await get(server, 'getImage', { SeriesInstanceUID: d.seriesUid });
    expect(g.status).toBe(200);
    expect(g.headers.get('content-length')).toBeNull();
    expect(g.headers.get('transfer-encoding')).toBe('chunked');
    expect(g.headers.get('content-type')).toBe('application/octet-stream');
    expect(g.headers.get('content-disposition')).toBe(`attachment; filename="${d.seriesUid}.zip"`);
    const entries = await unzip(g.body);
    expect(entries.map((e) => e.name)).toEqual(['LICENSE', ...d.files.map((_, i) => String(i + 1).padStart(8, '0') + '.dcm')]);
    expect(entries[0]!.data.toString()).toMatch(new RegExp(`^License Information\\. The ${d.collection} collection is distributed under the .+ By downloading the data, you agree to abide by terms of this license\\.$`));
    d.files.forEach((f, i) => expect(md5(entries[i + 1]!.data)).toBe(md5(fs.readFileSync(path.join(d.dir, f)))));
  });

  it('names by acquisition and instance with NewFileNames=Yes and adds a matching md5hashes.csv with IncludeMD5=Yes', async () => {
    const d = disk.find((s) => s.files.length > 1)!;
    const g = await get(server, 'getImage', { SeriesInstanceUID: d.seriesUid, NewFileNames: 'Yes', IncludeMD5: 'yes' });
    const entries = await unzip(g.body);
    expect(entries[0]!.name).toBe('LICENSE');
    expect(entries.at(-1)!.name).toBe('md5hashes.csv');
    const images = entries.slice(1, -1);
    expect(images).toHaveLength(d.files.length);
    for (const e of images) expect(e.name).toMatch(/^\d+-\d+\.dcm$/);
    const csv = entries.at(-1)!.data.toString().split('\n');
    expect(csv[0]).toBe('Filename,MD5Hash');
    const listed = new Map(csv.slice(1, -1).map((l) => l.split(',') as [string, string]));
    expect(listed.size).toBe(images.length);
    for (const e of images) expect(listed.get(e.name)).toBe(md5(e.data));
  });

  it('never trusts a header prefix that stops before PixelData', () => {
    const d = disk.find((s) => s.files.length > 1)!;
    const bytes = fs.readFileSync(path.join(d.dir, d.files[0]!));
    const whole = readHeaderFields(bytes);
    expect(whole.reachedPixelData).toBe(true);
    expect(whole.fields.seriesInstanceUid).toBe(d.seriesUid);
    // Cut at every byte of the first 600: either a parse error or an explicit "incomplete".
    for (let cut = 140; cut < 600; cut++) {
      let r: ReturnType<typeof readHeaderFields> | null = null;
      try {
        r = readHeaderFields(bytes.subarray(0, cut));
      } catch {
        r = null;
      }
      if (r) expect(r.reachedPixelData).toBe(false);
    }
  });

  it('keeps unparsable files in their folder\'s series', async () => {
    const rows = json(await get(server, 'getSeries'));
    for (const d of disk) expect(rows.find((r) => r.SeriesInstanceUID === d.seriesUid)!.ImageCount).toBe(d.files.length);
  });

  it('answers unknown series with the 400 access sentence, and getSingleImage with the 48-byte 500', async () => {
    const g = await get(server, 'getImage', { SeriesInstanceUID: '1.2.3' });
    expect(g.status).toBe(400);
    expect(g.body.toString()).toBe(
      'The user has not been granted the access to image with given SeriesInstanceUID,1.2.3. Please contact System Admin to resolve this issue.',
    );
    const s = await get(server, 'getSingleImage', { SeriesInstanceUID: '1.2.3', SOPInstanceUID: '4.5' });
    expect(s.status).toBe(500);
    expect(s.headers.get('content-type')).toBe('text/plain');
    expect(s.body.length).toBe(48);
  });

  it('serves one instance with getSingleImage', async () => {
    const d = disk.find((s) => s.files.length > 1)!;
    const sop = json(await get(server, 'getSOPInstanceUIDs', { SeriesInstanceUID: d.seriesUid })).find((r) => r.SOPInstanceUID)!.SOPInstanceUID as string;
    const g = await get(server, 'getSingleImage', { SeriesInstanceUID: d.seriesUid, SOPInstanceUID: sop });
    expect(g.status).toBe(200);
    expect(g.headers.get('content-type')).toBe('application/dicom');
    expect(d.files.some((f) => md5(fs.readFileSync(path.join(d.dir, f))) === md5(g.body))).toBe(true);
  });
});

describe('stand-in faults', () => {
  const series = () => disk.find((s) => s.files.length > 2) ?? disk.find((s) => s.files.length > 1)!;

  afterAll(() => server.setFaults({ faultRate: 0, faults: [] }));

  it('429 carries Retry-After; 500 and 503 carry the real bodies; all are counted', async () => {
    const before = server.stats().faults;
    server.setFaults({ faultRate: 1, faults: ['429'] });
    const a = await get(server, 'getCollectionValues');
    expect(a.status).toBe(429);
    expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
    server.setFaults({ faults: ['500'] });
    const b = await get(server, 'getCollectionValues');
    expect([b.status, b.body.toString()]).toEqual([500, 'Server was not able to process your request\nnull']);
    server.setFaults({ faults: ['503'] });
    expect((await get(server, 'getSeries')).status).toBe(503);
    const after = server.stats().faults;
    for (const k of ['429', '500', '503']) expect(after[k]).toBe((before[k] ?? 0) + 1);
  });

  it('truncate: HTTP 200 and a ZIP that cannot be opened', async () => {
    server.setFaults({ faultRate: 1, faults: ['truncate'] });
    const g = await get(server, 'getImage', { SeriesInstanceUID: series().seriesUid, IncludeMD5: 'Yes' });
    expect(g.status).toBe(200);
    await expect(unzip(g.body)).rejects.toThrow();
    // Not applicable to listings: they are served normally.
    expect((await get(server, 'getCollectionValues')).status).toBe(200);
  });

  it('short: HTTP 200, a valid ZIP with fewer images and an md5hashes.csv for those it has', async () => {
    server.setFaults({ faultRate: 1, faults: ['short'] });
    const d = series();
    const entries = await unzip((await get(server, 'getImage', { SeriesInstanceUID: d.seriesUid, IncludeMD5: 'Yes' })).body);
    const images = entries.filter((e) => e.name.endsWith('.dcm'));
    expect(images.length).toBeLessThan(d.files.length);
    const csv = entries.find((e) => e.name === 'md5hashes.csv')!.data.toString().trim().split('\n').slice(1);
    expect(csv.map((l) => l.split(',')[0]).sort()).toEqual(images.map((e) => e.name).sort());
    expect(server.stats().faults.short).toBeGreaterThan(0);
  });

  it('reset: the connection drops mid-response', async () => {
    server.setFaults({ faultRate: 1, faults: ['reset'] });
    await expect(get(server, 'getImage', { SeriesInstanceUID: series().seriesUid })).rejects.toThrow();
    await expect(get(server, 'getSeries')).rejects.toThrow();
    expect(server.stats().faults.reset).toBe(2);
  });

  it('is deterministic for a seed', async () => {
    const run = async () => {
      const s = await startStandIn({ dataDir, port: 0, seed: 11, faultRate: 0.5, faults: ['429', '500'] });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await get(s, 'getCollectionValues')).status);
      await s.close();
      return statuses;
    };
    const a = await run();
    expect(a).toEqual(await run());
    expect(new Set(a).size).toBeGreaterThan(1);
  });
});

describe('stand-in reload', () => {
  it('sees a collection added after start once reloaded', async () => {
    const root = path.join(tmp, 'partial');
    const [first, second] = [...new Set(disk.map((d) => d.collection))];
    const dirOf = (c: string) => fs.readdirSync(dataDir).filter((n) => n !== 'synth.json').find((n) => JSON.parse(fs.readFileSync(path.join(dataDir, n, 'collection.json'), 'utf8')).collection === c)!;
    fs.cpSync(path.join(dataDir, dirOf(first!)), path.join(root, dirOf(first!)), { recursive: true });
    const s = await startStandIn({ dataDir: root, port: 0 });
    try {
      expect(json(await get(s, 'getCollectionValues'))).toEqual([{ Collection: first }]);
      fs.cpSync(path.join(dataDir, dirOf(second!)), path.join(root, dirOf(second!)), { recursive: true });
      await s.reload();
      const series = json(await get(s, 'getSeries', { Collection: second! }));
      expect(series.length).toBe(disk.filter((d) => d.collection === second).length);
    } finally {
      await s.close();
    }
  });
});

describe('stand-in answer cache (benchmarks)', () => {
  it('serves the same getImage bytes cached as live, and still injects faults into cached series', async () => {
    const cached = await startStandIn({ dataDir, port: 0, seed: 3, zipCacheMb: 64 });
    try {
      for (const d of disk.slice(0, 3)) {
        for (const params of [{ NewFileNames: 'Yes', IncludeMD5: 'Yes' }, {}] as Array<Record<string, string>>) {
          const q = { SeriesInstanceUID: d.seriesUid, ...params };
          const live = await get(server, 'getImage', q);
          const fromCache = await get(cached, 'getImage', q);
          expect(fromCache.status).toBe(200);
          expect(fromCache.headers.get('content-length')).toBeNull();
          expect(md5(fromCache.body)).toBe(md5(live.body));
          expect((await unzip(fromCache.body)).filter((e) => e.name.endsWith('.dcm')).length).toBe(d.files.length);
        }
      }
      cached.setFaults({ faultRate: 1, faults: ['truncate'] });
      const d = disk.find((x) => x.files.length > 1)!;
      const cut = await get(cached, 'getImage', { SeriesInstanceUID: d.seriesUid, NewFileNames: 'Yes', IncludeMD5: 'Yes' });
      await expect(unzip(cut.body)).rejects.toThrow();
      expect(cached.stats().faults.truncate).toBe(1);
    } finally {
      await cached.close();
    }
  });
});
