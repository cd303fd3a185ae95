"""The token that labels a dataset's rows for the in-memory indexes, and the per-catalog
cache of what is built from them.

``facet_parts`` part ``index`` holds a token for a dataset's rows:
:func:`~.facet_parts.write_parts`, which every writer that changes samples or boxes while
keeping the derived tables calls, stores a new one (:func:`new_token`); every other write
deletes the derived rows, the token with them. An in-memory index (the box index, the
field columns, the evaluation index) is labelled with the token it was built under, and is
used only while the token read in a request's own statements is the same.
:class:`TokenCache` is that rule once: find the object of the current token, or build it
(one build at a time per catalog), creating a token first when there is none.

Part ``tags_token`` labels the tag lists (:mod:`.tag_lists`): the tag writer renews it
in its transaction (:func:`.facet_parts.write_tags_part`); every write that drops the
derived rows drops it with the index token. A request reads both tokens in one
statement, once (:mod:`.request_reads`).
"""

from __future__ import annotations

import threading
import uuid
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

import duckdb

from .catalog import Catalog
from .request_reads import forget, read_once

INDEX_PART = "index"
"""The ``facet_parts`` part holding the token of the rows the indexes were built from."""
TAGS_PART = "tags_token"
"""The ``facet_parts`` part holding the token of the dataset's tag lists."""

T = TypeVar("T")


def new_token(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> None:
    """Store a new index token for the dataset; call inside a write that changed (or may
    have changed) its samples or boxes and keeps the derived tables."""
    cur.execute(
        "DELETE FROM facet_parts WHERE dataset_id = ? AND part = ?", [dataset_id, INDEX_PART]
    )
    cur.execute(
        "INSERT INTO facet_parts VALUES (?, ?, ?)", [dataset_id, INDEX_PART, new_token_text()]
    )


@contextmanager
def token_snapshot(
    catalog: Catalog, dataset_id: int
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str | None]]:
    """A read transaction and the dataset's token in it: what a build reads there is
    never older than the token it labels (rolled back after)."""
    with catalog.cursor() as cur:
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur, index_token(cur, dataset_id)
        finally:
            cur.execute("ROLLBACK")


def new_token_text() -> str:
    """A new token as stored in ``facet_parts`` (a JSON string)."""
    return f'"{uuid.uuid4().hex}"'


def row_tokens(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> tuple[str | None, str | None]:
    """The dataset's index and tags tokens, read together (one snapshot) by ``cur``; once
    per request inside :func:`.request_reads.reads_once` (None: no such token)."""

    def read() -> tuple[str | None, str | None]:
        rows = cur.execute(
            "SELECT part, entries FROM facet_parts WHERE dataset_id = ? AND part IN (?, ?)",
            [dataset_id, INDEX_PART, TAGS_PART],
        ).fetchall()
        found = {part: str(entries) for part, entries in rows}
        return found.get(INDEX_PART), found.get(TAGS_PART)

    return read_once(cur, ("row_tokens", dataset_id), read)


def index_token(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> str | None:
    """The dataset's index token as ``cur`` reads it now (None: no token)."""
    return row_tokens(cur, dataset_id)[0]


class TokenCache(Generic[T]):
    """Per catalog, the last ``kept`` datasets' objects, each labelled by a token."""

    def __init__(self, kept: int, token_of: Callable[[T], str]) -> None:
        self._kept = kept
        self._token_of = token_of
        self._held: weakref.WeakKeyDictionary[Catalog, tuple[threading.Lock, dict[int, T]]]
        self._held = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def _holder(self, catalog: Catalog) -> tuple[threading.Lock, dict[int, T]]:
        with self._lock:
            return self._held.setdefault(catalog, (threading.Lock(), {}))

    def get(
        self,
        catalog: Catalog,
        cur: duckdb.DuckDBPyConnection,
        dataset_id: int,
        build: Callable[[Catalog, int], T | None],
    ) -> T | None:
        """The object for the rows ``cur`` reads now: the held one if its token is the
        current one, else ``build(catalog, dataset_id)`` (which reads its token and rows in
        one snapshot), a token created first if there is none; None on a read-only catalog
        without a token, or when a write moved the token during the build."""
        # prometheus_client (~20 ms of imports) once a lookup happens: a command that asks
        # no cache (``visionlens evaluate``) never imports it
        from ...metrics import cache_lookup

        token = index_token(cur, dataset_id)
        lock, held = self._holder(catalog)
        with lock:  # one build at a time; readers of a built object wait microseconds
            found = held.get(dataset_id)
            hit = found is not None and token is not None and self._token_of(found) == token
            cache_lookup("indexes", hit)
            if hit:
                return found
            if token is None:
                if catalog.read_only:
                    return None
                with catalog.write_derived(dataset_id) as wcur:
                    new_token(wcur, dataset_id)
                forget(cur, ("row_tokens", dataset_id))  # the request reads the new one
            built = build(catalog, dataset_id)
            if built is None:
                return None
            held.pop(dataset_id, None)
            held[dataset_id] = built
            while len(held) > self._kept:
                held.pop(next(iter(held)))
            return built if token is None or self._token_of(built) == token else None

    def held(self, catalog: Catalog, dataset_id: int) -> T | None:
        """The object held for a dataset, current or not."""
        lock, held = self._holder(catalog)
        with lock:
            return held.get(dataset_id)

    def swap(
        self, catalog: Catalog, dataset_id: int, before: str | None, patch: Callable[[T], T | None]
    ) -> bool:
        """After a committed write that moved the token from ``before``: replace the held
        object by ``patch(held)`` if it carries ``before`` (dropped when the patch is None),
        keep it if it carries another token; True when a patched object is held."""
        lock, held = self._holder(catalog)
        with lock:
            found = held.get(dataset_id)
            if found is None or before is None or self._token_of(found) != before:
                return False
            patched = patch(found)
            if patched is None:
                del held[dataset_id]
                return False
            held[dataset_id] = patched
            return True

    def datasets(self, catalog: Catalog) -> set[int]:
        """The datasets an object is held for."""
        lock, held = self._holder(catalog)
        with lock:
            return set(held)
