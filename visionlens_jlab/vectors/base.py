"""The vector-store interface both adapters implement, and their spaces' metadata (the
checks of their inputs are :mod:`.adapter_io`'s).

The store is a derived index of the catalog: a point's id is the catalog's global
``sample_id`` and its only payload is ``dataset_id`` (so one dataset can be searched or
deleted by filter). Everything else about a sample lives in DuckDB.

Each embedding model gets its own *vector space* (an Edge shard, or a Qdrant collection),
named from the model name and version, with the dimension and distance read from the
vectors the model produced. Nothing here knows a dimension in advance, so a second model
with another dimension lives beside the first and either can be dropped alone.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple, TypeVar

import numpy as np

DISTANCES = ("cosine", "dot", "euclid")
"""Distances a space may use. Cosine vectors are stored normalized (Qdrant does that)."""

METADATA_VERSION = 1

StoreT = TypeVar("StoreT", bound="VectorStore")

_GENERATIONS = itertools.count(1)
"""Process-wide: a store's generation is never reused by another store or a later write."""


class VectorStoreError(Exception):
    """A vector-store operation that cannot be done, with a message meant for the user."""


class VectorStoreUnavailableError(VectorStoreError):
    """The vector store cannot be opened now (a server out of reach, a store held elsewhere)."""


class VectorStoreLockedError(VectorStoreUnavailableError):
    """Another process holds the embedded vector store."""


class SpaceNotFoundError(VectorStoreError):
    """No vector space of that name."""


class Hit(NamedTuple):
    """One search result: the catalog sample id and its score (similarity, or distance for euclid)."""

    sample_id: int
    score: float


@dataclass(frozen=True)
class SpaceInfo:
    """What a vector space holds: which model (and version) made the vectors, and their shape."""

    name: str
    model: str
    version: str
    dim: int
    distance: str
    created_at: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (also what is persisted next to the vectors)."""
        return {**asdict(self), "metadata_version": METADATA_VERSION}

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> SpaceInfo:
        """Read the persisted form back; unknown keys are ignored (newer writers)."""
        return cls(
            name=str(obj["name"]),
            model=str(obj["model"]),
            version=str(obj["version"]),
            dim=int(obj["dim"]),
            distance=str(obj["distance"]),
            created_at=str(obj["created_at"]),
        )


_SLUG_RE = re.compile(r"[^a-z0-9]+")


def space_name(model: str, version: str) -> str:
    """The space name of a model: a readable slug plus a hash of the exact (model, version).

    The slug alone could collide (``ViT-B/32`` and ``vit_b_32`` slug alike); the hash keeps
    them apart. The result is safe as a directory name and as a Qdrant collection name.
    """
    if not isinstance(model, str) or not model.strip():
        raise VectorStoreError("an embedding model name is required (e.g. 'ViT-B-32')")
    if not isinstance(version, str):
        raise VectorStoreError("the model version must be a string (e.g. 'laion2b_s34b_b79k')")
    slug = _SLUG_RE.sub("-", f"{model}-{version}".lower()).strip("-")[:48].strip("-")
    digest = hashlib.sha1(f"{model}\0{version}".encode()).hexdigest()[:8]
    return f"{slug or 'model'}-{digest}"


def new_space_info(model: str, version: str, dim: int, distance: str) -> SpaceInfo:
    """Validate a space definition and stamp it with its name and creation time."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or not 1 <= dim <= 65536:
        raise VectorStoreError(f"vector dimension must be an integer in 1..65536, got {dim!r}")
    if distance not in DISTANCES:
        raise VectorStoreError(f"unknown distance {distance!r}: use one of {', '.join(DISTANCES)}")
    return SpaceInfo(
        name=space_name(model, version),
        model=model,
        version=version,
        dim=int(dim),
        distance=distance,
        created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
    )


def check_same_space(existing: SpaceInfo, wanted: SpaceInfo) -> SpaceInfo:
    """Return ``existing`` if ``wanted`` describes the same vectors, else explain the clash."""
    if (existing.dim, existing.distance) != (wanted.dim, wanted.distance):
        raise VectorStoreError(
            f"the vector space {existing.name!r} of {existing.model} {existing.version!r} holds "
            f"{existing.dim}-d {existing.distance} vectors, not {wanted.dim}-d {wanted.distance}: "
            "give the model a different version string, or drop the space and embed again"
        )
    return existing


