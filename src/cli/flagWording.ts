/**
 * Library errors name an option as the library and the pipeline YAML spell it, in backticks
 * (`maxRejectRate`), so they read right whoever made the call. The CLI prints them as the flags the
 * user typed (--max-reject-rate): the flag is the option in kebab case unless listed here.
 */
const FLAG_OF: Readonly<Record<string, string>> = {
  caps: 'cap',
  classNames: 'classes',
  collections: 'collection',
  licenses: 'license',
  modalities: 'modality',
  runDir: 'run',
};

/** Option names the library's messages use (those outside this list are left as they are). */
const OPTIONS = new Set([
  ...Object.keys(FLAG_OF),
  'apiUrl', 'arch', 'augment', 'auto', 'backend', 'batch', 'capOrder', 'classWeights', 'colour', 'concurrency', 'dataDir',
  'dataset', 'discardRaw', 'endpoint', 'fit', 'frame', 'imageSize', 'index', 'label', 'lr', 'lrSchedule', 'manifest', 'maxAttempts', 'maxRejectRate',
  'modality', 'model', 'name', 'normalize', 'out', 'overlap', 'partition', 'parts', 'planName', 'rawWindow', 'resume', 's5cmdManifest', 'seed',
  'shardSizeMb', 'size', 'source', 'split', 'splitFile', 'strict', 'targets', 'tciaManifest', 'width', 'workers',
]);

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** `maxRejectRate` → --max-reject-rate in a library message or hint. */
export function inFlagWords(text: string): string {
  return text.replace(/`([A-Za-z][A-Za-z0-9]*)`/g, (whole, name: string) => (OPTIONS.has(name) ? `--${FLAG_OF[name] ?? kebab(name)}` : whole));
}
