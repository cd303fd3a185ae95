"""The vector-store interface both adapters implement, and the checks they share.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
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


def check_k(k: int) -> int:
    """``k`` as a positive int with a sane cap (a UI asking for 10^7 neighbours is a bug)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= 10_000:
        raise VectorStoreError(f"k must be an integer in 1..10000, got {k!r}")
    return int(k)
