import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { loadPipelineFile, parsePipeline } from '../../src/pipeline/load.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medimg-schema-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const good = `
name: x
source:
  tcia:
    apiUrl: http://127.0.0.1:1/nbia-api/services/v4
    manifest: manifests/demo.json
preprocess: { size: 64, fit: stretch, normalize: minmax }
split: { manifest: manifests/demo.json }
shard: { name: x, batch: 32, seed: 1, shardSizeMb: 8, partial: keep }
`;

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

function errorOf(f: () => unknown): ConfigError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('pipeline definitions', () => {
  it('accepts a minimal file and fills defaults', () => {
    const p = loadPipelineFile(write('ok.yaml', good));
    expect(p.definition.name).toBe('x');
    expect(p.definition.incremental).toEqual({ fullListingEvery: 7, overlapDays: 1 });
    expect(p.definition.report.enabled).toBe(true);
    expect(p.definition.train).toBeUndefined();
  });

  it('names the file, the field path and what it got (exit 2)', () => {
    const e = errorOf(() => loadPipelineFile(write('bad.yaml', good.replace('batch: 32', 'batch: abc'))));
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(/bad\.yaml: shard\.batch: expected integer from 1 to 65536, got "abc"$/);
  });

  it('reports a missing section, an unknown field and a bad enum', () => {
    expect(errorOf(() => parsePipeline({ name: 'x' }, 'p.yaml')).message).toBe('p.yaml: source: expected a mapping (key: value lines), got nothing (field missing)');
    const base = loadPipelineFile(write('ok2.yaml', good)).definition;
    expect(errorOf(() => parsePipeline({ ...base, shard: { ...base.shard, bacth: 3 } }, 'p.yaml')).message).toBe('p.yaml: shard: unknown field "bacth"');
    expect(errorOf(() => parsePipeline({ ...base, preprocess: { ...base.preprocess, fit: 'zoom' } }, 'p.yaml')).message).toBe(
      'p.yaml: preprocess.fit: expected one of pad, crop, stretch, got "zoom"',
    );
    expect(errorOf(() => parsePipeline({ ...base, source: { tcia: { ...base.source.tcia, apiUrl: 'ftp://x' } } }, 'p.yaml')).message).toMatch(
      /source\.tcia\.apiUrl: expected an http\(s\) URL, got "ftp:\/\/x"/,
    );
  });

  it('reports YAML syntax errors with a line number', () => {
    const e = errorOf(() => loadPipelineFile(write('syntax.yaml', 'name: x\nsource: [unclosed\n')));
    expect(e.message).toMatch(/syntax\.yaml: line \d+, column \d+ is not valid YAML/);
  });

  it('on_failure runs with the failure in its environment', async () => {
    const { runPipeline } = await import('../../src/pipeline/run.ts');
    const { createRunContext } = await import('../../src/core/context.ts');
    const { memoryLogger } = await import('../../src/core/log.ts');
    const out = path.join(dir, 'failure.txt');
    const f = write('fails.yaml', good.replaceAll('manifests/demo.json', 'manifests/none.json') + `on_failure: 'echo "$ETL_PIPELINE|$ETL_EXIT_CODE|$ETL_ERROR_CODE" > ${out}'\n`);
    const err = await runPipeline(f, {}, createRunContext({ dataDir: path.join(dir, 'data'), logger: memoryLogger() })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(fs.readFileSync(out, 'utf8').trim()).toBe('x|2|CONFIG_INVALID');
  });

  it('the shipped pipelines are valid', () => {
    for (const f of ['demo', 'paper-2021', 'nightly']) {
      const p = loadPipelineFile(path.join(import.meta.dirname, '../../pipelines', `${f}.yaml`));
      expect(p.definition.name).toBe(f);
    }
    const paper = loadPipelineFile(path.join(import.meta.dirname, '../../pipelines/paper-2021.yaml')).definition;
    expect(paper.source.tcia.caps).toEqual({ CT: 50000, MR: 100000 });
    expect(paper.train).toMatchObject({ arch: 'resnet18', epochs: 10, batch: 128, lr: 0.1, momentum: 0.9, weightDecay: 0.005, imageSize: 224 });
    expect(loadPipelineFile(path.join(import.meta.dirname, '../../pipelines/nightly.yaml')).definition.train).toBeUndefined();
  });
});
