"""The embedding-cluster attribute: k-means on the vectors of one space.

Images that look alike fail alike more often than any measured attribute says: a cluster of
the embedding space is a slice the engine can test like ``fields.scene``. The labels are
stored as the categorical computed field ``computed.embedding_cluster`` (``c0``, ``c1``...),
so the grid filters by them and the engine reads them as an image attribute; the blind-spot
finder's manifest (:mod:`.manifest`) declares the field.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from ..catalog.extensions.computed import write_computed

if TYPE_CHECKING:
    from ..catalog import Catalog
    from ..vectors.base import VectorStore

FIELD = "embedding_cluster"
COLUMN = "computed." + FIELD
DEFAULT_K = 8
MAX_ITERATIONS = 100


def kmeans(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Cluster labels (0..k-1) of the rows of ``vectors``: k-means++ seeding, then Lloyd
    iterations on the L2-normalised rows (embeddings compare by angle)."""
    x = np.asarray(vectors, dtype=np.float64)
    if x.ndim != 2 or len(x) == 0:
        raise ValueError("kmeans needs a non-empty 2-D array of vectors")
    if not 2 <= k <= len(x):
        raise ValueError(f"k must be between 2 and the number of vectors ({len(x)}), got {k}")
    x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    rng = np.random.default_rng(seed)
    centres = np.empty((k, x.shape[1]))
    centres[0] = x[rng.integers(len(x))]
    closest = ((x - centres[0]) ** 2).sum(axis=1)
    for i in range(1, k):
        total = closest.sum()
        pick = rng.choice(len(x), p=closest / total) if total > 0 else rng.integers(len(x))
        centres[i] = x[pick]
        closest = np.minimum(closest, ((x - centres[i]) ** 2).sum(axis=1))
    labels = np.full(len(x), -1)
    sq = (x**2).sum(axis=1)
    for _ in range(MAX_ITERATIONS):
        dist = sq[:, None] - 2 * x @ centres.T + (centres**2).sum(axis=1)[None, :]
        new = dist.argmin(axis=1)
        if np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            members = x[labels == c]
            # an emptied cluster restarts at the point farthest from its centre
            centres[c] = members.mean(axis=0) if len(members) else x[dist.min(axis=1).argmax()]
    return _by_size(labels, k)


def _by_size(labels: np.ndarray, k: int) -> np.ndarray:
    """Renumber clusters largest first, so labels are stable for the same data and seed."""
    counts = np.bincount(labels, minlength=k)
    order = np.lexsort((np.arange(k), -counts))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    return rank[labels]


def cluster_embeddings(
    catalog: Catalog,
    store: VectorStore,
    dataset: str,
    space: str,
    *,
    k: int = DEFAULT_K,
    seed: int = 0,
) -> dict[str, Any]:
    """Cluster the vectors ``dataset`` has in ``space`` and store the labels as
    ``computed.embedding_cluster`` (images without a vector get none); a JSON summary."""
    from ..maps.store import read_vectors

    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
    store.space(space)  # a clear error for an unknown space
    ids, vectors = read_vectors(store, space, store.ids(space, dataset_id))
    if len(ids) < k:
        from ..catalog import CatalogError

        raise CatalogError(
            f"space {space!r} has {len(ids)} vectors of dataset {dataset!r}: "
            f"too few for {k} clusters"
        )
    labels = kmeans(vectors, k, seed)
    params = json.dumps({"space": space, "k": k, "seed": seed})
    write_computed(
        catalog,
        dataset_id,
        {FIELD: (ids, [f"c{label}" for label in labels])},
        producer="blindspots",
        params=params,
    )
    sizes = np.bincount(labels, minlength=k)
    return {"field": COLUMN, "space": space, "k": k, "images": int(len(ids)),
            "sizes": {f"c{i}": int(n) for i, n in enumerate(sizes)}}  # fmt: skip
