"""The server's in-memory copy of a dataset's vectors per space, for exact search in numpy.

Reading a query's vector back out of Qdrant Edge and scanning the shard cost most of a
search (``benchmarks/results/search.md``); one float32 matrix per (space, dataset) makes
the ``like`` lookup an array index and an exact top-k one matrix-vector product (memory
bound: 100K x 512 is 200 MB, scanned in ~5 ms on the 2-core benchmark machine), or, with
numba installed, an int8 first pass over a quarter of the bytes and an exact float32
re-rank of the rows its error bound keeps (:mod:`.quantized`). File names of the hits come
from the matrix too.

The matrix is read lazily, on the first search of a dataset in a space, and is dropped
when the store has been written since (:meth:`VectorStore.generation` changes on every
upsert, delete, drop or index swap). Only the embedded Edge store is cached: its files
are held by this process alone, so no write can bypass the generation; a Qdrant server
may be written by other clients. The least recently used matrices go first when the
total would pass ``max_bytes``; a matrix larger than that is not cached at all (search
falls back to the store).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..metrics import cache_lookup
from ..vectors import Hit, SpaceInfo, VectorStore
from .quantized import QUANTIZED_MIN_ROWS, Int8Rows
from .spaces import read_vectors

GATHER_MAX_SHARE = 0.1
"""Below this share of the rows a filtered search multiplies just the matching rows;
above it, scanning the whole matrix and picking the rows is cheaper than the gather copy
(100K x 512: 12 against 64 ms at a 50 % filter on the benchmark machine)."""


@dataclass(eq=False)
class DatasetMatrix:
    """The vectors of one dataset in one space: ``ids`` sorted, row ``i`` is ``ids[i]``.

    ``file_names`` (row ``i``: the file name of ``ids[i]``) is filled by the first search
    that needs it (:meth:`names_of`): a sample's file name never changes while it exists,
    and the samples of a deleted or re-ingested dataset lose their vectors, which drops
    the matrix with its names. It saves the catalog query per request.
    """

    ids: np.ndarray
    matrix: np.ndarray
    distance: str
    sq_norms: np.ndarray | None  # euclid only
    file_names: pa.Array | None = None
    quantized: Int8Rows | None = None  # cosine and dot: the int8 first pass
    quantize: bool = False
    """Whether the first search builds :attr:`quantized` (:meth:`int8_pass`)."""
    _building: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def nbytes(self) -> int:
        """Memory held (matrix, ids, norms and file names once read; the int8 codes once
        built, or as soon as they are planned, so that the cache's budget holds them)."""
        extra = 0 if self.sq_norms is None else self.sq_norms.nbytes
        extra += 0 if self.file_names is None else self.file_names.nbytes
        extra += 0 if self.quantized is None else self.quantized.nbytes
        extra += self.matrix.size if self.quantize else 0
        return int(self.matrix.nbytes + self.ids.nbytes + extra)

    def int8_pass(self) -> Int8Rows | None:
        """The int8 first pass, built by the first search that can use it: a selection, a
        map or a duplicates job reading the cached matrix never pays for it (1M x 512:
        seconds of the first selection through the server)."""
        if self.quantize:
            with self._building:  # two first searches build it once
                if self.quantize:
                    self.quantized = Int8Rows.build(self.matrix)  # None: no kernel
                    self.quantize = False
        return self.quantized

    def rows_of(self, sample_ids: np.ndarray) -> np.ndarray:
        """Rows of those ``sample_ids`` that have a vector (any order in, sorted ids)."""
        if len(self.ids) == 0:
            return np.empty(0, dtype=np.int64)
        pos = np.searchsorted(self.ids, sample_ids)
        pos = np.minimum(pos, len(self.ids) - 1)
        return pos[self.ids[pos] == sample_ids]

    def names_of(
        self, sample_ids: list[int], read: Callable[[], tuple[np.ndarray, pa.Array]]
    ) -> dict[int, str | None]:
        """File names of ``sample_ids`` (rows of this matrix); ``read`` gives every sample's
        ``(ids sorted, names)`` from the catalog, called once per matrix."""
        if self.file_names is None:
            cat_ids, cat_names = read()
            if len(cat_ids) == 0:
                cat_ids, cat_names = np.zeros(1, np.int64) - 1, pa.array([None], pa.string())
            pos = np.minimum(np.searchsorted(cat_ids, self.ids), len(cat_ids) - 1)
            # a row whose sample is not in the catalog (drift) gets a null name
            self.file_names = cat_names.take(pa.array(pos, mask=cat_ids[pos] != self.ids))
        rows = self.rows_of(np.asarray(sample_ids, dtype=np.int64))
        names = self.file_names.take(pa.array(rows)).to_pylist()
        return dict(zip(self.ids[rows].tolist(), names, strict=True))

    def vector(self, sample_id: int) -> np.ndarray | None:
        """The stored vector of ``sample_id``, or None if it has none."""
        rows = self.rows_of(np.array([sample_id], dtype=np.int64))
        return self.matrix[rows[0]].copy() if len(rows) else None

    def top_k(self, query: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[Hit]:
        """The exact ``k`` best of all rows (or of ``rows``, sorted), scored as Qdrant does:
        cosine and dot by similarity (a cosine query normalized first), euclid by distance
        ascending."""
        q = np.asarray(query, dtype=np.float32)
        if self.distance == "cosine":
            norm = float(np.linalg.norm(q))
            q = q / norm if norm > 0 else q
        gather = rows is not None and len(rows) <= GATHER_MAX_SHARE * len(self.ids)
        quantized = None if gather else self.int8_pass()
        if quantized is not None:
            # the int8 pass keeps the rows that can be in the top k; re-scored exactly
            kept = quantized.candidates(q, k, rows)
            if kept is not None:
                rows, gather = kept, True
        if gather:
            assert rows is not None
            dots = self.matrix[rows] @ q
        else:
            dots = self.matrix @ q
            if rows is not None:
                dots = dots[rows]
        if self.distance == "euclid":
            assert self.sq_norms is not None
            sq = self.sq_norms if rows is None else self.sq_norms[rows]
            keys = np.sqrt(np.maximum(sq - 2 * dots + float(q @ q), 0))
        else:
            keys = -dots
        n = len(keys)
        if n == 0:
            return []
        best = np.argpartition(keys, k - 1)[:k] if k < n else np.arange(n)
        best = best[np.argsort(keys[best], kind="stable")]
        picked = best if rows is None else rows[best]
        scores = keys[best] if self.distance == "euclid" else -keys[best]
        return [
            Hit(int(i), float(s))
            for i, s in zip(self.ids[picked].tolist(), scores.tolist(), strict=True)
        ]


class VectorMatrixCache:
    """Per (space, dataset) float32 matrices of an Edge store, at most ``max_bytes`` in all."""

    def __init__(self, max_bytes: int, quantize_min_rows: int = QUANTIZED_MIN_ROWS) -> None:
        """``quantize_min_rows``: cosine and dot matrices of at least this many rows get an
        int8 first pass (:mod:`.quantized`) when numba is installed."""
        self.max_bytes = int(max_bytes)
        self.quantize_min_rows = quantize_min_rows
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, int], tuple[int, DatasetMatrix]] = OrderedDict()
        self._counts: dict[tuple[str, int], tuple[int, int]] = {}

    @property
    def nbytes(self) -> int:
        """Memory held by the cached matrices now."""
        with self._lock:
            return sum(m.nbytes for _, m in self._entries.values())

    def count(self, store: VectorStore, space: str, dataset_id: int) -> int:
        """``store.count(space, dataset_id)``, remembered until the store is written."""
        key, gen = (space, dataset_id), store.generation()
        with self._lock:
            hit = self._counts.get(key)
        if hit is not None and hit[0] == gen:
            return hit[1]
        n = store.count(space, dataset_id)
        with self._lock:
            self._counts[key] = (gen, n)
        return n

    def get(
        self, store: VectorStore, space: SpaceInfo, dataset_id: int, n_points: int
    ) -> DatasetMatrix | None:
        """The dataset's matrix in ``space``, read now if missing or stale; None when the
        store is not an Edge store or the matrix (``n_points`` rows) would not fit."""
        quantize = space.distance != "euclid" and n_points >= self.quantize_min_rows
        need = n_points * space.dim * (5 if quantize else 4)  # float32 (+ int8 codes)
        if store.kind != "edge" or need > self.max_bytes:
            return None
        key = (space.name, dataset_id)
        with self._lock:  # one reader at a time: two requests never read the same matrix twice
            gen = store.generation()
            entry = self._entries.get(key)
            cache_lookup("vector_matrices", entry is not None and entry[0] == gen)
            if entry is not None and entry[0] == gen:
                self._entries.move_to_end(key)
                return entry[1]
            self._entries.pop(key, None)
            self._evict(self.max_bytes - need)
            ids, matrix = read_vectors(store, space, dataset_id)
            sq = np.einsum("ij,ij->i", matrix, matrix) if space.distance == "euclid" else None
            quantize = quantize and len(ids) >= self.quantize_min_rows
            found = DatasetMatrix(ids, matrix, space.distance, sq, quantize=quantize)
            self._entries[key] = (gen, found)  # the generation from before the read
            self._evict(self.max_bytes)
            return self._entries.get(key, (gen, None))[1]

    def clear(self) -> None:
        """Drop every matrix (the store is closing)."""
        with self._lock:
            self._entries.clear()
            self._counts.clear()

    def _evict(self, budget: int) -> None:
        """Drop least recently used matrices until the rest hold at most ``budget`` bytes."""
        total = sum(m.nbytes for _, m in self._entries.values())
        while self._entries and total > budget:
            _, (_, dropped) = self._entries.popitem(last=False)
            total -= dropped.nbytes
