"""Imported vectors staged on disk, then written to the vector store all or nothing.

:mod:`.imported` stages the good rows of a whole file here before it writes any (a file that
breaks half-way, or a cancel, writes nothing); :func:`staged_writes` then upserts them and
undoes the upserts when a write, the catalog's record or a cancel fails after them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np

from ..jobs.job import JobContext
from ..vectors import VectorStore


class Staged:
    """Rows of sample ids and vectors appended to two files in ``folder`` (int64 ids and
    float32 vectors, named by ``name``), read back in batches: memory holds one batch."""

    BATCH = 8192

    def __init__(self, folder: str, name: str) -> None:
        self.ids_path = os.path.join(folder, f"{name}.ids")
        self.vectors_path = os.path.join(folder, f"{name}.vectors")
        self.dim = 0
        self.rows = 0

    def add(self, sample_ids: np.ndarray, matrix: np.ndarray) -> None:
        """Append these rows (ids and their vectors) to the files."""
        if not len(sample_ids):
            return
        self.dim = int(matrix.shape[1])
        with open(self.ids_path, "ab") as f:
            f.write(np.ascontiguousarray(sample_ids, np.int64).tobytes())
        with open(self.vectors_path, "ab") as f:
            f.write(np.ascontiguousarray(matrix, np.float32).tobytes())
        self.rows += len(sample_ids)

    def batches(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """The rows added, in order, :attr:`BATCH` at a time."""
        if not self.rows:
            return
        with open(self.ids_path, "rb") as ids, open(self.vectors_path, "rb") as vectors:
            for start in range(0, self.rows, self.BATCH):
                n = min(self.BATCH, self.rows - start)
                batch_ids = np.frombuffer(ids.read(8 * n), np.int64)
                matrix = np.frombuffer(vectors.read(4 * n * self.dim), np.float32)
                yield batch_ids, matrix.reshape(n, self.dim)


@contextmanager
def staged_writes(
    ctx: JobContext | None,
    store: VectorStore,
    store_space: str,
    dataset_id: int,
    staged: Staged,
    existed: bool,
    folder: str,
) -> Iterator[int]:
    """Upsert the staged rows into ``store_space``, then run the block (the catalog's
    record), given how many of the rows replaced a vector the space had; when a write or
    the block fails (or the job is cancelled) undo the writes: a new space is dropped, an
    existing one gets back the vectors it had (staged in ``folder``) and loses those it
    had not."""
    before = Staged(folder, "before")
    added: list[np.ndarray] = []
    written = 0
    try:
        for batch_ids, matrix in staged.batches():
            if existed:
                had_ids, had = store.get_vectors(store_space, batch_ids)
                before.add(had_ids, had)
                added.append(batch_ids[~np.isin(batch_ids, had_ids)])
            store.upsert(store_space, batch_ids, matrix, dataset_id)
            written += len(batch_ids)
            if ctx is not None:
                ctx.items("writing", written, staged.rows, f"wrote {written} of {staged.rows}")
                ctx.check_cancelled()
        yield before.rows
    except BaseException:
        if not existed:
            store.drop_space(store_space)
        else:
            if added:
                store.delete(np.concatenate(added), store_space)
            for had_ids, had in before.batches():
                store.upsert(store_space, had_ids, had, dataset_id)
        raise
