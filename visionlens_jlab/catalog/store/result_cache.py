"""A bounded cache of read answers (samples pages, counts, facets), keyed by the compiled
query and the catalog's write version.

Every write of the catalog goes through :meth:`~.catalog.Catalog.write`, which bumps
the version of the dataset it changed (:meth:`~.catalog.Catalog.version_of`) after it
commits, or of every dataset when the write did not name its one dataset (tags, ingests,
predictions, evaluations, computed and plugin fields, maps, embeddings: all of them). A
reader takes its dataset's version *before* its first statement on the dataset's rows and
stores its answer under it; a lookup only accepts an entry of the current version. So a
write to one dataset keeps the answers of the others. So an answer computed from a snapshot older than the
newest write is never served again, and a write is visible in the very next request.

Keys are built from the compiled SQL and its bound parameters (not from the request's
JSON), so two requests share an entry exactly when they run the same query. Answers are
stored as JSON bytes and decoded on every hit: the caller owns what it gets (handlers add
keys to it), the size counted against the bound is the real size, and a hit costs a decode
(well under a millisecond for a page of 60 samples or a facets answer).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson

from .labels_position import labels_position

if TYPE_CHECKING:  # the key reads a compiled filter; the cache itself never compiles one
    from ..query.filters import CompiledFilter

Version = int | tuple[int, ...]
"""A write version answers are stored under (:meth:`~.catalog.Catalog.version_of`)."""


def filter_key(kind: str, dataset_id: int, flt: CompiledFilter, *extra: Any) -> tuple[Any, ...]:
    """The cache key of a query of ``kind`` over the samples ``flt`` selects, with the
    labels read (:func:`~.labels_position.labels_position`: a version's, or None)."""
    return (kind, dataset_id, flt.where, params_key(flt.params), labels_position(), *extra)


def same_filter(key: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """The key of a query of ``kind`` over the filter of ``key`` (a :func:`filter_key`
    without extra parts), its parameters not serialized again (100K ids: 0.5 ms)."""
    return (kind, *key[1:])


def params_key(params: list[Any]) -> bytes:
    """Bound parameters as bytes that are equal exactly when the parameters are."""
    try:
        return orjson.dumps(params)
    except TypeError:  # not JSON (an integer past 64 bits...): its exact repr
        return repr(params).encode()


def _key_bytes(key: tuple[Any, ...]) -> int:
    return sum(len(part) if isinstance(part, str | bytes) else 8 for part in key)


class ResultCache:
    """Least-recently-used answers up to ``max_bytes`` (keys and JSON bytes); 0 disables it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._entries: OrderedDict[tuple[Any, ...], tuple[Version, bytes, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[Any, ...], version: Version) -> Any | None:
        """The answer stored under ``key`` at write version ``version``, or None."""
        if not self.max_bytes:
            return None
        # prometheus_client (~20 ms of imports) once a lookup happens: a command that asks
        # no cache (``visionlens evaluate``) never imports it
        from ...metrics import cache_lookup

        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                if entry is not None:  # written since: it can never be served again
                    self._drop(key)
                self.misses += 1
                cache_lookup("answers", hit=False)
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            data = entry[1]
        cache_lookup("answers", hit=True)
        return orjson.loads(data)

    def put(self, key: tuple[Any, ...], version: Version, value: Any) -> None:
        """Store ``value`` (JSON-serializable) as the answer at write version ``version``."""
        if not self.max_bytes:
            return
        try:
            data = orjson.dumps(value)
        except TypeError:  # not plain JSON (never expected): just do not cache it
            return
        size = len(data) + _key_bytes(key)
        if size > self.max_bytes // 4:  # one answer may not push out most of the others
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = (version, data, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._bytes -= self._entries.pop(key)[2]

    def clear(self) -> None:
        """Forget every answer."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> dict[str, int]:
        """Entries, bytes held, the bound, hits and misses (for logs and benchmarks)."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._bytes,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }
