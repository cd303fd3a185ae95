"""Reading many vectors out of a store into one matrix (maps, selection, search, dedup)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import VectorStore

READ_BATCH = 8192
"""Vectors asked of the store per call (progress and cancellation between calls)."""


def read_matrix(
    store: VectorStore,
    space: str,
    ids: np.ndarray,
    progress: Callable[[int, int], None] | None = None,
    *,
    dim: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of those ``ids`` that have a vector, in the order asked.

    The batches are copied into one preallocated float32 matrix: memory is the matrix and a
    batch, not the batches and their concatenation (2 GB instead of 4 for 1M 512-d
    vectors). Ids without a vector (deleted since they were listed) are left out.
    ``progress(done, total)`` is called after each batch; ``dim`` shapes the empty answer.
    """
    out_ids = np.empty(len(ids), dtype=np.int64)
    out: np.ndarray | None = None
    n = 0
    for start in range(0, len(ids), READ_BATCH):
        part_ids, part = store.get_vectors(space, ids[start : start + READ_BATCH])
        if out is None:
            out = np.empty((len(ids), part.shape[1]), dtype=np.float32)
        out_ids[n : n + len(part_ids)] = part_ids
        out[n : n + len(part)] = part
        n += len(part)
        if progress is not None:
            progress(min(len(ids), start + READ_BATCH), len(ids))
    if out is None:
        return np.empty(0, dtype=np.int64), np.empty((0, dim), dtype=np.float32)
    return out_ids[:n], out[:n]
