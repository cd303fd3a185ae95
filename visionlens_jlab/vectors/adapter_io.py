"""What both vector-store adapters (Qdrant's client, Qdrant Edge) share around a call:
their inputs checked (ids, vectors, dataset ids, ``k``) and what they read back shaped
(vectors in the asked order, scrolled points sorted by id)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from .base import SpaceInfo, VectorStoreError


def as_ids(sample_ids: Iterable[int] | np.ndarray) -> list[int]:
    """Sample ids as Python ints, each checked to be a valid point id."""
    arr = np.asarray(list(sample_ids) if not isinstance(sample_ids, np.ndarray) else sample_ids)
    if arr.size == 0:
        return []
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise VectorStoreError("sample ids must be a flat sequence of integers")
    if int(arr.min()) < 0:
        raise VectorStoreError(f"sample ids must be >= 0, got {int(arr.min())}")
    return [int(x) for x in arr.tolist()]


def as_matrix(vectors: Sequence[Sequence[float]] | np.ndarray, dim: int, what: str) -> np.ndarray:
    """Vectors as a C-contiguous float32 ``(n, dim)`` array with only finite values."""
    try:
        arr = np.ascontiguousarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise VectorStoreError(f"{what}: vectors must be numbers, shaped (n, {dim})") from exc
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise VectorStoreError(
            f"{what}: expected vectors of dimension {dim}, got shape {arr.shape}"
        )
    if not np.isfinite(arr).all():
        # Qdrant stores NaN without complaint and then ranks it arbitrarily.
        raise VectorStoreError(f"{what}: vectors contain NaN or infinite values")
    return arr


def as_dataset_ids(dataset_ids: int | Sequence[int] | np.ndarray, n: int) -> list[int]:
    """One dataset id per point (a single id is repeated)."""
    if isinstance(dataset_ids, bool):
        raise VectorStoreError("dataset ids must be integers")
    if isinstance(dataset_ids, (int, np.integer)):
        return [int(dataset_ids)] * n
    out = as_ids(dataset_ids)
    if len(out) != n:
        raise VectorStoreError(f"got {len(out)} dataset ids for {n} points")
    return out


def upsert_inputs(
    space: SpaceInfo,
    sample_ids: Sequence[int] | np.ndarray,
    vectors: Sequence[Sequence[float]] | np.ndarray,
    dataset_ids: int | Sequence[int] | np.ndarray,
) -> tuple[list[int], np.ndarray, list[int]]:
    """An upsert's ``(ids, matrix, dataset ids)``, checked: one id and one dataset id per
    vector, each vector of the space's dimension."""
    ids = as_ids(sample_ids)
    matrix = as_matrix(vectors, space.dim, f"upsert into {space.name!r}")
    if len(ids) != len(matrix):
        raise VectorStoreError(f"got {len(ids)} sample ids for {len(matrix)} vectors")
    return ids, matrix, as_dataset_ids(dataset_ids, len(ids))


def search_inputs(
    space: SpaceInfo,
    queries: Sequence[Sequence[float]] | np.ndarray,
    k: int,
    sample_ids: Sequence[int] | np.ndarray | None,
) -> tuple[np.ndarray, int, list[int] | None]:
    """A search's ``(queries matrix, k, sample ids)``, checked; the ids are ``None`` when the
    search is not restricted to a set (an empty list: it can find nothing)."""
    matrix = as_matrix(queries, space.dim, f"search in {space.name!r}")
    limit = check_k(k)
    return matrix, limit, as_ids(sample_ids) if sample_ids is not None else None


def vectors_in_asked_order(
    ids: list[int], found: dict[int, Any], dim: int
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of the ``ids`` that are in ``found`` (id -> vector), in the order
    of ``ids``: what :meth:`VectorStore.get_vectors` returns."""
    order = [i for i in ids if i in found]
    matrix = np.array([found[i] for i in order], dtype=np.float32)
    return np.array(order, dtype=np.int64), matrix.reshape(len(order), dim)


def scroll_pages(next_page: Callable[[Any], tuple[list[Any], Any]]) -> Iterator[list[Any]]:
    """Every page of a scroll: ``next_page(offset)`` returns a page of records and the offset
    of the next one (``None`` after the last), starting from offset ``None``."""
    offset: Any = None
    while True:
        records, offset = next_page(offset)
        yield records
        if offset is None:
            return


def sorted_points(pages: Iterable[Iterable[Any]]) -> tuple[np.ndarray, np.ndarray]:
    """``(sample_ids, dataset_ids)`` of scrolled point records (pages of records with ``id``
    and a ``dataset_id`` payload), sorted by sample id."""
    ids: list[int] = []
    datasets: list[int] = []
    for records in pages:
        for rec in records:
            ids.append(int(rec.id))
            datasets.append(int((rec.payload or {}).get("dataset_id", -1)))
    id_arr = np.array(ids, dtype=np.int64)
    order = np.argsort(id_arr, kind="stable")
    return id_arr[order], np.array(datasets, dtype=np.int64)[order]


def check_k(k: int) -> int:
    """``k`` as a positive int with a sane cap (a UI asking for 10^7 neighbours is a bug)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 10_000:
        raise VectorStoreError(f"k must be an integer in 1..10000, got {k!r}")
    return int(k)
