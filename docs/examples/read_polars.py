"""Query a medimg-etl shard set with Polars (metadata columns; images come back as Binary).

    python read_polars.py DATA_DIR NAME [SPLIT]
"""
import json
import os
import sys

import numpy as np
import polars as pl


def main() -> None:
    data_dir, name = sys.argv[1], sys.argv[2]
    split = sys.argv[3] if len(sys.argv) > 3 else "train"
    directory = os.path.realpath(os.path.join(data_dir, "datasets", name, "current"))
    if os.path.isfile(directory):  # `current` as a one-line file instead of a symlink
        with open(directory) as f:
            directory = os.path.join(os.path.dirname(directory), f.read().strip())
    with open(os.path.join(directory, "manifest.json")) as f:
        manifest = json.load(f)
    h, w = manifest["image"]["height"], manifest["image"]["width"]
    lf = pl.scan_ipc(os.path.join(directory, f"{split}-*.arrow"))
    per_dataset = (
        lf.select("dataset", "label").group_by("dataset").agg(pl.len().alias("images")).sort("dataset").collect()
    )
    first = lf.select("image").head(1).collect()["image"][0]  # bytes of one image
    image = np.frombuffer(first, dtype=np.uint8).reshape(h, w)
    print(json.dumps({"split": split, "per_dataset": dict(zip(per_dataset["dataset"].to_list(), per_dataset["images"].to_list())), "image_shape": list(image.shape)}))


if __name__ == "__main__":
    main()
