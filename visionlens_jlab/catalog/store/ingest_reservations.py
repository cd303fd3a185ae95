"""What an in-flight ingest holds in the catalog: reserved id ranges and, in a process that
does nothing else meanwhile (the CLI), a lowered DuckDB memory limit.

An ingest commits its samples and annotations batch by batch, so it reserves its ids up
front (:meth:`IngestReservations.begin_ingest`) and releases them when done
(:meth:`IngestReservations.end_ingest`), whatever happened.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import duckdb

from ..base.errors import ConflictError

INGEST_MEMORY_LIMIT = "32MB"
"""DuckDB's memory limit while an ingest runs in a process with no other readers (the CLI).

DuckDB's limit is one setting of the whole database instance: lowering it for an ingest also
starves every concurrent reader (benchmarks/results/load.md), so only the CLI, which reads
nothing else while it ingests, lowers it (see ``Catalog.__init__``)."""

INGEST_FINISH_MEMORY_LIMIT = "64MB"
"""DuckDB's memory limit for the last transaction of such an ingest, which aggregates the
whole dataset (box summaries, facet parts) and fails under the streaming limit; the parser's
memory is released by then, so this keeps the CLI's peak where streaming put it."""

INGEST_FINISH_THREADS = 1
"""DuckDB's worker threads for that last transaction. Each thread of a parallel aggregate
builds its own hash table, so at two threads the box summaries of the 100K ``extra_keys``
benchmark file ran out of the 64 MB in some runs and not in others (DuckDB 2.0.1), and the
retry under the catalog's own limit put the CLI's peak at ~410 MB instead of ~290 MB
(benchmarks/results/ingest.md)."""

MEMORY_SIZE_RE = re.compile(r"^\d+(\.\d+)?\s*[KMGT]?i?B$")
"""A DuckDB size string, e.g. ``64MB``: the only text ever put into ``SET memory_limit``."""

ID_SPAN = 1 << 32
"""Sample and annotation ids one in-flight ingest may use from its bases. Ids reach the
browser as JSON numbers; they stay far below 2**53 because a base only moves past another
ingest's span while the two overlap in time."""


@dataclass(frozen=True)
class IngestIds:
    """The ids reserved for one in-flight ingest (see :meth:`Catalog.begin_ingest`)."""

    name: str
    dataset_id: int
    sample_base: int  # sample_id = sample_base + sample_index
    ann_base: int  # ann_id = ann_base + position of the box in the source


