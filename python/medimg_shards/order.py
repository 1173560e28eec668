"""The TypeScript reader's batch order, bit for bit (src/core/hash.ts, src/shards/reader.ts).

- ``derive_seed(*parts)``: first 4 bytes (big-endian) of SHA-256 of the parts joined by NUL, the parts
  written as JavaScript's ``String()`` writes them (integers only here).
- ``mulberry32(seed)``: 32-bit generator returning floats in [0, 1), emulating JavaScript's
  ``Math.imul`` / ``>>>`` with explicit ``& 0xFFFFFFFF``.
- ``shuffle_in_place``: Fisher-Yates from the end, ``j = floor(random() * (i + 1))``.
"""

from __future__ import annotations

import hashlib
import math
from typing import Callable, List, Sequence, Union

M32 = 0xFFFFFFFF


def _js_str(part: Union[str, int]) -> str:
    if isinstance(part, bool) or not isinstance(part, (str, int)):
        raise TypeError(f"seed parts must be str or int, got {type(part).__name__}")
    return part if isinstance(part, str) else str(part)


def derive_seed(*parts: Union[str, int]) -> int:
    digest = hashlib.sha256("\u0000".join(_js_str(p) for p in parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big")


def _imul(a: int, b: int) -> int:
    return (a * b) & M32


def mulberry32(seed: int) -> Callable[[], float]:
    state = seed & M32

    def random() -> float:
        nonlocal state
        state = (state + 0x6D2B79F5) & M32
        t = state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & M32
        return ((t ^ (t >> 14)) & M32) / 4294967296.0

    return random


def shuffle_in_place(items: List[int], random: Callable[[], float]) -> List[int]:
    for i in range(len(items) - 1, 0, -1):
        j = math.floor(random() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def epoch_order(total_batches: int, seed: int, epoch: int, split: str, shuffle: bool = True,
                partition: Sequence[int] = (0, 1)) -> List[int]:
    """Global batch ids of one epoch (shards in index order, batches in file order), then partition
    ``i/P`` keeps positions ``j % P == i`` — as ``epochOrder`` in src/shards/reader.ts."""
    ids = list(range(total_batches))
    if shuffle:
        shuffle_in_place(ids, mulberry32(derive_seed("order", seed, epoch, split)))
    index, count = partition
    return ids if count == 1 else [b for j, b in enumerate(ids) if j % count == index]


def row_permutation(rows: int, seed: int, epoch: int, split: str, group: int, partition_index: int) -> List[int]:
    """Row mixing across a group of ``shuffle_buffer`` batches (the reader's mixing path)."""
    return shuffle_in_place(list(range(rows)), mulberry32(derive_seed("rows", seed, epoch, split, group, partition_index)))
