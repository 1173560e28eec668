import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRunContext } from '../../src/core/context.ts';
import { InputError } from '../../src/core/errors.ts';
import { memoryLogger } from '../../src/core/log.ts';
import { TciaClient } from '../../src/tcia/client.ts';
import { matchCollectionNames } from '../../src/tcia/collectionNames.ts';
import { fetchTcia } from '../../src/pipeline/fetchTcia.ts';
import { startStandIn, type StandInServer } from '../../src/standins/tcia/index.ts';
import { removeTempDirs, tempDir, tinyCollections } from './fetchFixture.ts';

describe('matchCollectionNames', () => {
  const listed = ['QIN-HeadNeck', 'NaF PROSTATE', 'TCGA-LUAD', 'TCGA-LUSC', 'Anti-PD-1_Lung'];

  it('matches case-insensitively and keeps TCIA\u2019s spelling', () => {
    const m = matchCollectionNames(['QIN-HEADNECK', 'NaF Prostate', 'TCGA-LUAD'], listed);
    expect([...m.resolved]).toEqual([['QIN-HEADNECK', 'QIN-HeadNeck'], ['NaF Prostate', 'NaF PROSTATE'], ['TCGA-LUAD', 'TCGA-LUAD']]);
    expect(m.unknown).toEqual([]);
  });

  it('names the closest listed collection for an unknown name', () => {
    const m = matchCollectionNames(['Anti-PD-1 Lung', 'TCGA-LUADX', 'Something Else Entirely'], listed);
    expect(m.resolved.size).toBe(0);
    expect(m.unknown[0]).toEqual({ name: 'Anti-PD-1 Lung', closest: 'Anti-PD-1_Lung', distance: 1 });
    expect(m.unknown[1]).toEqual({ name: 'TCGA-LUADX', closest: 'TCGA-LUAD', distance: 1 });
    expect(m.unknown[2]!.closest).toBeDefined();
    expect(matchCollectionNames(['X'], []).unknown).toEqual([{ name: 'X' }]);
  });
});

describe('fetch plans with TCIA\u2019s spelling of manifest names', () => {
  let server: StandInServer;
  let listed: string[] = [];
  beforeAll(async () => {
    server = await startStandIn({ dataDir: await tinyCollections(), port: 0, seed: 3 });
    const c = new TciaClient({ apiUrl: server.url });
    listed = await c.getCollectionValues();
    c.close();
  });
  afterAll(async () => {
    await server?.close();
    removeTempDirs();
  });

  function manifestWith(names: string[]): string {
    const dir = tempDir('names');
    const file = path.join(dir, 'm.json');
    fs.writeFileSync(file, JSON.stringify({ name: 'm', datasets: names.map((name) => ({ name, location: 'chest', split: 'train' })) }));
    return file;
  }

  it('plans a lower-cased name under TCIA\u2019s spelling and warns about a misspelt one with the closest match', async () => {
    const [a, b] = listed as [string, string];
    const log = memoryLogger();
    const dir = tempDir('names-data');
    const r = await fetchTcia(
      { apiUrl: server.url, manifest: manifestWith([a.toLowerCase(), `${b}x`]), planOnly: true },
      createRunContext({ dataDir: dir, logger: log, tty: false }),
    );
    expect(new Set(r.plan.series.map((s) => s.collection))).toEqual(new Set([a]));
    expect(new Set(r.plan.series.map((s) => s.dataset))).toEqual(new Set([a.toLowerCase()]));
    expect(fs.existsSync(path.join(dir, 'catalog', `${a}.json`))).toBe(true);
    expect(log.lines.join('\n')).toContain(`collection "${b}x" is not listed by getCollectionValues at ${server.url}; closest listed name: "${b}" (1 edit); skipped`);
  });

  it('fails with the closest names when TCIA lists none of them', async () => {
    const run = fetchTcia({ apiUrl: server.url, manifest: manifestWith([`${listed[0]}zz`]), planOnly: true }, createRunContext({ dataDir: tempDir('none'), logger: memoryLogger(), tty: false }));
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toThrow(/TCIA lists none of the 1 collection/);
  });
});
