import { SOP_CLASSES, encodeFrame, writePart10, type PixelFormat } from './dicom.ts';
import { dicomDate, slicePosition, sopUid, type SeriesPlan } from './plan.ts';
import { CT_INTERCEPT, CT_PADDING_VALUE, renderCt, type CtLocation } from './phantoms/ct.ts';
import { MR_SCANNERS, renderMr, type MrLocation } from './phantoms/mr.ts';
import { renderPt, type PtLocation } from './phantoms/pt.ts';
import { renderXr, type XrLocation } from './phantoms/xr.ts';
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

const round4 = (v: number) => Math.round(v * 1e4) / 1e4;

/** Where slice i of a volume series sits in the phantom (0..1), varying smoothly along the series. */
function zOf(p: SeriesPlan, i: number): number {
  return p.instances <= 1 ? (p.z0 + p.z1) / 2 : p.z0 + ((p.z1 - p.z0) * i) / (p.instances - 1);
}

function windowFor(values: Int16Array | Uint16Array, slope: number, intercept: number): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i += 7) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const a = lo * slope + intercept;
  const b = hi * slope + intercept;
  return [Math.round((a + b) / 2), Math.max(1, Math.round(b - a))];
}

/** One image instance (0-based index i) as a Part-10 file. */
export async function imageInstance(p: SeriesPlan, i: number): Promise<Uint8Array> {
  const params = p.params!;
  const n = i + 1;
  const imageSeed = seedOf(p.seed, 'image', i);
  const ds: Record<string, unknown> = { ...commonAttributes(p, n), AcquisitionNumber: 1 };
  const vr: Record<string, string> = {};
  let pixels: Int16Array | Uint16Array;
  let fmt: PixelFormat;
  const geometry = () => ({
    ImagePositionPatient: [round4(-(p.cols * p.pixelSpacing) / 2), round4(-(p.rows * p.pixelSpacing) / 2), slicePosition(p, i)],
    ImageOrientationPatient: [1, 0, 0, 0, 1, 0],
    FrameOfReferenceUID: p.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    SliceThickness: p.sliceThickness,
    SliceLocation: slicePosition(p, i),
    PixelSpacing: [p.pixelSpacing, p.pixelSpacing],
    PatientPosition: 'HFS',
  });
  switch (params.type) {
    case 'CT': {
      pixels = renderCt({ location: p.location as CtLocation, rows: p.rows, cols: p.cols, padding: params.padding, fovMinimum: !params.padding && seedOf(p.seed, 'fov') % 2 === 0, contrast: params.contrast }, p.seed, zOf(p, i), imageSeed);
      fmt = { rows: p.rows, cols: p.cols, bitsStored: 16, signed: true };
      const head = p.location === 'head';
      Object.assign(ds, geometry(), {
        SOPClassUID: SOP_CLASSES.CT,
        ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
        KVP: params.kvp,
        ConvolutionKernel: params.kernel,
        XRayTubeCurrent: 200 + (imageSeed % 200),
        RescaleIntercept: CT_INTERCEPT,
        RescaleSlope: 1,
        RescaleType: 'HU',
        WindowCenter: head ? 40 : p.location === 'chest' ? -600 : p.location === 'knee' ? 300 : 40,
        WindowWidth: head ? 80 : p.location === 'chest' ? 1500 : p.location === 'knee' ? 1500 : 400,
      });
      if (params.contrast) ds.ContrastBolusAgent = 'OMNIPAQUE';
      if (params.padding) {
        ds.PixelPaddingValue = CT_PADDING_VALUE;
        vr.PixelPaddingValue = 'SS';
      }
      break;
    }
    case 'MR': {
      const scanner = MR_SCANNERS[params.scanner]!;
      const mr = renderMr({ location: p.location as MrLocation, contrast: params.contrast, rows: p.rows, cols: p.cols, scanner }, p.seed, zOf(p, i), imageSeed);
      pixels = mr.pixels;
      fmt = { rows: p.rows, cols: p.cols, bitsStored: scanner.bitsStored, signed: false };
      const tr = { T1: 500, T2: 4000, FLAIR: 9000, PD: 3000 }[params.contrast];
      const te = { T1: 12, T2: 95, FLAIR: 120, PD: 30 }[params.contrast];
      // Sagittal / coronal planes (knee) get their direction cosines; axial is the default.
      const plane = p.seriesDescription.split(' ')[0];
      const orientation = plane === 'SAG' ? [0, 1, 0, 0, 0, -1] : plane === 'COR' ? [1, 0, 0, 0, 0, -1] : [1, 0, 0, 0, 1, 0];
      Object.assign(ds, geometry(), {
        ImageOrientationPatient: orientation,
        SOPClassUID: SOP_CLASSES.MR,
        ImageType: ['ORIGINAL', 'PRIMARY', 'M', 'ND'],
        ScanningSequence: params.contrast === 'FLAIR' ? ['SE', 'IR'] : ['SE'],
        SequenceVariant: ['SK', 'SP'],
        ScanOptions: '',
        MRAcquisitionType: '2D',
        RepetitionTime: tr,
        EchoTime: te,
        EchoTrainLength: params.contrast === 'T1' ? 3 : 16,
        MagneticFieldStrength: params.fieldStrength,
        ImagingFrequency: params.fieldStrength * 42.577,
        ImagedNucleus: '1H',
        SpacingBetweenSlices: p.sliceThickness + 1,
      });
      if (params.contrast === 'FLAIR') ds.InversionTime = 2500;
      if (scanner.slope) {
        ds.RescaleSlope = mr.slope;
        ds.RescaleIntercept = 0;
        ds.RescaleType = 'US';
      }
      const [wc, ww] = windowFor(pixels, mr.slope, 0);
      ds.WindowCenter = wc;
      ds.WindowWidth = ww;
      break;
    }
    case 'PT': {
      const pt = renderPt({ location: p.location as PtLocation, rows: p.rows, cols: p.cols }, p.seed, zOf(p, i), imageSeed);
      pixels = pt.pixels;
      fmt = { rows: p.rows, cols: p.cols, bitsStored: 16, signed: false };
      Object.assign(ds, geometry(), {
        SOPClassUID: SOP_CLASSES.PT,
        ImageType: ['ORIGINAL', 'PRIMARY'],
        SeriesType: [p.location === 'head' ? 'STATIC' : 'WHOLE BODY', 'IMAGE'],
        Units: 'BQML',
        CountsSource: 'EMISSION',
        DecayCorrection: 'START',
        CorrectedImage: ['DECY', 'ATTN', 'SCAT', 'DTIM', 'RAN', 'NORM'],
        ReconstructionMethod: 'OSEM',
        RandomsCorrectionMethod: 'DLYD',
        AttenuationCorrectionMethod: 'measured,CT-based',
        NumberOfSlices: p.instances,
        ImageIndex: n,
        FrameReferenceTime: 0,
        ActualFrameDuration: 180000,
        RescaleSlope: pt.slope,
        RescaleIntercept: 0,
        RadiopharmaceuticalInformationSequence: [
          {
            Radiopharmaceutical: 'Fludeoxyglucose F^18^',
            RadiopharmaceuticalStartTime: '080000',
            RadionuclideTotalDose: 370000000,
            RadionuclideHalfLife: 6586.2,
            RadionuclidePositronFraction: 0.97,
          },
        ],
      });
      const [wc, ww] = windowFor(pixels, pt.slope, 0);
      ds.WindowCenter = wc;
      ds.WindowWidth = ww;
      break;
    }
    case 'XR': {
      const view = params.views[i % params.views.length]!;
      pixels = renderXr(
        { location: p.location as XrLocation, rows: p.rows, cols: p.cols, bitsStored: params.bitsStored, photometric: params.photometric, lateral: view === 'LL', burnIn: params.burnIn, marker: params.laterality ?? (i % 2 ? 'L' : 'R') },
        p.seed,
        imageSeed,
      );
      fmt = { rows: p.rows, cols: p.cols, bitsStored: params.bitsStored, signed: false };
      const max = (1 << params.bitsStored) - 1;
      Object.assign(ds, {
        SOPClassUID: SOP_CLASSES[p.modality as 'CR' | 'DX' | 'MG'],
        ImageType: ['ORIGINAL', 'PRIMARY'],
        ViewPosition: view,
        PatientOrientation: ['P', 'F'],
        WindowCenter: Math.round(max / 2),
        WindowWidth: max,
        KVP: p.modality === 'MG' ? 29 : 110,
        BurnedInAnnotation: params.burnIn ? 'YES' : 'NO',
      });
      if (p.modality === 'CR') ds.PixelSpacing = [p.pixelSpacing, p.pixelSpacing];
      else {
        Object.assign(ds, {
          ImagerPixelSpacing: [p.pixelSpacing, p.pixelSpacing],
          PixelSpacing: [p.pixelSpacing, p.pixelSpacing],
          PresentationIntentType: 'FOR PRESENTATION',
          DetectorType: 'SCINTILLATOR',
          RescaleIntercept: 0,
          RescaleSlope: 1,
          RescaleType: 'US',
          PixelIntensityRelationship: 'LOG',
          PixelIntensityRelationshipSign: params.photometric === 'MONOCHROME1' ? -1 : 1,
        });
      }
      if (p.modality === 'MG') {
        Object.assign(ds, {
          ImageLaterality: params.laterality,
          Laterality: params.laterality,
          BreastImplantPresent: 'NO',
          PatientOrientation: params.laterality === 'L' ? ['A', 'R'] : ['P', 'L'],
          ViewCodeSequence: [{ CodeValue: view === 'CC' ? 'R-10242' : 'R-10226', CodingSchemeDesignator: 'SRT', CodeMeaning: view === 'CC' ? 'cranio-caudal' : 'medio-lateral oblique' }],
        });
      }
      break;
    }
  }
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
