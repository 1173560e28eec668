import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStaging } from '../../src/preprocess/staging.ts';
import { scanStaging } from '../../src/preprocess/stagingScan.ts';
import { stageSeries, tempDataDir } from '../shards/fixtures.ts';

describe('scanStaging (rows without images)', () => {
  it('gives the same rows as the whole-file reader, and where each image lies', async () => {
    const dir = tempDataDir();
    await stageSeries(dir, [{ dataset: 'Ünï', label: 'CT', images: 13 }], 24);
    const file = fs.readdirSync(path.join(dir, 'staging', 'Ünï')).find((f) => f.endsWith('.arrow'))!;
    const full = path.join(dir, 'staging', 'Ünï', file);
    const whole = readStaging(full);
    const scan = await scanStaging(full);
    expect(scan.size).toBe(24);
    expect(scan.rows).toBe(13);
    const bytes = fs.readFileSync(full);
    whole.samples.forEach((s, i) => {
      expect([scan.dataset[i], scan.patientId[i], scan.seriesUid[i], scan.sopUid[i], scan.label[i], scan.pixelHash[i], scan.frame[i]])
        .toEqual([s.dataset, s.patientId, s.seriesUid, s.sopUid, s.label, s.pixelHash, s.frame]);
      const at = scan.imageOffset(i);
      expect(Buffer.compare(bytes.subarray(at, at + 24 * 24), Buffer.from(s.image))).toBe(0);
    });
  });

  it('rejects a cut-short or foreign file with a staging error code', async () => {
    const dir = tempDataDir();
    await stageSeries(dir, [{ dataset: 'A', label: 'CT', images: 5 }], 16);
    const d = path.join(dir, 'staging', 'A');
    const full = path.join(d, fs.readdirSync(d).find((f) => f.endsWith('.arrow'))!);
    const bytes = fs.readFileSync(full);
    fs.writeFileSync(full, bytes.subarray(0, bytes.length >> 1));
    await expect(scanStaging(full)).rejects.toMatchObject({ code: 'STAGING_UNREADABLE' });
    fs.writeFileSync(full, 'not arrow at all');
    await expect(scanStaging(full)).rejects.toMatchObject({ code: 'STAGING_UNREADABLE' });
  });
});
