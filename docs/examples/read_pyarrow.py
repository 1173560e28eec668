"""Read a medimg-etl shard set with pyarrow, zero-copy, as (B, H, W) uint8 numpy arrays.

    python read_pyarrow.py DATA_DIR NAME [SPLIT] [--verify]

Prints one JSON line with what it read. Needs pyarrow and numpy only.
"""
import hashlib
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc


def dataset_dir(data_dir: str, name: str) -> str:
    """datasets/<name>/current is a symlink to the version, or a one-line file holding it."""
    root = os.path.join(data_dir, "datasets", name)
    current = os.path.join(root, "current")
    if os.path.islink(current):
        version = os.path.basename(os.readlink(current))
    else:
        with open(current) as f:
            version = f.read().strip()
    return os.path.join(root, version)


def batches(directory: str, manifest: dict, split: str):
    """Yield (images, labels, record_batch) per stored batch, in file order."""
    h, w = manifest["image"]["height"], manifest["image"]["width"]
    shards = sorted((s for s in manifest["shards"] if s["split"] == split), key=lambda s: s["index"])
    for s in shards:
        source = pa.memory_map(os.path.join(directory, s["file"]))  # no copy: pages come from the OS cache
        reader = ipc.open_file(source)
        for i in range(reader.num_record_batches):
            b = reader.get_batch(i)
            col = b.column("image")  # FixedSizeBinary(h*w): buffers() = [validity, data]
            data = col.buffers()[1]
            images = np.frombuffer(data, dtype=np.uint8, count=len(col) * h * w, offset=col.offset * h * w)
            yield images.reshape(len(col), h, w), b.column("label").to_numpy(), b


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    data_dir, name = args[0], args[1]
    split = args[2] if len(args) > 2 else "train"
    directory = dataset_dir(data_dir, name)
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    if "--verify" in sys.argv:
        for s in manifest["shards"]:
            with open(os.path.join(directory, s["file"]), "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest != s["sha256"]:
                raise SystemExit(f"checksum mismatch: {s['file']}")
    rows = n = 0
    shape = None
    zero_copy = True
    classes = {}
    for images, labels, _ in batches(directory, manifest, split):
        rows += images.shape[0]
        n += 1
        shape = shape or list(images.shape)
        zero_copy = zero_copy and not images.flags.owndata
        for label in labels.tolist():
            cname = manifest["classNames"][label]
            classes[cname] = classes.get(cname, 0) + 1
    print(json.dumps({"split": split, "rows": rows, "batches": n, "first_shape": shape, "zero_copy": zero_copy, "classes": classes}))


if __name__ == "__main__":
    main()
