"""Which vector space holds a dataset's vectors for a model, and reading them all.

Until the catalog records which spaces a dataset has (the embed jobs), the store is asked:
a space belongs to a dataset when it holds points with that ``dataset_id`` payload.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..vectors import SpaceInfo, VectorStore, VectorStoreError, read_matrix


class NoVectorsError(VectorStoreError):
    """The dataset has no vectors (for that model): the user must embed it first."""


Counter = Callable[[VectorStore, str, int], int]
"""How a search counts a dataset's points in a space (the server remembers the counts)."""


def store_count(store: VectorStore, space: str, dataset_id: int) -> int:
    """The store's exact count (what a one-off search uses)."""
    return store.count(space, dataset_id)


def dataset_spaces(
    store: VectorStore, dataset_id: int, count: Counter = store_count
) -> list[tuple[SpaceInfo, int]]:
    """The spaces holding vectors of the dataset and how many, newest space first."""
    found = [(info, count(store, info.name, dataset_id)) for info in store.spaces()]
    found = [(info, n) for info, n in found if n > 0]
    return sorted(found, key=lambda s: (s[0].created_at, s[0].name), reverse=True)


def choose_space(
    store: VectorStore | None,
    dataset: str,
    dataset_id: int,
    model: str | None,
    count: Counter = store_count,
) -> tuple[SpaceInfo, int]:
    """The space of ``model`` (a model name or a space name) with vectors of the dataset,
    or without ``model`` the newest such space, and how many vectors of the dataset it
    holds; :class:`NoVectorsError` if there is none."""
    hint = f"run `visionlens embed {dataset}` (or ds.embed()) first"
    if store is None:
        raise NoVectorsError(f"the vector store is unavailable, so {dataset!r} has no vectors")
    spaces = dataset_spaces(store, dataset_id, count)
    if model is not None:
        matching = [s for s in spaces if model in (s[0].model, s[0].name)]
        if not matching:
            have = ", ".join(sorted({s[0].model for s in spaces})) or "none"
            raise NoVectorsError(
                f"dataset {dataset!r} has no vectors of model {model!r} (models with "
                f"vectors: {have}): {hint} with --model {model}"
            )
        return matching[0]
    if not spaces:
        raise NoVectorsError(f"dataset {dataset!r} has no vectors yet: {hint}")
    return spaces[0]


def read_vectors(
    store: VectorStore,
    space: SpaceInfo,
    dataset_id: int,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(sample_ids, vectors)`` of every point of the dataset, sorted by id, in one matrix
    (:func:`~visionlens_jlab.vectors.read_matrix`)."""
    ids = store.ids(space.name, dataset_id)
    if progress is None:
        return read_matrix(store, space.name, ids, dim=space.dim)
    report = progress
    return read_matrix(
        store,
        space.name,
        ids,
        lambda done, total: report(done / max(1, total), f"read {done:,} of {total:,} vectors"),
        dim=space.dim,
    )
