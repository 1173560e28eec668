# Per-step time of the Python baseline of bench/table.ts (pydicom + numpy + Pillow), per slice:
#   /usr/bin/python3 bench/preprocess_phases.py OUT_DIR DATA_DIR/raw/COLLECTION/*.zip
# The same steps as table.ts's PY, each timed (bench/preprocessPhases.mjs is our side).
import io, os, sys, time, zipfile
import numpy as np, pydicom
from PIL import Image
ph = {}
def tick(name, t):
    now = time.perf_counter(); ph[name] = ph.get(name, 0) + now - t; return now
n = 0
out_dir = sys.argv[1]
c0 = time.process_time(); w0 = time.perf_counter()
for zf in sys.argv[2:]:
    images = []
    t = time.perf_counter()
    with zipfile.ZipFile(zf) as z:
        t = tick('zip open', t)
        for name in z.namelist():
            if not name.endswith('.dcm'):
                continue
            raw = z.read(name); t = tick('zip read (inflate + CRC-32)', t)
            ds = pydicom.dcmread(io.BytesIO(raw)); t = tick('dcmread', t)
            px = ds.pixel_array; t = tick('pixel_array', t)
            v = px.astype(np.float32) * float(getattr(ds, 'RescaleSlope', 1)) + float(getattr(ds, 'RescaleIntercept', 0)); t = tick('rescale to float32', t)
            lo, hi = float(v.min()), float(v.max()); t = tick('min/max', t)
            u = (v - lo) / (hi - lo); t = tick('normalise', t)
            r = np.asarray(Image.fromarray(u, mode='F').resize((224, 224), Image.BOX)); t = tick('PIL BOX resize', t)
            images.append(np.clip(r * 255 + 0.5, 0, 255).astype(np.uint8)); t = tick('quantise', t)
            n += 1
    final = os.path.join(out_dir, os.path.basename(zf)[:-4] + '.u8')
    with open(final + '.tmp', 'wb') as f:
        f.write(np.stack(images).tobytes()); f.flush(); os.fsync(f.fileno())
    os.replace(final + '.tmp', final)
    t = tick('write + fsync', t)
wall = time.perf_counter() - w0; cpu = time.process_time() - c0
print(f'python {n} slices: {1000*wall/n:.3f} ms wall, {1000*cpu/n:.3f} ms CPU per slice')
for k, s in ph.items(): print(f'  {k:30s} {1000*s/n:7.3f} ms')
