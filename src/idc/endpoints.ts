import { ConfigError } from '../core/errors.ts';

/**
 * Where IDC's buckets are served (idc.md): AWS S3 (default) and the Google Cloud Storage mirror,
 * both anonymous. Requests are path-style, `<endpoint>/<bucket>/<key>`, as `s5cmd --endpoint-url`
 * sends them; the GCS mirror names its buckets differently.
 */
export const AWS_ENDPOINT = 'https://s3.amazonaws.com';
export const GCS_ENDPOINT = 'https://storage.googleapis.com';
export const DEFAULT_ENDPOINT = AWS_ENDPOINT;

/** AWS bucket → its GCS mirror. */
export const GCS_BUCKETS: Readonly<Record<string, string>> = {
  'idc-open-data': 'idc-open-data',
  'idc-open-data-two': 'idc-open-idc1',
  'idc-open-data-cr': 'idc-open-cr',
};

export interface Endpoint {
  url: string;
  /** Bucket name to use at this endpoint for an index (AWS) bucket name. */
  bucket(awsBucket: string): string;
}

/** `--endpoint aws|gcs|URL`. */
export function resolveEndpoint(value: string | undefined): Endpoint {
  const v = (value ?? 'aws').trim();
  if (v === 'aws') return { url: AWS_ENDPOINT, bucket: (b) => b };
  if (v === 'gcs') return { url: GCS_ENDPOINT, bucket: (b) => GCS_BUCKETS[b] ?? b };
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`\`endpoint\` "${v}" is not aws, gcs or a URL`, { hint: `e.g. \`endpoint\` ${AWS_ENDPOINT} or \`endpoint\` gcs` });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`\`endpoint\` must be http(s), got ${url.protocol}`, { hint: `e.g. ${AWS_ENDPOINT}` });
  const base = v.replace(/\/+$/, '');
  const gcs = url.hostname === 'storage.googleapis.com';
  return { url: base, bucket: (b) => (gcs ? (GCS_BUCKETS[b] ?? b) : b) };
}

/** Path-style object URL; each key segment percent-encoded. */
export function objectUrl(endpoint: string, bucket: string, key: string): string {
  return `${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
