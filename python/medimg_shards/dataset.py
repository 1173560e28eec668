"""``ShardDataset``: a PyTorch IterableDataset over a published medimg-etl dataset version.

Same batches, same order and same bytes as the TypeScript reader (src/shards/reader.ts) for the same
(seed, epoch, split, partition, shuffle_buffer): the order comes from ``order.py`` (a port of its PRNG
and shuffle), the bytes from ``batch-index.json`` (absolute byte ranges of every batch's image and label
buffers), sliced out of a read-only memory map of each shard — no Arrow library and no copy.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import warnings
import zlib
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .order import epoch_order, row_permutation

INDEX_FORMAT = "medimg-batch-index/1"
MANIFEST_FORMAT = "medimg-shards/1"

try:  # torch is optional for the order/byte logic; ShardDataset needs it.
    import torch
    from torch.utils.data import IterableDataset, get_worker_info

    _Base: Any = IterableDataset
except ImportError:  # pragma: no cover - exercised where torch is absent
    torch = None  # type: ignore[assignment]
    _Base = object

    def get_worker_info() -> None:  # type: ignore[misc]
        return None


class ShardError(Exception):
    """A dataset that cannot be read as asked: the message says what was expected, what was found, and what to do."""


def resolve_version_dir(path: str, version: Optional[str] = None) -> str:
    """``path`` is a version directory (holds manifest.json) or a dataset root (holds ``current``)."""
    if os.path.isfile(os.path.join(path, "manifest.json")) and version is None:
        return path
    if version is None:
        cur = os.path.join(path, "current")
        if os.path.islink(cur):
            version = os.path.basename(os.readlink(cur).rstrip("/"))
        elif os.path.isfile(cur):
            with open(cur, encoding="utf-8") as f:
                version = f.read().strip()
        else:
            raise ShardError(f"{path}: expected a dataset root with `current` or a version directory with manifest.json; found neither "
                             "(hint: pass data/datasets/<name> or data/datasets/<name>/<version>)")
    return os.path.join(path, version)


class ShardSet:
    """Manifest + batch index of one version; memory-maps shard files on first use (per process).

    ``verify``: SHA-256 of every shard at open (what ``etl verify`` checks). ``check_crc`` (default):
    each batch's block against the batch index's CRC-32 as it is read, as the TypeScript reader does,
    so a flipped byte on disk is an error, not a silently wrong image.
    """

    def __init__(self, path: str, version: Optional[str] = None, verify: bool = False, check_crc: bool = True):
        self.dir = resolve_version_dir(path, version)
        self.check_crc = bool(check_crc)
        with open(os.path.join(self.dir, "manifest.json"), encoding="utf-8") as f:
            self.manifest: Dict[str, Any] = json.load(f)
        if self.manifest.get("format") != MANIFEST_FORMAT:
            raise ShardError(f"{self.dir}/manifest.json: format {self.manifest.get('format')!r}, expected {MANIFEST_FORMAT!r} (hint: rebuild with `etl shard`)")
        ref = self.manifest.get("batchIndex")
        if not ref:
            raise ShardError(f"{self.dir}: the manifest lists no batch index (expected manifest.batchIndex; the version was written before "
                             "batch-index.json existed; hint: rebuild it with `etl shard`, same inputs give the same shards)")
        with open(os.path.join(self.dir, ref["file"]), "rb") as f:
            raw = f.read()
        if hashlib.sha256(raw).hexdigest() != ref["sha256"]:
            raise ShardError(f"{ref['file']}: SHA-256 differs from the manifest's (hint: run `etl verify`)")
        self.index: Dict[str, Any] = json.loads(raw)
        if self.index.get("format") != INDEX_FORMAT:
            raise ShardError(f"{ref['file']}: format {self.index.get('format')!r}, expected {INDEX_FORMAT!r}")
        if verify:
            for s in self.manifest["shards"]:
                h = hashlib.sha256()
                with open(os.path.join(self.dir, s["file"]), "rb") as f:
                    for chunk in iter(lambda: f.read(1 << 22), b""):
                        h.update(chunk)
                if h.hexdigest() != s["sha256"]:
                    raise ShardError(f"{s['file']}: SHA-256 differs from the manifest's (hint: run `etl verify`)")
        self.height = int(self.manifest["image"]["height"])
        self.width = int(self.manifest["image"]["width"])
        self.class_names: List[str] = list(self.manifest["classNames"])
        self._maps: Dict[str, np.ndarray] = {}
        self._pid = os.getpid()

    def batches_of(self, split: str) -> List[Tuple[str, Dict[str, Any]]]:
        """(file, batch entry) per global batch id: shards in index order, batches in file order."""
        shards = sorted((s for s in self.index["shards"] if s["split"] == split), key=lambda s: s["index"])
        return [(s["file"], b) for s in shards for b in s["batches"]]

    def _map(self, file: str) -> np.ndarray:
        if self._pid != os.getpid():  # forked DataLoader worker: map afresh
            self._maps, self._pid = {}, os.getpid()
        m = self._maps.get(file)
        if m is None:
            # Read-only shared mapping; MAP_POPULATE maps the whole (page-cached) file at once instead
            # of one page fault per 4 KiB as batches are touched (3-5x faster on first touch).
            with open(os.path.join(self.dir, file), "rb") as f:
                flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)
                mm = mmap.mmap(f.fileno(), 0, flags=flags, prot=mmap.PROT_READ)
            m = np.frombuffer(mm, dtype=np.uint8)
            self._maps[file] = m
        return m

    def arrays(self, file: str, entry: Dict[str, Any]) -> Tuple[np.ndarray, np.ndarray]:
        """(rows, 1, H, W) uint8 and (rows,) int32 views into the mapped file (no copy)."""
        m = self._map(file)
        want = entry.get("crc32")
        if self.check_crc and want is not None:
            at, n = int(entry["offset"]), int(entry["metadataLength"]) + int(entry["bodyLength"])
            got = zlib.crc32(m[at:at + n])
            if got != int(want):
                raise ShardError(f"{file}: the batch at byte {at} has CRC-32 {got:08x}, the batch index says {int(want):08x} "
                                 "(the file changed on disk; hint: run `etl verify`)")
        rows = int(entry["rows"])
        io, il = int(entry["image"]["offset"]), int(entry["image"]["length"])
        lo, ll = int(entry["label"]["offset"]), int(entry["label"]["length"])
        images = np.asarray(m[io:io + il]).reshape(rows, 1, self.height, self.width)
        labels = np.asarray(m[lo:lo + ll]).view("<i4")
        return images, labels


class ShardDataset(_Base):
    """Batches of one split as ``(images uint8 (B,1,H,W), labels int32 (B,))`` torch tensors.

    Order: per epoch a seeded permutation of the split's batches, identical to the TypeScript
    reader's for the same ``seed``/``epoch``/``partition``/``shuffle_buffer``. ``partition=(i, P)``
    splits across machines/ranks like ``--partition i/P``. DataLoader workers split this order
    round-robin, so ``DataLoader(ds, batch_size=None, num_workers=W)`` yields the SAME sequence as
    ``num_workers=0``. Resume: ``state_dict()`` / ``load_state_dict()`` hold (seed, epoch, cursor);
    iterate through ``ds.loader(...)`` (or directly) so the cursor counts delivered batches.
    Without ``shuffle_buffer`` the tensors view the memory-mapped shard: READ-ONLY (do not write
    into them; ``.float()`` / ``.to(device)`` make new tensors), valid while the dataset lives; a
    DataLoader with workers moves them to shared memory, as it does for any tensor.
    """

    def __init__(self, path: str, split: str = "train", *, seed: int = 0, epoch: int = 0, shuffle: bool = True,
                 shuffle_buffer: int = 0, partition: Sequence[int] = (0, 1), version: Optional[str] = None, verify: bool = False,
                 check_crc: bool = True):
        if torch is None:
            raise ShardError("ShardDataset needs PyTorch (import torch failed; hint: apt-get install python3-torch or pip install torch)")
        super().__init__()
        self.shards = ShardSet(path, version, verify, check_crc)
        if split not in self.shards.manifest["splits"]:
            raise ShardError(f"split {split!r} not in this dataset (expected one of {sorted(self.shards.manifest['splits'])})")
        index, count = int(partition[0]), int(partition[1])
        if count < 1 or not 0 <= index < count:
            raise ShardError(f"partition must be (i, P) with 0 <= i < P, got {tuple(partition)}")
        self.split, self.seed, self.epoch, self.shuffle = split, int(seed), int(epoch), bool(shuffle)
        self.shuffle_buffer = max(0, int(shuffle_buffer))
        self.partition = (index, count)
        self.cursor = 0
        self._batches = self.shards.batches_of(split)

    # -- order and state -------------------------------------------------------------------------
    def order(self) -> List[int]:
        return epoch_order(len(self._batches), self.seed, self.epoch, self.split, self.shuffle, self.partition)

    def __len__(self) -> int:
        return len(self.order())

    def set_epoch(self, epoch: int) -> None:
        self.epoch, self.cursor = int(epoch), 0

    def state_dict(self) -> Dict[str, Any]:
        return {"version": self.shards.manifest["version"], "split": self.split, "seed": self.seed, "epoch": self.epoch,
                "cursor": self.cursor, "shuffle": self.shuffle, "shuffle_buffer": self.shuffle_buffer, "partition": list(self.partition)}

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        for key in ("version", "split", "shuffle", "shuffle_buffer", "partition"):
            mine = self.state_dict()[key]
            got = list(state[key]) if key == "partition" else state[key]
            if got != mine:
                raise ShardError(f"state_dict {key}={got!r} does not match this dataset's {mine!r} (hint: open the same version/split/options)")
        self.seed, self.epoch, self.cursor = int(state["seed"]), int(state["epoch"]), int(state["cursor"])

    # -- iteration -------------------------------------------------------------------------------
    def positions(self) -> List[int]:
        """Positions of the epoch order this process/worker emits: the rest of the epoch from the
        cursor, split round-robin across DataLoader workers."""
        total = len(self.order())
        rest = list(range(min(self.cursor, total), total))
        info = get_worker_info()
        return rest if info is None else rest[info.id::info.num_workers]

    def __iter__(self) -> Iterator[Tuple["torch.Tensor", "torch.Tensor"]]:
        order = self.order()
        in_main = get_worker_info() is None
        group: Tuple[int, Any] = (-1, None)
        for pos in self.positions():
            if self.shuffle_buffer <= 1:
                file, entry = self._batches[order[pos]]
                images, labels = self.shards.arrays(file, entry)
            else:
                g = pos // self.shuffle_buffer
                if group[0] != g:
                    group = (g, self._mix_group(order, g))
                images, labels = group[1][pos - g * self.shuffle_buffer]
            if in_main:
                self.cursor = pos + 1
            with warnings.catch_warnings():
                # The views are read-only (the shard file is mapped PROT_READ): never write into them.
                warnings.simplefilter("ignore", UserWarning)
                item = (torch.from_numpy(images), torch.from_numpy(labels))
            yield item

    def _mix_group(self, order: List[int], g: int) -> List[Tuple[np.ndarray, np.ndarray]]:
        """Rows of the group's batches permuted as the TypeScript mixing path does (a copy)."""
        k = self.shuffle_buffer
        parts = [self.shards.arrays(*self._batches[b]) for b in order[g * k:(g + 1) * k]]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        perm = np.asarray(row_permutation(len(labels), self.seed, self.epoch, self.split, g, self.partition[0]), dtype=np.int64)
        out, start = [], 0
        for p in parts:
            sel = perm[start:start + len(p[1])]
            out.append((images[sel], labels[sel]))
            start += len(p[1])
        return out

    def loader(self, **kwargs: Any) -> "ResumableLoader":
        """A DataLoader (``batch_size=None``: batches come pre-made) whose delivered batches advance
        this dataset's cursor, so ``state_dict()`` is exact with any ``num_workers``."""
        return ResumableLoader(self, **kwargs)


class ResumableLoader:
    def __init__(self, dataset: ShardDataset, **kwargs: Any):
        kwargs.setdefault("batch_size", None)
        if kwargs["batch_size"] is not None:
            raise ShardError("ShardDataset batches are pre-made: use batch_size=None (the shard batch size is fixed when sharding)")
        self.dataset = dataset
        self.kwargs = kwargs

    def __len__(self) -> int:
        return len(self.dataset.positions())

    def __iter__(self) -> Iterator[Tuple["torch.Tensor", "torch.Tensor"]]:
        start = self.dataset.cursor
        for n, item in enumerate(torch.utils.data.DataLoader(self.dataset, **self.kwargs)):
            self.dataset.cursor = start + n + 1
            yield item
