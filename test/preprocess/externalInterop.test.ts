import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageFile } from '../../src/preprocess/imageFile.ts';
import { readNpy } from '../../src/preprocess/import/npy.ts';
import { encodeNifti, encodeNpy } from '../../src/standins/external/encode.ts';

/**
 * Cross-checks against independent implementations: files written by NumPy and Pillow are read by
 * our readers, and files written by our generators are read by NumPy. Needs a python3 with numpy
 * and PIL (Debian: python3-numpy python3-pil; or MEDIMG_PYTHON); skipped with the reason otherwise.
 */

function findPython(): string | undefined {
  for (const py of [process.env.MEDIMG_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean) as string[]) {
    try {
      execFileSync(py, ['-c', 'import numpy, PIL'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next one
    }
  }
  return undefined;
}
const PY = findPython();
if (!PY) console.warn('externalInterop: skipped — no python3 with numpy and PIL (apt-get install python3-numpy python3-pil, or set MEDIMG_PYTHON)');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ext-interop-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const py = (code: string) => execFileSync(PY!, ['-c', code], { cwd: tmp, encoding: 'utf8' });

const WRITE = `
import numpy as np
from numpy.lib import format as F
a = (np.arange(2*5*7, dtype=np.float64).reshape(2, 5, 7) * 37 % 251) - 60
a.astype('<f8').tofile('ref.f64')
np.save('c_i2.npy', a.astype('<i2'))
np.save('f_f4.npy', np.asfortranarray(a.astype('<f4')))
np.save('be_i2.npy', a.astype('>i2'))
np.save('u1.npy', (a + 60).astype('u1'))
with open('v2.npy', 'wb') as f: F.write_array(f, a.astype('<u2') + 100, version=(2, 0))
with open('v3.npy', 'wb') as f: F.write_array(f, a.astype('<i4'), version=(3, 0))
`;

describe.skipIf(!PY)('external formats against NumPy and Pillow', () => {
  it('.npy files written by NumPy (C/Fortran order, big-endian, versions 1–3) read to NumPy\'s values', () => {
    py(WRITE);
    const ref = new Float64Array(Uint8Array.from(fs.readFileSync(path.join(tmp, 'ref.f64'))).buffer);
    const cases: Array<[string, (x: number) => number]> = [
      ['c_i2.npy', (x) => x],
      ['f_f4.npy', (x) => x],
      ['be_i2.npy', (x) => x],
      ['u1.npy', (x) => x + 60],
      ['v2.npy', (x) => (((x + 65536) % 65536) + 100) % 65536],
      ['v3.npy', (x) => x],
    ];
    for (const [file, expectOf] of cases) {
      const v = readNpy(fs.readFileSync(path.join(tmp, file)));
      expect([v.slices, v.rows, v.cols], file).toEqual([2, 5, 7]);
      const got = [...v.slice(0), ...v.slice(1)];
      expect(got, file).toEqual(Array.from(ref, expectOf));
    }
  });

  it('our .npy and NIfTI writers produce files NumPy reads to the same values', () => {
    const values = Array.from({ length: 24 }, (_, i) => i * 3 - 5);
    fs.writeFileSync(path.join(tmp, 'ours_f.npy'), encodeNpy(values, [2, 3, 4], '<f4', { fortran: true, version: 2 }));
    fs.writeFileSync(path.join(tmp, 'ours_be.npy'), encodeNpy(values, [2, 3, 4], '>i2', { version: 3 }));
    const out = py(`import numpy as np\nfor f in ['ours_f.npy', 'ours_be.npy']: print(np.load(f).shape, np.load(f).ravel(order='C').astype(int).tolist())`);
    const want = `(2, 3, 4) ${JSON.stringify(values).replace(/,/g, ', ')}`;
    expect(out.trim().split('\n')).toEqual([want, want]);
    // NIfTI-1 header fields where nibabel would look for them (parsed with numpy, no nibabel needed).
    fs.writeFileSync(path.join(tmp, 'ours.nii'), encodeNifti(values, [4, 3, 2], { datatype: 4, gzip: false, sclSlope: 2, sclInter: 1 }));
    const hdr = py(`import numpy as np
b = open('ours.nii','rb').read()
h = np.frombuffer(b[:348], dtype=np.uint8)
dim = np.frombuffer(b[40:56], '<i2').tolist(); dt = np.frombuffer(b[70:72], '<i2')[0]
off, sl, it = np.frombuffer(b[108:120], '<f4').tolist()
data = np.frombuffer(b[int(off):], '<i2').reshape(2, 3, 4)
print(dim[:4], dt, off, sl, it, b[344:348], data.ravel().tolist())`);
    expect(hdr.trim()).toBe(`[3, 4, 3, 2] 4 352.0 2.0 1.0 b'n+1\\x00' ${JSON.stringify(values).replace(/,/g, ', ')}`);
  });

  it('a 16-bit PNG from Pillow keeps its values; an RGB JPEG from Pillow becomes Pillow\'s own grey', async () => {
    py(`import numpy as np
from PIL import Image
a = (np.arange(40*30, dtype=np.uint32).reshape(30, 40) * 53 % 65536).astype(np.uint16)
Image.fromarray(a).save('g16.png'); a.astype('<u2').tofile('g16.raw')
y, x = np.mgrid[0:32, 0:48]
rgb = np.stack([x * 5, y * 7, (x + y) * 3], -1).astype(np.uint8)
Image.fromarray(rgb, 'RGB').save('rgb.jpg', quality=95)
np.asarray(Image.open('rgb.jpg').convert('L'), dtype=np.uint8).tofile('rgb_l.raw')`);
    const g16 = await decodeImageFile(fs.readFileSync(path.join(tmp, 'g16.png')));
    expect(g16).toMatchObject({ rows: 30, cols: 40, bits: 16 });
    expect(Array.from(g16.values)).toEqual(Array.from(new Uint16Array(Uint8Array.from(fs.readFileSync(path.join(tmp, 'g16.raw'))).buffer)));
    const rgb = await decodeImageFile(fs.readFileSync(path.join(tmp, 'rgb.jpg')));
    const pil = fs.readFileSync(path.join(tmp, 'rgb_l.raw'));
    expect([rgb.rows, rgb.cols]).toEqual([32, 48]);
    let sum = 0;
    for (let i = 0; i < pil.length; i++) sum += Math.abs(rgb.values[i]! - pil[i]!);
    // Same Rec. 601 luma as Pillow's convert('L'); differences are the JPEG decoders' rounding and Pillow's integer luma.
    expect(sum / pil.length).toBeLessThan(1.5);
  });
});
