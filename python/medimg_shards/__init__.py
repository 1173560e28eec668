"""Read medimg-etl shards from Python/PyTorch: the TypeScript reader's batch order, zero-copy bytes."""

from .dataset import ResumableLoader, ShardDataset, ShardError, ShardSet, resolve_version_dir
from .order import derive_seed, epoch_order, mulberry32, row_permutation, shuffle_in_place

__all__ = ["ShardDataset", "ShardSet", "ShardError", "ResumableLoader", "resolve_version_dir",
           "derive_seed", "epoch_order", "mulberry32", "row_permutation", "shuffle_in_place"]
__version__ = "0.1.0"
