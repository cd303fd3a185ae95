"""Vectors: a derived index of the catalog, one space per embedding model.

Embedded by default (Qdrant Edge shards in ``{data_dir}/vectors/edge``); a Qdrant
server/cluster through ``qdrant-client`` when ``VISIONLENS_QDRANT_URL`` is set. Point ids
are catalog sample ids; DuckDB stays the source of truth (see :mod:`.reconcile`).
"""

from typing import TYPE_CHECKING, Any

from .base import (
    DISTANCES,
    Hit,
    SpaceInfo,
    SpaceNotFoundError,
    VectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    VectorStoreUnavailableError,
    space_name,
)
from .edge import EdgeVectorStore
from .edge_process import EdgeProcessStore
from .factory import API_KEY_ENV, PREFIX_ENV, URL_ENV, instance_prefix, open_vector_store
from .lazy import LazyVectorStore
from .matrix_read import read_matrix
from .reconcile import (
    ReconcileReport,
    SpaceReconcile,
    catalog_samples,
    delete_dataset_vectors,
    missing_ids,
    reconcile,
)

if TYPE_CHECKING:
    from .client import QdrantClientVectorStore


def __getattr__(name: str) -> Any:
    """``QdrantClientVectorStore`` imported on first use: qdrant-client takes a second to
    import, which a process on the embedded store never needs."""
    if name == "QdrantClientVectorStore":
        from .client import QdrantClientVectorStore

        return QdrantClientVectorStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "API_KEY_ENV",
    "DISTANCES",
    "PREFIX_ENV",
    "URL_ENV",
    "EdgeProcessStore",
    "EdgeVectorStore",
    "Hit",
    "LazyVectorStore",
    "QdrantClientVectorStore",
    "ReconcileReport",
    "SpaceInfo",
    "SpaceNotFoundError",
    "SpaceReconcile",
    "VectorStore",
    "VectorStoreError",
    "VectorStoreLockedError",
    "VectorStoreUnavailableError",
    "catalog_samples",
    "delete_dataset_vectors",
    "instance_prefix",
    "missing_ids",
    "open_vector_store",
    "read_matrix",
    "reconcile",
    "space_name",
]
