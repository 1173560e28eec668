"""Print, as JSON, what ShardDataset yields for each case given on stdin (used by test/shards/pytorch.test.ts
to compare with the TypeScript reader). A case: {path, split, seed, epoch, shuffle_buffer, partition,
workers, stop_after?}: with stop_after, the loop stops there, saves state_dict(), and a NEW dataset
continues from load_state_dict() — the output is the concatenation (it must equal the whole epoch)."""

import hashlib
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import torch  # noqa: E402

from medimg_shards import ShardDataset  # noqa: E402


def describe(images, labels):
    a = images.numpy()
    return {"shape": list(a.shape), "dtype": str(images.dtype), "sha": hashlib.sha256(a.tobytes()).hexdigest(),
            "labels": labels.tolist(), "labelDtype": str(labels.dtype)}


def run(case):
    opts = dict(split=case["split"], seed=case["seed"], epoch=case["epoch"], shuffle_buffer=case.get("shuffle_buffer", 0),
                partition=tuple(case.get("partition", (0, 1))))
    ds = ShardDataset(case["path"], **opts)
    out, zero_copy = [], None
    stop = case.get("stop_after")
    for images, labels in ds.loader(num_workers=case.get("workers", 0)):
        out.append(describe(images, labels))
        if zero_copy is None and case.get("workers", 0) == 0 and opts["shuffle_buffer"] <= 1:
            # The tensor's memory lies inside one of the dataset's memory-mapped shard files.
            ptr = images.data_ptr()
            zero_copy = any(m.ctypes.data <= ptr < m.ctypes.data + m.size for m in ds.shards._maps.values())
        if stop is not None and len(out) == stop:
            break
    state = ds.state_dict()
    if stop is not None:
        resumed = ShardDataset(case["path"], **opts)
        resumed.load_state_dict(json.loads(json.dumps(state)))
        for images, labels in resumed.loader(num_workers=case.get("workers", 0)):
            out.append(describe(images, labels))
    return {"batches": out, "state": state, "zeroCopy": zero_copy}


if __name__ == "__main__":
    torch.set_num_threads(1)
    print(json.dumps([run(c) for c in json.load(sys.stdin)]))
