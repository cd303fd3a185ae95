"""Keep the vector store consistent with the catalog, which is the authority (Pitfall 2).

Deleting a dataset writes DuckDB first and the vector store second
(:func:`delete_dataset_vectors`); a crash in between leaves orphan points, which
:func:`reconcile` removes. :class:`~.lazy.LazyVectorStore` runs it whenever it opens the
store (before anything uses it). It also reports, per space, how many catalog samples have no vector
(an embedding job that was cancelled or crashed): :func:`missing_ids` lists them so the
job can resume where it stopped.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..catalog import Catalog
from .base import VectorStore

log = logging.getLogger(__name__)


@dataclass
class SpaceReconcile:
    """What reconcile found in one vector space."""

    points: int
    """Points in the space before reconcile."""
    removed: int
    """Orphans deleted: the sample no longer exists, or belongs to another dataset now."""
    missing: int
    """Catalog samples with no vector in this space."""


@dataclass
class ReconcileReport:
    """The outcome of :func:`reconcile`."""

    catalog_samples: int
    dry_run: bool
    spaces: dict[str, SpaceReconcile] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (for a job result or the log)."""
        return asdict(self)


def catalog_samples(
    catalog: Catalog, dataset_id: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(sample_ids, dataset_ids)`` of the catalog, sorted by sample id, as int64 arrays."""
    with catalog.cursor() as cur:
        if dataset_id is None:
            res = cur.execute("SELECT sample_id, dataset_id FROM samples ORDER BY sample_id")
        else:
            res = cur.execute(
                "SELECT sample_id, dataset_id FROM samples WHERE dataset_id = ? ORDER BY sample_id",
                [int(dataset_id)],
            )
        cols = res.fetchnumpy()
    return (
        np.asarray(cols["sample_id"], dtype=np.int64),
        np.asarray(cols["dataset_id"], dtype=np.int64),
    )


def _known(sorted_ids: np.ndarray, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``ids``: whether it is in ``sorted_ids``, and its position there."""
    if len(sorted_ids) == 0:
        return np.zeros(len(ids), dtype=bool), np.zeros(len(ids), dtype=np.int64)
    pos = np.searchsorted(sorted_ids, ids)
    pos = np.minimum(pos, len(sorted_ids) - 1)
    return sorted_ids[pos] == ids, pos


def reconcile(catalog: Catalog, store: VectorStore, *, dry_run: bool = False) -> ReconcileReport:
    """Delete points whose sample is gone from the catalog; count samples without vectors.

    A point is an orphan when its sample id is not in the catalog, or when the catalog
    now files that id under another dataset (ids of a deleted dataset reused by a new one).
    The store is read before the catalog, so a sample and its vector written meanwhile are
    never mistaken for an orphan. With ``dry_run`` nothing is deleted.
    """
    snapshots = {info.name: store.points(info.name) for info in store.spaces()}
    cat_ids, cat_datasets = catalog_samples(catalog)
    report = ReconcileReport(catalog_samples=len(cat_ids), dry_run=dry_run)
    for name, (ids, datasets) in snapshots.items():
        known, pos = _known(cat_ids, ids)
        same_dataset = known & (cat_datasets[pos] == datasets) if len(cat_ids) else known
        orphans = ids[~same_dataset]
        if len(orphans) and not dry_run:
            store.delete(orphans, space=name)
            log.warning("removed %d orphan vectors from space %s", len(orphans), name)
        kept = ids[same_dataset]
        missing = len(cat_ids) - int(np.isin(cat_ids, kept, assume_unique=True).sum())
        report.spaces[name] = SpaceReconcile(points=len(ids), removed=len(orphans), missing=missing)
    return report


def missing_ids(
    catalog: Catalog, store: VectorStore, space: str, dataset_id: int | None = None
) -> np.ndarray:
    """Sorted sample ids of the catalog (or of one dataset) that have no vector in ``space``."""
    have = store.ids(space, dataset_id)
    ids, _ = catalog_samples(catalog, dataset_id)
    return ids[~np.isin(ids, have, assume_unique=True)]


def delete_dataset_vectors(store: VectorStore, dataset_id: int) -> int | None:
    """Remove a deleted dataset's points from every space; call after ``Catalog.delete_dataset``.

    Returns the number of points removed, or ``None`` when the store failed: the error is
    logged, not raised, because the catalog delete has already happened and the user's
    request succeeded (:class:`~.lazy.LazyVectorStore` records the dataset and retries when
    the store next opens).
    """
    try:
        return store.delete_dataset(int(dataset_id))
    except Exception:
        log.exception("could not delete the vectors of dataset %s", dataset_id)
        return None