class VectorStore(ABC):
    """A vector index keyed by catalog sample id, one space per embedding model.

    Writes are durable when the call returns (the Edge WAL / Qdrant ``wait=True``).
    Nothing here is the source of truth: :func:`visionlens_jlab.vectors.reconcile` repairs
    drift from the catalog.
    """

    kind: str = ""
    """``"edge"`` (embedded) or ``"qdrant"`` (qdrant-client: server, cluster or local mode)."""

    _generation: int | None = None

    write_failed: bool = False
    """Whether a write through this store raised: it may then hold points the catalog does
    not (a failed delete after a commit), so its state cannot be stamped as in step."""

    def generation(self) -> int:
        """A number that changes after every write through this store (upsert, delete, drop,
        index swap) and differs between stores: what a cache of vectors read out of the
        store compares against. Only the server process writes, so it sees every write."""
        if self._generation is None:
            self._generation = next(_GENERATIONS)
        return self._generation

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Wraps every write of the adapters: a new generation before it (a read that starts
        meanwhile is already stale) and after it, even when it fails half-way (then
        :attr:`write_failed`)."""
        self._generation = next(_GENERATIONS)
        try:
            yield
        except BaseException:
            self.write_failed = True
            raise
        finally:
            self._generation = next(_GENERATIONS)

    # ---------------------------------------------------------------- spaces

    @abstractmethod
    def ensure_space(
        self, model: str, version: str, dim: int, distance: str = "cosine"
    ) -> SpaceInfo:
        """Create the space of ``(model, version)`` if missing; return it (idempotent).

        Raises :class:`VectorStoreError` when it exists with another dimension or distance.
        """

    @abstractmethod
    def spaces(self) -> list[SpaceInfo]:
        """Every vector space, sorted by name."""

    def space(self, name: str) -> SpaceInfo:
        """The space called ``name``, or :class:`SpaceNotFoundError`."""
        for info in self.spaces():
            if info.name == name:
                return info
        raise SpaceNotFoundError(f"no vector space named {name!r} (embed the dataset first)")

    @abstractmethod
    def drop_space(self, name: str) -> None:
        """Delete a space and all its vectors; a missing space is not an error."""

    # ---------------------------------------------------------------- writes

    @abstractmethod
    def upsert(
        self,
        space: str,
        sample_ids: Sequence[int] | np.ndarray,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        dataset_ids: int | Sequence[int] | np.ndarray,
    ) -> int:
        """Insert or replace the vectors of ``sample_ids``; returns the number written."""

    @abstractmethod
    def delete(self, sample_ids: Sequence[int] | np.ndarray, space: str | None = None) -> None:
        """Delete points by sample id, from one space or (``None``) from every space."""

    @abstractmethod
    def delete_dataset(self, dataset_id: int, space: str | None = None) -> int:
        """Delete every point of a dataset; returns how many points were removed."""

    def optimize(self, space: str) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Build the search index now (Edge); servers index in the background by themselves."""

    # ---------------------------------------------------------------- reads

    @abstractmethod
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
        """The ``k`` nearest points of each query, best first.

        ``dataset_id`` restricts to one dataset, ``sample_ids`` to a given set (e.g. the
        ids of a catalog filter); ``exact`` scans every vector instead of using the index.
        """

    def search(
        self,
        space: str,
        query: Sequence[float] | np.ndarray,
        k: int = 10,
        *,
        dataset_id: int | None = None,
        sample_ids: Sequence[int] | np.ndarray | None = None,
        exact: bool = False,
        hnsw_ef: int | None = None,
    ) -> list[Hit]:
        """The ``k`` nearest points of one query vector, best first (see :meth:`search_batch`)."""
        q = np.asarray(query, dtype=np.float32)
        if q.ndim != 1:
            raise VectorStoreError(f"search: one query vector expected, got shape {q.shape}")
        return self.search_batch(
            space,
            q.reshape(1, -1),
            k,
            dataset_id=dataset_id,
            sample_ids=sample_ids,
            exact=exact,
            hnsw_ef=hnsw_ef,
        )[0]

    @abstractmethod
    def get_vectors(
        self, space: str, sample_ids: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, vectors)`` of those sample ids that have a vector, in the order asked.

        Cosine spaces return the stored, normalized vectors.
        """

    @abstractmethod
    def count(self, space: str, dataset_id: int | None = None) -> int:
        """Number of points in a space (optionally of one dataset)."""

    @abstractmethod
    def points(self, space: str, dataset_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(sample_ids, dataset_ids)`` of every point, sorted by sample id (for reconcile)."""

    def ids(self, space: str, dataset_id: int | None = None) -> np.ndarray:
        """Sorted int64 sample ids of every point in a space (optionally of one dataset)."""
        return self.points(space, dataset_id)[0]

    # ---------------------------------------------------------------- lifecycle

    @abstractmethod
    def flush(self) -> None:
        """Persist everything written so far."""

    @abstractmethod
    def close(self) -> None:
        """Flush and release the store (files, locks, connections). Idempotent."""

    def __enter__(self: StoreT) -> StoreT:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
