"""A PyTorch Dataset over medimg-etl shards: one item = one stored (pre-made) batch.

Each shard is memory-mapped once; __getitem__ returns a zero-copy (B, 1, H, W) uint8 tensor
view and int64 labels. Let the DataLoader shuffle the batch order (batch_size=None: items are
already batches). Convert to float on the GPU, where it is cheap.

    ds = ShardBatches("data", "paper-2021", "train")
    loader = torch.utils.data.DataLoader(ds, batch_size=None, shuffle=True, num_workers=4)
    for images, labels in loader:
        x = images.cuda(non_blocking=True).float().div_(255)
"""
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import torch


class ShardBatches(torch.utils.data.Dataset):
    def __init__(self, data_dir: str, name: str, split: str = "train") -> None:
        root = os.path.join(data_dir, "datasets", name)
        current = os.path.join(root, "current")
        version = os.path.basename(os.readlink(current)) if os.path.islink(current) else open(current).read().strip()
        self.dir = os.path.join(root, version)
        with open(os.path.join(self.dir, "manifest.json")) as f:
            self.manifest = json.load(f)
        self.h, self.w = self.manifest["image"]["height"], self.manifest["image"]["width"]
        shards = sorted((s for s in self.manifest["shards"] if s["split"] == split), key=lambda s: s["index"])
        self.files = [os.path.join(self.dir, s["file"]) for s in shards]
        self.index = [(i, b) for i, s in enumerate(shards) for b in range(s["batches"])]
        self._readers = {}  # opened lazily, per worker process

    def __len__(self) -> int:
        return len(self.index)

    def _reader(self, i: int):
        r = self._readers.get(i)
        if r is None:
            r = self._readers[i] = ipc.open_file(pa.memory_map(self.files[i]))
        return r

    def __getitem__(self, k: int):
        shard, batch = self.index[k]
        b = self._reader(shard).get_batch(batch)
        col = b.column("image")
        n = len(col)
        pixels = np.frombuffer(col.buffers()[1], dtype=np.uint8, count=n * self.h * self.w, offset=col.offset * self.h * self.w)
        images = torch.from_numpy(pixels.reshape(n, 1, self.h, self.w))  # read-only view; copy before in-place ops
        labels = torch.from_numpy(b.column("label").to_numpy().astype(np.int64))
        return images, labels