class IngestReservations:
    """The ingest side of :class:`~.catalog.Catalog`: id reservations and memory limits."""

    _con: duckdb.DuckDBPyConnection
    _write_lock: threading.Lock

    def _init_ingests(self, ingest_memory_limit: str | None) -> None:
        self._ingests: dict[int, IngestIds] = {}  # in-flight ingests; guarded by _write_lock
        self._ingest_memory_limit = ingest_memory_limit
        self.ingests_alone = ingest_memory_limit is not None
        """Whether this process does nothing else while it ingests (the CLI): the dataset
        writer may then hold the write lock while the parser works."""
        self._memory_limit: str | None = None  # the limit to restore after the last ingest
        self._threads: int | None = None  # the thread count to restore after the last ingest
        self.own_memory_limit: str | None = None
        """The catalog's ``memory_limit`` (None: DuckDB's default)."""

    def begin_ingest(self, cur: duckdb.DuckDBPyConnection, name: str) -> IngestIds:
        """Reserve a dataset id and id ranges for an ingest of ``name``; inside :meth:`write`.

        The ingest commits its samples and annotations batch by batch, so other writers see
        them while it runs: ids come from the committed maxima *and* the ranges of ingests
        still in flight, each of which may use ``ID_SPAN`` sample and annotation ids from its
        base. A crashed ingest's rows stay committed (hence counted by the maxima) until
        :meth:`Catalog._remove_orphans` or :meth:`end_ingest`'s cleanup removes them, so its
        ids are never handed out twice. Call :meth:`end_ingest` when done, whatever happened.
        """
        if any(r.name == name for r in self._ingests.values()):
            raise ConflictError(f"a dataset named {name!r} is being ingested right now")
        row = cur.execute(
            f"""
            SELECT GREATEST((SELECT MAX(dataset_id) FROM datasets),
                            (SELECT MAX(dataset_id) FROM samples),
                            (SELECT MAX(dataset_id) FROM annotations)),
                   {_TOP_SAMPLE_ID}, {_TOP_ANN_ID}
            """  # noqa: S608 - fixed SQL
        ).fetchall()[0]
        flight = list(self._ingests.values())
        ids = IngestIds(
            name=name,
            dataset_id=max([row[0] or 0, *(r.dataset_id for r in flight)]) + 1,
            sample_base=max([(row[1] or 0) + 1, *(r.sample_base + ID_SPAN for r in flight)]),
            ann_base=max([(row[2] or 0) + 1, *(r.ann_base + ID_SPAN for r in flight)]),
        )
        if not self._ingests and self._ingest_memory_limit is not None:
            self._memory_limit = str(
                cur.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]
            )
            self._threads = int(cur.execute("SELECT current_setting('threads')").fetchall()[0][0])
            self._set_memory_limit(self._ingest_memory_limit)
        self._ingests[ids.dataset_id] = ids
        return ids

    def lift_ingest_memory_limit(self, *, to_default: bool = False) -> None:
        """Raise the streaming limit for the rest of an ingest: its last transaction
        summarises the whole dataset (box summaries, facet parts), which the streaming limit
        cannot hold. :data:`INGEST_FINISH_MEMORY_LIMIT` on :data:`INGEST_FINISH_THREADS`, or
        with ``to_default`` the catalog's own limit and threads (for a dataset too big to
        summarise within that); :meth:`end_ingest` restores the catalog's own as before."""
        with self._write_lock:
            if self._memory_limit is not None and self._threads is not None:
                self._set_memory_limit(
                    self._memory_limit if to_default else INGEST_FINISH_MEMORY_LIMIT
                )
                self._set_threads(self._threads if to_default else INGEST_FINISH_THREADS)

    def end_ingest(self, ids: IngestIds) -> None:
        """Release the reservation made by :meth:`begin_ingest`."""
        with self._write_lock:
            self._ingests.pop(ids.dataset_id, None)
            if not self._ingests and self._memory_limit is not None:
                self._set_memory_limit(self._memory_limit)
                self._memory_limit = None
            if not self._ingests and self._threads is not None:
                self._set_threads(self._threads)
                self._threads = None

    def release_freed_memory(self) -> None:
        """Hand the memory DuckDB's allocator keeps from freed query results back to the
        system (after a large read: 150 MB of RSS after reading 1.5M evaluated objects).

        Setting the memory limit makes DuckDB flush its allocator; it is set to the
        catalog's own limit (or reset to DuckDB's default), which is in force already, so
        nothing else changes. Skipped while a writer holds the write lock or an ingest's
        lowered limit is in force: it only returns memory."""
        if not self._write_lock.acquire(blocking=False):
            return
        try:
            if self._memory_limit is not None:  # an ingest lowered the limit
                return
            if self.own_memory_limit is not None:
                self._set_memory_limit(self.own_memory_limit)
                return
            self._execute("RESET memory_limit")
        finally:
            self._write_lock.release()

    def _set_memory_limit(self, limit: str) -> None:
        # DuckDB's buffer pool keeps every appended block cached up to the limit; a small
        # limit while a CLI ingest runs makes it evict checkpointed blocks, which bounds the
        # ingest's memory (benchmarks/results/ingest.md). It is global to the instance, hence
        # never lowered in the server, where concurrent readers would run out of memory.
        if MEMORY_SIZE_RE.match(limit):  # a DuckDB size string: never untrusted text
            self._execute(f"SET memory_limit = '{limit}'")

    def _set_threads(self, threads: int) -> None:
        self._execute(f"SET threads = {int(threads)}")

    def _execute(self, statement: str) -> None:
        cur = self._con.cursor()  # own cursor: the shared connection is not thread-safe
        try:
            cur.execute(statement)
        finally:
            cur.close()

    def next_annotation_id(self, cur: duckdb.DuckDBPyConnection) -> int:
        """The first free annotation id for a one-transaction writer; inside :meth:`write`.
        Past every id an undo may bring back (:func:`retire_ids`, the edit log's objects)."""
        top = cur.execute(f"SELECT {_TOP_ANN_ID}").fetchall()[0][0]
        return max([(top or 0) + 1, *(r.ann_base + ID_SPAN for r in self._ingests.values())])


RETIRED_SAMPLE_ID, RETIRED_ANN_ID = "retired_sample_id", "retired_ann_id"
"""``meta`` keys: the highest sample and object ids a write took away that an undo may
bring back (:func:`retire_ids`)."""
_TOP_SAMPLE_ID = """GREATEST((SELECT MAX(sample_id) FROM samples),
    (SELECT MAX(TRY_CAST(value AS BIGINT)) FROM meta WHERE key = 'retired_sample_id'))"""
_TOP_ANN_ID = """GREATEST((SELECT MAX(ann_id) FROM annotations),
    (SELECT MAX(ann_id) FROM edit_ops),
    (SELECT MAX(TRY_CAST(value AS BIGINT)) FROM meta WHERE key = 'retired_ann_id'))"""
"""The highest id in use or retired: new ids start above it, so a deleted object or sample
that an undo puts back never meets another with its id (the edit log's objects, deleted or
not, keep theirs; a sample delete keeps its rows apart and retires their ids)."""


def retire_ids(cur: duckdb.DuckDBPyConnection, sample_id: int | None, ann_id: int | None) -> None:
    """Inside a write that takes samples (``sample_id``: the highest of them) and objects
    (``ann_id``) away while keeping them for an undo: no later id is handed out at or
    below them."""
    for key, value in ((RETIRED_SAMPLE_ID, sample_id), (RETIRED_ANN_ID, ann_id)):
        if value is None:
            continue
        row = cur.execute("SELECT MAX(TRY_CAST(value AS BIGINT)) FROM meta WHERE key = ?",
                          [key]).fetchall()  # fmt: skip
        top = max(int(value), int(row[0][0] or 0))
        cur.execute("DELETE FROM meta WHERE key = ?", [key])
        cur.execute("INSERT INTO meta VALUES (?, ?)", [key, str(top)])
