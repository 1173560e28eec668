import fs from 'node:fs';
import path from 'node:path';
import { SOP_CLASSES, encodeFrame, writePart10 } from '../synth/dicom.ts';
import { uid } from '../synth/uid.ts';
import { radiograph } from './images.ts';
import type { GeneratedExternal, GenerateOptions } from './types.ts';

/**
 * OAI knee radiographs as the NDA package ships them: DICOM files without extension under
 * <visit>/<date>/<patient>/<study>/<series>/001 (e.g. 00m/0.C.2/9000099/20040909/00301303/001),
 * bilateral PA fixed-flexion knee DX, 16-bit, MONOCHROME2. With `bad`: a truncated DICOM file.
 */
export async function generateOai(out: string, o: GenerateOptions): Promise<GeneratedExternal> {
  const root = path.join(out, 'OAI');
  const r: GeneratedExternal = { format: 'oai', dir: root, images: 0, patients: [], bad: [] };
  const size = o.size ?? 64;
  const patients = Math.max(1, Math.round(3 * o.scale));
  let last: Uint8Array | undefined;
  for (let p = 0; p < patients; p++) {
    const patientId = String(9000099 + p * 17);
    r.patients.push(patientId);
    for (const [v, visit] of ['00m', '12m'].entries()) {
      const studyUid = uid('oai', o.seed, patientId, visit);
      const seriesUid = uid('oai', o.seed, patientId, visit, 'series');
      const { u16 } = radiograph('extremity', size, o.seed, 'oai', patientId, visit);
      const ds: Record<string, unknown> = {
        SOPClassUID: SOP_CLASSES.DX,
        SOPInstanceUID: uid('oai', o.seed, patientId, visit, 'image'),
        StudyInstanceUID: studyUid,
        SeriesInstanceUID: seriesUid,
        PatientID: patientId,
        PatientName: patientId,
        Modality: 'DX',
        BodyPartExamined: 'KNEE',
        SeriesDescription: 'Bilateral PA Fixed Flexion Knee',
        StudyDate: v === 0 ? '20040909' : '20050912',
        InstanceNumber: 1,
        SeriesNumber: 1,
        ImageType: ['ORIGINAL', 'PRIMARY'],
        ViewPosition: 'PA',
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: size,
        Columns: size,
        BitsAllocated: 16,
        BitsStored: 12,
        HighBit: 11,
        PixelRepresentation: 0,
        PixelData: [await encodeFrame(u16, 'explicit', { rows: size, cols: size, bitsStored: 12, signed: false })],
      };
      last = writePart10(ds, 'explicit', { PixelData: 'OW' });
      const file = path.join(root, visit, `${v}.C.2`, patientId, v === 0 ? '20040909' : '20050912', String(100 + p).padStart(8, '0'), '001');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, last);
      r.images++;
    }
  }
  fs.writeFileSync(path.join(root, 'contents.csv'), 'Folder,ParticipantID,StudyDate,SeriesDescription\n');
  if (o.bad && last) {
    const file = path.join(root, '00m', '0.C.2', '9999999', '20040909', '00000999', '001');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, last.subarray(0, last.length >> 1));
    r.bad.push({ file: path.relative(root, file).split(path.sep).join('/'), code: 'TRUNCATED' });
  }
  return r;
}
