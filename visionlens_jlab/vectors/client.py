"""A Qdrant server or cluster through ``qdrant-client``: for users who outgrow one machine.

One collection per vector space, named ``{prefix}{space}``; the space's model, version,
dimension and distance are kept in the collection's metadata. The prefix keeps users of
one shared cluster apart (each user's catalog numbers its samples from 1), so it defaults
to an instance id stored in the user's data directory (see :mod:`.factory`).

Every write waits for the server to apply it (``wait=True``): the store is an index of the
catalog, and an index that lags the catalog shows ghosts (Pitfall 2).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

from . import adapter_io
from .base import (
    Hit,
    SpaceInfo,
    SpaceNotFoundError,
    VectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    check_same_space,
    new_space_info,
)

BATCH = 1024
_DISTANCE = {
    "cosine": models.Distance.COSINE,
    "dot": models.Distance.DOT,
    "euclid": models.Distance.EUCLID,
}


@contextmanager
def _client_errors(what: str) -> Iterator[None]:
    """Turn transport and server errors into a :class:`VectorStoreError` with context."""
    try:
        yield
    except VectorStoreError:
        raise
    except Exception as exc:
        text = str(exc).strip() or type(exc).__name__
        raise VectorStoreError(f"{what}: {text}") from exc


def _filter(dataset_id: int | None, sample_ids: list[int] | None) -> models.Filter | None:
    must: list[Any] = []
    if dataset_id is not None:
        must.append(
            models.FieldCondition(key="dataset_id", match=models.MatchValue(value=int(dataset_id)))
        )
    if sample_ids is not None:
        must.append(models.HasIdCondition(has_id=list(sample_ids)))
    return models.Filter(must=must) if must else None


class QdrantClientVectorStore(VectorStore):
    """Vector spaces as collections of a Qdrant server, cluster, or qdrant-client local mode."""

    kind = "qdrant"

    def __init__(self, client: QdrantClient, prefix: str = "visionlens_") -> None:
        self.client = client
        self.prefix = prefix
        self._infos: dict[str, SpaceInfo] = {}
        self._closed = False
        # qdrant-client's local mode has no payload index and scans exactly (and warns
        # about both); it is for tests and small demos.
        self.is_local = type(client._client).__name__ == "QdrantLocal"
        self._load_spaces()

    @classmethod
    def connect(
        cls, url: str, api_key: str | None = None, prefix: str = "visionlens_", timeout: int = 30
    ) -> QdrantClientVectorStore:
        """Connect to a Qdrant server/cluster at ``url`` and check that it answers."""
        with _client_errors(f"cannot use the Qdrant server at {url}"):
            # The client's own version check runs in a background thread and only warns;
            # listing the collections below fails fast and clearly instead.
            client = QdrantClient(
                url=url, api_key=api_key or None, timeout=timeout, check_compatibility=False
            )
        try:
            return cls(client, prefix)
        except VectorStoreError as exc:
            client.close()
            raise VectorStoreError(
                f"cannot use the Qdrant server at {url} (check VISIONLENS_QDRANT_URL and "
                f"VISIONLENS_QDRANT_API_KEY): {exc}"
            ) from exc

    @classmethod
    def local(cls, path: str, prefix: str = "visionlens_") -> QdrantClientVectorStore:
        """qdrant-client's local mode (``path`` or ``":memory:"``): the server's API, in-process."""
        try:
            client = QdrantClient(location=path) if path == ":memory:" else QdrantClient(path=path)
        except RuntimeError as exc:
            if "already accessed" in str(exc):
                raise VectorStoreLockedError(
                    f"the vector store {path} is in use by another process"
                ) from exc
            raise
        return cls(client, prefix)

    def _collection(self, space: str) -> str:
        if self._closed:
            raise VectorStoreError("the vector store is closed")
        if space not in self._infos:
            self._load_spaces()  # another server process may have created it
            if space not in self._infos:
                raise SpaceNotFoundError(
                    f"no vector space named {space!r} (embed the dataset first)"
                )
        return self.prefix + space

    def _load_spaces(self) -> None:
        if self._closed:
            raise VectorStoreError("the vector store is closed")
        with _client_errors("listing vector spaces"):
            names = [c.name for c in self.client.get_collections().collections]
            infos = {}
            for name in names:
                if not name.startswith(self.prefix):
                    continue
                meta = self.client.get_collection(name).config.metadata or {}
                if meta.get("visionlens") != 1:
                    continue  # someone else's collection that happens to share the prefix
                info = SpaceInfo.from_json(meta["space"])
                infos[info.name] = info
        self._infos = infos

    # ---------------------------------------------------------------- spaces

    def ensure_space(
        self, model: str, version: str, dim: int, distance: str = "cosine"
    ) -> SpaceInfo:
        """Create the collection of ``(model, version)`` if missing; return its space."""
        wanted = new_space_info(model, version, dim, distance)
        if wanted.name not in self._infos:
            self._load_spaces()
        if wanted.name in self._infos:
            return check_same_space(self._infos[wanted.name], wanted)
        name = self.prefix + wanted.name
        with _client_errors(f"creating vector space {wanted.name!r}"):
            self.client.create_collection(
                name,
                vectors_config={
                    wanted.name: models.VectorParams(size=wanted.dim, distance=_DISTANCE[distance])
                },
                metadata={"visionlens": 1, "space": wanted.to_json()},
            )
            if not self.is_local:
                self.client.create_payload_index(
                    name, "dataset_id", models.PayloadSchemaType.INTEGER, wait=True
                )
        self._infos[wanted.name] = wanted
        return wanted

    def spaces(self) -> list[SpaceInfo]:
        """Every space of this prefix, sorted by name."""
        self._load_spaces()
        return [self._infos[n] for n in sorted(self._infos)]

    def drop_space(self, name: str) -> None:
        """Delete the collection of ``name``; a missing one is not an error."""
        with self._writing():
            with _client_errors(f"dropping vector space {name!r}"):
                if self.client.collection_exists(self.prefix + name):
                    self.client.delete_collection(self.prefix + name)
            self._infos.pop(name, None)

    # ---------------------------------------------------------------- writes

    def upsert(
        self,
        space: str,
        sample_ids: Sequence[int] | np.ndarray,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        dataset_ids: int | Sequence[int] | np.ndarray,
    ) -> int:
        """Insert or replace vectors in batches, each acknowledged by the server."""
        with self._writing():
            collection = self._collection(space)
            ids, matrix, datasets = adapter_io.upsert_inputs(
                self._infos[space], sample_ids, vectors, dataset_ids
            )
            for start in range(0, len(ids), BATCH):
                end = start + BATCH
                batch = models.Batch(
                    ids=ids[start:end],  # type: ignore[arg-type]
                    vectors={space: matrix[start:end].tolist()},
                    payloads=[{"dataset_id": d} for d in datasets[start:end]],
                )
                with _client_errors(f"writing vectors to {space!r}"):
                    self.client.upsert(collection, points=batch, wait=True)
            return len(ids)

    def delete(self, sample_ids: Sequence[int] | np.ndarray, space: str | None = None) -> None:
        """Delete points by sample id from one space or all."""
        with self._writing():
            ids = adapter_io.as_ids(sample_ids)
            for name in [space] if space is not None else list(self.spaces_names()):
                collection = self._collection(name)
                for start in range(0, len(ids), BATCH * 8):
                    selector = models.PointIdsList(points=ids[start : start + BATCH * 8])  # type: ignore[arg-type]
                    with _client_errors(f"deleting vectors from {name!r}"):
                        self.client.delete(collection, points_selector=selector, wait=True)

    def delete_dataset(self, dataset_id: int, space: str | None = None) -> int:
        """Delete every point of ``dataset_id`` (payload filter); returns the number removed."""
        with self._writing():
            flt = _filter(int(dataset_id), None)
            assert flt is not None
            removed = 0
            for name in [space] if space is not None else list(self.spaces_names()):
                collection = self._collection(name)
                with _client_errors(f"deleting dataset {dataset_id} from {name!r}"):
                    removed += self.client.count(collection, count_filter=flt, exact=True).count
                    self.client.delete(
                        collection, points_selector=models.FilterSelector(filter=flt), wait=True
                    )
            return removed

    def spaces_names(self) -> list[str]:
        """Names of the known spaces (refreshed from the server)."""
        return [info.name for info in self.spaces()]

    # ---------------------------------------------------------------- reads

    def search_batch(
        self,
        space: str,
        queries: Sequence[Sequence[float]] | np.ndarray,
        k: int = 10,
        *,
        dataset_id: int | None = None,
        sample_ids: Sequence[int] | np.ndarray | None = None,
        exact: bool = False,
        hnsw_ef: int | None = None,
    ) -> list[list[Hit]]:
        """Nearest neighbours of each query, best first (one request for the batch)."""
        collection = self._collection(space)
        matrix, limit, ids = adapter_io.search_inputs(self._infos[space], queries, k, sample_ids)
        if ids is not None and not ids:
            return [[] for _ in range(len(matrix))]
        flt = _filter(dataset_id, ids)
        params = (
            models.SearchParams(hnsw_ef=hnsw_ef, exact=exact)
            if not self.is_local and (exact or hnsw_ef)
            else None
        )
        requests = [
            models.QueryRequest(
                query=row,
                using=space,
                filter=flt,
                params=params,
                limit=limit,
                with_payload=False,
                with_vector=False,
            )
            for row in matrix.tolist()
        ]
        with _client_errors(f"searching {space!r}"):
            responses = self.client.query_batch_points(collection, requests=requests)
        return [[Hit(int(p.id), float(p.score)) for p in r.points] for r in responses]

    def get_vectors(
        self, space: str, sample_ids: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of those ids that have one, in the order asked."""
        collection = self._collection(space)
        ids = adapter_io.as_ids(sample_ids)
        found: dict[int, Any] = {}
        with _client_errors(f"reading vectors of {space!r}"):
            for start in range(0, len(ids), BATCH):
                records = self.client.retrieve(
                    collection,
                    ids=ids[start : start + BATCH],
                    with_payload=False,
                    with_vectors=[space],
                )
                for rec in records:
                    assert isinstance(rec.vector, dict)
                    found[int(rec.id)] = rec.vector[space]
        return adapter_io.vectors_in_asked_order(ids, found, self._infos[space].dim)

    def count(self, space: str, dataset_id: int | None = None) -> int:
        """Exact number of points (of one dataset, if given)."""
        collection = self._collection(space)
        with _client_errors(f"counting {space!r}"):
            return int(
                self.client.count(
                    collection, count_filter=_filter(dataset_id, None), exact=True
                ).count
            )

    def points(self, space: str, dataset_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(sample_ids, dataset_ids)`` of every point, sorted by sample id."""
        collection = self._collection(space)
        flt = _filter(dataset_id, None)

        def page(offset: Any) -> tuple[list[Any], Any]:
            return self.client.scroll(
                collection,
                scroll_filter=flt,
                limit=10_000,
                offset=offset,
                with_payload=["dataset_id"],
                with_vectors=False,
            )

        with _client_errors(f"listing {space!r}"):
            return adapter_io.sorted_points(adapter_io.scroll_pages(page))

    # ---------------------------------------------------------------- lifecycle

    def flush(self) -> None:
        """Nothing to do: every write already waited for the server (``wait=True``)."""

    def close(self) -> None:
        """Close the client (and, in local mode, its storage lock). Idempotent."""
        if not self._closed:
            self._closed = True
            self.client.close()
