import { encodeFrame, writePart10 } from './dicom.ts';
import { dicomDate, sopUid, type SeriesPlan } from './plan.ts';
import { ctImage } from './ctImage.ts';
import { mrImage } from './mrImage.ts';
import { ptImage } from './ptImage.ts';
import { xrImage } from './xrImage.ts';
import type { RenderedImage } from './imageGeometry.ts';
import { seedOf } from './random.ts';

/** Attributes every instance of a series shares: patient, study, series, equipment. */
export function commonAttributes(p: SeriesPlan, instanceNumber: number): Record<string, unknown> {
  const seriesTime = p.studyTime;
  return {
    SpecificCharacterSet: 'ISO_IR 100',
    SOPInstanceUID: sopUid(p.seed, p.seriesUid, instanceNumber),
    StudyDate: dicomDate(p.studyDate),
    SeriesDate: dicomDate(p.studyDate),
    ContentDate: dicomDate(p.studyDate),
    StudyTime: p.studyTime,
    SeriesTime: seriesTime,
    ContentTime: seriesTime,
    AccessionNumber: p.accessionNumber,
    Modality: p.modality,
    Manufacturer: p.scanner.manufacturer,
    InstitutionName: p.institution,
    ReferringPhysicianName: '',
    StudyDescription: p.studyDescription,
    SeriesDescription: p.seriesDescription,
    ManufacturerModelName: p.scanner.model,
    PatientName: p.patientId,
    PatientID: p.patientId,
    PatientBirthDate: '',
    PatientSex: p.patientSex,
    PatientAge: p.patientAge,
    PatientWeight: p.patientWeight,
    PatientIdentityRemoved: 'YES',
    DeidentificationMethod: 'Synthetic data (medimg-etl synth); no real patient',
    BodyPartExamined: p.bodyPart,
    SoftwareVersions: p.scanner.software,
    ProtocolName: p.protocolName,
    StudyInstanceUID: p.studyUid,
    SeriesInstanceUID: p.seriesUid,
    StudyID: p.studyId,
    SeriesNumber: p.seriesNumber,
    InstanceNumber: instanceNumber,
  };
}

/** One image instance (0-based index i) as a Part-10 file. */
export async function imageInstance(p: SeriesPlan, i: number): Promise<Uint8Array> {
  const params = p.params!;
  const n = i + 1;
  const imageSeed = seedOf(p.seed, 'image', i);
  const ds: Record<string, unknown> = { ...commonAttributes(p, n), AcquisitionNumber: 1 };
  const vr: Record<string, string> = {};
  let r: RenderedImage;
  if (params.type === 'CT') r = ctImage(p, params, i, imageSeed, ds, vr);
  else if (params.type === 'MR') r = mrImage(p, params, i, imageSeed, ds, vr);
  else if (params.type === 'PT') r = ptImage(p, params, i, imageSeed, ds, vr);
  else r = xrImage(p, params, i, imageSeed, ds, vr);
  const { pixels, fmt } = r;
  const photometric = params.type === 'XR' ? params.photometric : 'MONOCHROME2';
  Object.assign(ds, {
    SamplesPerPixel: 1,
    PhotometricInterpretation: photometric,
    Rows: p.rows,
    Columns: p.cols,
    BitsAllocated: 16,
    BitsStored: fmt.bitsStored,
    HighBit: fmt.bitsStored - 1,
    PixelRepresentation: fmt.signed ? 1 : 0,
    LossyImageCompression: '00',
    PixelData: [await encodeFrame(pixels, p.ts, fmt)],
  });
  vr.PixelData = p.ts === 'explicit' || p.ts === 'implicit' ? 'OW' : 'OB';
  return writePart10(ds, p.ts, vr, p.fragmented);
}
