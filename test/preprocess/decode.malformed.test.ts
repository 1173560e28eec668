import dicomParser from 'dicom-parser';
import { describe, expect, it } from 'vitest';
import { decodeDicom, decodeDicomStored, DicomError, isSkip, readDicomHeader } from '../../src/preprocess/decode/index.ts';
import { buildDicom, encodeJpegLs, encodeRle, exactBuffer, rlePlanes, TS } from './fixtures/dicomFixtures.ts';

/**
 * Generated malformed files: every element's length field, VR and the transfer syntax corrupted in
 * turn, on files of several transfer syntaxes. Each must decode or be a DicomError (a clear reject
 * with a code); never another exception (a BUG), never a hang.
 */
const CT = '1.2.840.10008.5.1.4.1.1.2';

async function outcome(bytes: Uint8Array): Promise<string> {
  try {
    readDicomHeader(bytes);
  } catch (e) {
    if (!(e instanceof DicomError)) return `NOT A DicomError (header): ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
  }
  try {
    await decodeDicomStored(bytes);
    await decodeDicom(bytes);
    return 'ok';
  } catch (e) {
    if (e instanceof DicomError) return e.code;
    return `NOT A DicomError: ${e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e)}`;
  }
}

function ct(transferSyntax: string, pixelData: ArrayBuffer[], attributes: Record<string, unknown> = {}): Uint8Array {
  return buildDicom({
    transferSyntax, rows: 16, columns: 16, bitsAllocated: 16, bitsStored: 12, pixelRepresentation: 0, sopClassUid: CT, modality: 'CT',
    attributes: { StudyDescription: 'CHEST ROUTINE', RescaleIntercept: '-1024', RescaleSlope: '1', ...attributes }, pixelData,
  });
}

const pixels = Uint16Array.from({ length: 256 }, (_, i) => (i * 13) % 4096);

async function bases(): Promise<Array<[string, Uint8Array]>> {
  return [
    ['implicit', ct(TS.implicit, [exactBuffer(pixels)])],
    ['explicit', ct(TS.explicit, [exactBuffer(pixels)])],
    ['bigEndian', ct(TS.bigEndian, [exactBuffer(pixels)])],
    ['deflated', ct(TS.deflated, [exactBuffer(pixels)])],
    ['rle', ct(TS.rle, [encodeRle(rlePlanes(pixels, 1, 2))])],
    ['jpegLs', ct(TS.jpegLs, [await encodeJpegLs(pixels, 16, 16, 12)])],
  ];
}

/** Offsets of the top-level elements' length fields and VRs (dicom-parser's view of the valid file). */
function layout(file: Uint8Array): Array<{ tag: string; dataOffset: number; explicit: boolean }> {
  const ds = dicomParser.parseDicom(Buffer.from(file));
  return Object.values(ds.elements).map((el) => ({ tag: el.tag, dataOffset: el.dataOffset, explicit: el.vr !== undefined }));
}

describe('generated malformed files → a clear reject, never a crash', () => {
  it('an undefined length on a non-sequence element (StudyDescription) is MALFORMED, not a non-image', async () => {
    const file = ct(TS.implicit, [exactBuffer(pixels)]);
    expect(await outcome(file)).toBe('ok');
    const el = layout(file).find((e) => e.tag === 'x00081030')!;
    const bad = file.slice();
    bad.set([0xff, 0xff, 0xff, 0xff], el.dataOffset - 4);
    const err = await decodeDicom(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DicomError);
    expect((err as DicomError).code).toBe('MALFORMED');
    expect((err as DicomError).message).toMatch(/\(0008,1030\) has an undefined length/);
    expect(isSkip(err)).toBe(false);
    expect(() => readDicomHeader(bad)).toThrow(expect.objectContaining({ code: 'MALFORMED' }));
  });

  it('sequences with undefined lengths still decode', async () => {
    const file = ct(TS.implicit, [exactBuffer(pixels)], { ReferencedImageSequence: [{ ReferencedSOPClassUID: CT, ReferencedSOPInstanceUID: '1.2.3' }] });
    expect(await outcome(file)).toBe('ok');
  });

  it('every length field, VR and transfer syntax corrupted in turn, on six transfer syntaxes', async () => {
    const seen = new Map<string, number>();
    const record = (o: string, what: string) => {
      const key = o.startsWith('NOT A') ? `${o} [${what}]` : o;
      seen.set(key, (seen.get(key) ?? 0) + 1);
    };
    for (const [name, file] of await bases()) {
      expect(await outcome(file), name).toBe('ok');
      // A deflated data set's offsets are those of the inflated stream: its elements are not patched in place.
      for (const el of name === 'deflated' ? [] : layout(file)) {
        for (const len of [[0xff, 0xff, 0xff, 0xff], [0xff, 0xff, 0xff, 0x7f], [0x01, 0x00, 0x00, 0x00], [0x00, 0x00, 0x00, 0x00]]) {
          const b = file.slice();
          b.set(el.explicit && el.dataOffset - 2 >= 0 && !isLong(b, el.dataOffset) ? len.slice(0, 2) : len, el.dataOffset - (el.explicit && !isLong(b, el.dataOffset) ? 2 : 4));
          record(await outcome(b), `${name} length ${el.tag}=${len}`);
        }
        if (el.explicit) {
          for (const vr of ['ZZ', 'SQ', 'UN', 'OB', '\0\0']) {
            const b = file.slice();
            const at = el.dataOffset - (isLong(file, el.dataOffset) ? 8 : 4);
            b.set(Buffer.from(vr, 'latin1'), at);
            record(await outcome(b), `${name} VR ${el.tag}=${vr}`);
          }
        }
      }
      for (const ts of Object.values(TS)) {
        const text = Buffer.from(file).toString('latin1');
        const uid = Object.values(TS).find((t) => text.includes(`${t}\0`) || text.includes(`${t} `) || text.includes(t));
        if (!uid) continue;
        const b = Buffer.from(text.replace(uid, ts.padEnd(uid.length, '\0').slice(0, Math.max(uid.length, ts.length))), 'latin1');
        record(await outcome(new Uint8Array(b)), `${name} TS→${ts}`);
      }
    }
    expect([...seen.keys()].filter((k) => k.startsWith('NOT A'))).toEqual([]);
    expect(seen.get('ok') ?? 0).toBeGreaterThan(0);
    expect([...seen.keys()].filter((k) => k !== 'ok').length).toBeGreaterThan(2);
  }, 120_000);
});

/** Explicit VR with a 4-byte length: two reserved zero bytes between the VR and the length. */
function isLong(b: Uint8Array, dataOffset: number): boolean {
  const vr = String.fromCharCode(b[dataOffset - 8] ?? 0, b[dataOffset - 7] ?? 0);
  return ['OB', 'OW', 'OF', 'OD', 'OL', 'OV', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV'].includes(vr) && b[dataOffset - 6] === 0 && b[dataOffset - 5] === 0;
}
