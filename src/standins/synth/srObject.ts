import { writePart10 } from './dicom.ts';
import type { SeriesPlan } from './plan.ts';
import type { Rng } from './random.ts';

/** Basic Text SR: one finding drawn from `r`, referencing the image series. */
export function srObject(p: SeriesPlan, ds: Record<string, unknown>, r: Rng, refSeries: unknown[]): Uint8Array {
  const findings = ['No acute abnormality.', 'Small nodule, follow-up recommended.', 'Findings consistent with prior study.', 'Mass noted; see segmentation.'];
  Object.assign(ds, {
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [{ CodeValue: '18748-4', CodingSchemeDesignator: 'LN', CodeMeaning: 'Diagnostic Imaging Report' }],
    ContinuityOfContent: 'SEPARATE',
    CompletionFlag: 'COMPLETE',
    VerificationFlag: 'UNVERIFIED',
    CurrentRequestedProcedureEvidenceSequence: [{ StudyInstanceUID: p.studyUid, ReferencedSeriesSequence: refSeries }],
    ContentSequence: [
      {
        RelationshipType: 'CONTAINS',
        ValueType: 'TEXT',
        ConceptNameCodeSequence: [{ CodeValue: '121071', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Finding' }],
        TextValue: r.pick(findings),
      },
    ],
  });
  return writePart10(ds, 'explicit');
}
