"""The vectors of samples deleted as one batch, read out of the vector store before the
delete and written back by its undo (:mod:`.sample_deletes`), each beside the catalog's own
work in a thread: DuckDB releases the GIL while it runs, so the store's calls and the
catalog's SQL overlap.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

if TYPE_CHECKING:  # the store is opened by the caller: an ingest never imports it
    from ..vectors import VectorStore

VECTOR_CHUNK = 8192
"""Vectors read or written per call to the store."""


def matrix_of(vectors: pa.ChunkedArray) -> np.ndarray:
    """Kept vectors (a fixed-size list column) as one float32 matrix, without a Python
    object per vector."""
    flat = vectors.combine_chunks().flatten()  # the values of the rows, offset honoured
    return flat.to_numpy().reshape(len(vectors), vectors.type.list_size)


def write_spaces(
    store: VectorStore | None,
    kept: dict[str, pa.Table],
    dataset_id: int,
    written: dict[str, np.ndarray],
    stop: threading.Event,
) -> None:
    """Write the kept vectors back in every space; ``written`` collects each space's ids
    before its first write (a half-written space is removed whole); ``stop`` set: stop
    between two chunks (the catalog's write failed, what was written is removed)."""
    for space, part in kept.items():
        assert store is not None  # kept only when a store is open
        ids = part.column("sample_id").to_numpy()
        written[space] = ids
        matrix = matrix_of(part.column("vector"))
        for start in range(0, len(ids), VECTOR_CHUNK):
            if stop.is_set():
                return
            store.upsert(space, ids[start : start + VECTOR_CHUNK],
                         matrix[start : start + VECTOR_CHUNK], dataset_ids=dataset_id)  # fmt: skip


def read_spaces(
    store: VectorStore | None, spaces: list[str], chosen: np.ndarray
) -> dict[str, pa.Table]:
    """The vectors of the chosen samples in every space (none without a store)."""
    return {space: read_vectors(store, space, chosen) for space in spaces} if store else {}


def read_vectors(store: VectorStore, space: str, chosen: np.ndarray) -> pa.Table:
    """The vectors of the chosen samples that have one in ``space``."""
    ids: list[np.ndarray] = []
    parts: list[np.ndarray] = []
    for start in range(0, len(chosen), VECTOR_CHUNK):
        found, matrix = store.get_vectors(space, chosen[start : start + VECTOR_CHUNK])
        ids.append(np.asarray(found, dtype=np.int64))
        parts.append(np.asarray(matrix, dtype=np.float32).reshape(len(found), -1))
    matrix = np.concatenate(parts)
    flat = pa.array(matrix.reshape(-1), pa.float32())
    return pa.table({
        "sample_id": pa.array(np.concatenate(ids), pa.int64()),
        "vector": pa.FixedSizeListArray.from_arrays(flat, matrix.shape[1]),
    })  # fmt: skip
