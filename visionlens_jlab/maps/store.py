"""Maps against the catalog and the vector store: which space, which map, is it stale.

Everything here runs in the process that owns the catalog and the vector store (the
Jupyter server, or the CLI when no server runs). The reductions themselves are in
:mod:`.reduce`; :mod:`visionlens_jlab.maps.jobs` runs them as jobs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog import NotFoundError
from ..search.spaces import dataset_spaces
from ..vectors import SpaceInfo, SpaceNotFoundError, VectorStore, VectorStoreError, read_matrix
from .params import MapError, map_id, normalize_params
from .progress import READING, Progress
from .tables import get_map, list_maps, read_points

if TYPE_CHECKING:
    from ..catalog import Catalog


@dataclass(frozen=True)
class MapKey:
    """A resolved map request: dataset, its vector space, method and full parameters."""

    dataset: str
    dataset_id: int
    space: SpaceInfo
    method: str
    params: dict[str, Any]

    @property
    def id(self) -> str:
        return map_id(self.dataset_id, self.space.name, self.method, self.params)


def dataset_id_of(catalog: Catalog, dataset: str) -> int:
    """The id of dataset ``dataset`` (:class:`NotFoundError` if none)."""
    with catalog.cursor() as cur:
        return catalog.dataset_id(cur, dataset)


def choose_space(store: VectorStore, dataset_id: int, space: str | None) -> SpaceInfo:
    """The vector space to map: the one named (a space's name, or the model whose newest
    space holds vectors of this dataset, as search and duplicates take it: an imported
    space's ``SPACE``), or else the newest space holding vectors of this dataset (the same
    default as search; the descriptor says which space it is)."""
    if space is not None:
        if not isinstance(space, str) or not space:
            raise MapError("'space' must be a vector space name")
        try:
            return store.space(space)
        except SpaceNotFoundError:
            by_model = [
                info for info, _ in dataset_spaces(store, dataset_id) if info.model == space
            ]
            if not by_model:
                raise
            return by_model[0]
    holding = dataset_spaces(store, dataset_id)
    if not holding:
        raise MapError("this dataset has no embeddings yet: embed it first, then map it")
    return holding[0][0]


def resolve(
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    space: str | None,
    method: Any,
    params: Any,
) -> MapKey:
    """Validate a map request and resolve its space and parameters."""
    if not isinstance(method, str):
        raise MapError("'method' is required: 'pca', 'umap' or 'tsne'")
    full = normalize_params(method, params)
    dataset_id = dataset_id_of(catalog, dataset)
    return MapKey(dataset, dataset_id, choose_space(store, dataset_id, space), method, full)


def space_ids(store: VectorStore | None, space: str, dataset_id: int) -> np.ndarray | None:
    """Sorted sample ids with a vector in ``space``; empty if the space is gone, ``None``
    if the store cannot be asked."""
    if store is None:
        return None
    try:
        return store.ids(space, dataset_id)
    except SpaceNotFoundError:
        return np.empty(0, dtype=np.int64)
    except VectorStoreError:
        return None


def describe(
    catalog: Catalog,
    record: dict[str, Any],
    dataset: str,
    dataset_id: int,
    current_ids: np.ndarray | None,
) -> dict[str, Any]:
    """A map descriptor: the stored record plus staleness against ``current_ids``.

    ``missing``: samples with a vector that the map lacks; ``removed``: map points whose
    vector is gone; ``deleted``: points the map was computed (or last placed) with that are
    no longer stored, as a sample delete takes its samples' points (negative: an undo
    brought back points a placing had dropped). ``stale`` is ``None`` when the vector store
    could not be asked; ``stale_reason`` says why it is stale.
    """
    out = {k: v for k, v in record.items() if k not in ("transform", "seconds")}
    out["dataset"] = dataset
    out["compute_seconds"] = record["seconds"]
    mapped = read_points(catalog, dataset_id, record["id"]).sample_ids
    deleted = int(record["points"]) - len(mapped)
    if current_ids is None:
        out.update(stale=None, missing=None, removed=None, deleted=deleted, stale_reason=None)
        return out
    missing = int(np.setdiff1d(current_ids, mapped, assume_unique=True).size)
    removed = int(np.setdiff1d(mapped, current_ids, assume_unique=True).size)
    reasons = [
        f"{n:,} {what} since it was computed"
        for n, what in (
            (max(deleted, 0), "samples deleted"),
            (missing, "samples embedded"),
            (removed, "vectors gone"),
            (max(-deleted, 0), "points restored"),
        )
        if n
    ]
    out.update(
        stale=bool(reasons),
        stale_reason="; ".join(reasons) or None,
        missing=missing,
        removed=removed,
        deleted=deleted,
    )
    return out


def list_descriptors(
    catalog: Catalog, store: VectorStore | None, dataset: str
) -> list[dict[str, Any]]:
    """Every stored map of a dataset with its staleness (one id listing per space)."""
    dataset_id = dataset_id_of(catalog, dataset)
    by_space: dict[str, np.ndarray | None] = {}
    out = []
    for record in list_maps(catalog, dataset_id):
        if record["space"] not in by_space:
            by_space[record["space"]] = space_ids(store, record["space"], dataset_id)
        out.append(describe(catalog, record, dataset, dataset_id, by_space[record["space"]]))
    return out


def descriptor(
    catalog: Catalog, store: VectorStore | None, dataset: str, map_id_: str
) -> dict[str, Any]:
    """One map's descriptor, or :class:`NotFoundError`."""
    dataset_id = dataset_id_of(catalog, dataset)
    record = get_map(catalog, dataset_id, map_id_)
    if record is None:
        raise NotFoundError(f"no map {map_id_!r} on dataset {dataset!r}")
    ids = space_ids(store, record["space"], dataset_id)
    return describe(catalog, record, dataset, dataset_id, ids)


def read_vectors(
    store: VectorStore,
    space: str,
    ids: np.ndarray,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(ids, vectors)`` of ``ids`` that have a vector, in one matrix, with the map jobs'
    progress (:func:`~visionlens_jlab.vectors.read_matrix`)."""
    if progress is None:
        return read_matrix(store, space, ids)
    report = progress
    return read_matrix(
        store, space, ids, lambda done, total: report(done / max(total, 1), READING, done, total)
    )
