import crypto from 'node:crypto';

/**
 * Deterministic DICOM UID: `2.25.` + the decimal of a 128-bit hash of the parts (PS3.5 B.2 UUID
 * form; at most 44 characters). Same parts ⇒ same UID on every machine.
 */
export function uid(...parts: Array<string | number>): string {
  const hex = crypto.createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
  return `2.25.${BigInt('0x' + hex).toString(10)}`;
}
