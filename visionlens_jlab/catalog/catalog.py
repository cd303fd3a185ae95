"""The catalog: one DuckDB connection per process, a cursor per reader, one serialized writer.

DuckDB allows one writing process per database file. The Jupyter server owns the file while
it runs; the CLI opens it only when no server holds it (see :mod:`visionlens_jlab.cli`).
Inside the owning process every reader takes its own cursor (a connection to the same
database instance, with its own MVCC snapshot), and every write goes through
:meth:`Catalog.write`, which serializes writers with a lock and wraps them in a transaction, so
a crash mid-write leaves nothing half-visible.
"""

from __future__ import annotations

import importlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..config import CATALOG_FILE
from . import box_ranges, box_summaries, field_index
from .facet_keys import backfill_facet_keys
from .read_cancel import attached
from .result_cache import ResultCache
from .schema import DDL, SCHEMA_VERSION

INGEST_MEMORY_LIMIT = "32MB"
"""DuckDB's memory limit while an ingest runs in a process with no other readers (the CLI).

DuckDB's limit is one setting of the whole database instance: lowering it for an ingest also
starves every concurrent reader (benchmarks/results/load.md), so only the CLI, which reads
nothing else while it ingests, lowers it (see ``Catalog.__init__``)."""

INGEST_FINISH_MEMORY_LIMIT = "64MB"
"""DuckDB's memory limit for the last transaction of such an ingest, which aggregates the
whole dataset (box summaries, facet parts) and fails under the streaming limit; the parser's
memory is released by then, so this keeps the CLI's peak where streaming put it."""

SERVER_MEMORY_LIMIT = "1GB"
"""The server's fixed DuckDB memory limit: room for many concurrent readers beside an ingest,
and a bound on the buffer pool that caches the blocks an ingest appends (DuckDB's default,
80% of RAM, would keep a whole large dataset resident after its ingest)."""

RESULT_CACHE_MB = 64.0
"""Default bound of the answers cache (:mod:`.result_cache`): some thousand pages and
facets answers; the server's RSS figures in benchmarks/results/browse.md include it."""

_MEMORY_RE = re.compile(r"^\d+(\.\d+)?\s*[KMGT]?i?B$")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class CatalogError(Exception):
    """A catalog operation that cannot be done, with a message meant for the user."""


class CatalogLockedError(CatalogError):
    """Another process (usually a running Jupyter server) holds the catalog file."""


class ConflictError(CatalogError):
    """The thing to create exists already."""


class NotFoundError(CatalogError):
    """A dataset, sample or model that does not exist."""


class CatalogBusyError(CatalogError):
    """A read that ran out of DuckDB memory; transient (HTTP 503)."""


class DiskFullError(CatalogError):
    """The disk holding the catalog is full; the failed write was rolled back."""


_NO_SPACE = "No space left on device"


def validate_name(name: str, what: str = "dataset") -> str:
    """Return ``name`` if it is a valid dataset/model name, else raise :class:`CatalogError`."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise CatalogError(
            f"invalid {what} name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class Catalog:
    """The DuckDB catalog of datasets, samples, annotations and models."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
        ingest_memory_limit: str | None = None,
        threads: int | None = None,
        result_cache_mb: float = RESULT_CACHE_MB,
    ) -> None:
        """Open (and migrate) the catalog in ``data_dir``.

        ``memory_limit`` is DuckDB's limit for the life of this catalog (``None``: DuckDB's
        default); it never changes while readers run. ``ingest_memory_limit`` lowers it while
        an ingest is in flight, which bounds the ingest's RSS but starves concurrent readers:
        pass it only in a process that reads nothing else meanwhile (the CLI); it also lets
        an ingest stream its batches into open transactions (:attr:`ingests_alone`).
        ``threads``: DuckDB's worker threads for all queries together (``None``: one per
        core); the server bounds it so that its event loop keeps a core.
        ``result_cache_mb`` bounds the cache of read answers (:mod:`.result_cache`; 0: none).
        """
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.data_dir / CATALOG_FILE
        self.read_only = read_only
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise CatalogLockedError(
                    f"the catalog {self.path} is in use by another process (a running "
                    "JupyterLab with VisionLens?). Use that server, or stop it first."
                ) from exc
            raise
        self._write_lock = threading.Lock()
        self._version = 0  # bumped after every write: see the ``version`` property
        # what a write may have changed, for the answers cache: every dataset (``_global``)
        # unless the write named the one dataset it changes (``_dataset_versions``)
        self._global = 0
        self._dataset_versions: dict[int, int] = {}
        self._write_scope: int | None = None  # guarded by _write_lock, as the next two
        self._keeps_derived = False
        self._bump = True
        self.results = ResultCache(int(result_cache_mb * 1024 * 1024))
        self._ingests: dict[int, IngestIds] = {}  # in-flight ingests; guarded by _write_lock
        for limit in (memory_limit, ingest_memory_limit):
            if limit is not None and not _MEMORY_RE.match(limit):
                raise CatalogError(f"invalid memory limit {limit!r}, e.g. '64MB'")
        if memory_limit is not None:
            self._set_memory_limit(memory_limit)
        if threads is not None:
            self._con.execute(f"SET threads = {max(1, int(threads))}")
        self._ingest_memory_limit = ingest_memory_limit
        self.ingests_alone = ingest_memory_limit is not None
        """Whether this process does nothing else while it ingests (the CLI): the dataset
        writer may then hold the write lock while the parser works."""
        self._memory_limit: str | None = None  # the limit to restore after the last ingest
        if not read_only:
            self._migrate()
            self._remove_orphans()

    def _migrate(self) -> None:
        _load_feature_modules()
        with self.write(keeps_derived=True) as cur:
            for statement in [*DDL, *_FEATURE_DDL, *_SUMMARY_DDL]:
                cur.execute(statement)
            row = cur.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                cur.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
            backfill_facet_keys(cur)  # catalogs written before the table existed
            box_summaries.backfill(cur)  # catalogs written before the summaries
            field_index.backfill(cur)  # likewise, the index of samples.fields

    def _remove_orphans(self) -> None:
        """Delete rows of ingests that never finished (kill -9, power loss).

        A dataset's rows are committed batch by batch under an id that has no ``datasets``
        row until its last transaction, so such rows are invisible; on open no ingest of
        this process can be running, and no other process can write this file.
        """
        with self.write(keeps_derived=True) as cur:  # only rows of no dataset
            existing = {
                r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            for table in _DATASET_TABLES:
                if table in existing and table != "datasets":
                    cur.execute(
                        f"DELETE FROM {table} WHERE dataset_id NOT IN "  # noqa: S608 - registered identifiers
                        "(SELECT dataset_id FROM datasets)"
                    )

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the database file)."""
        self._con.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read cursor with its own snapshot; safe to use from any one thread.

        A read that runs out of DuckDB memory raises :class:`CatalogBusyError` (transient:
        many large reads at once under a small ``memory_limit``).
        """
        cur = self._con.cursor()
        try:
            with attached(cur):  # a cancelled request interrupts it: see read_cancel.py
                yield cur
        except duckdb.OutOfMemoryException as exc:
            raise CatalogBusyError(
                "the catalog is short of memory right now (too many large reads at once): "
                f"try again in a moment ({exc})"
            ) from exc
        finally:
            cur.close()

    @contextmanager
    def write(
        self, dataset_id: int | None = None, *, keeps_derived: bool = False
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A serialized write transaction: committed on success, rolled back on any error.

        ``dataset_id``: the write changes rows of that one dataset only, so cached answers
        of the other datasets stay valid (see :meth:`version_of`); a writer that learns its
        dataset inside the transaction says so with :meth:`scope_write`. Without either,
        the write may have changed anything and every cached answer is dropped.
        ``keeps_derived``: the write keeps the derived tables (``DERIVED_TABLES``, e.g. the
        pre-aggregated facets) exact itself, or changes nothing they are derived from;
        otherwise it deletes their rows of its dataset (of every dataset if unscoped), so
        that no writer can leave them stale (readers then compute from the rows).
        """
        with self._transaction(dataset_id, keeps_derived, bump=True) as cur:
            yield cur

    @contextmanager
    def write_derived(self, dataset_id: int) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction that only stores rows derived from the dataset's current
        rows (a rebuild of pre-aggregates): no answer changes, so no version moves."""
        with self._transaction(dataset_id, True, bump=False) as cur:
            yield cur

    @contextmanager
    def _transaction(
        self, dataset_id: int | None, keeps_derived: bool, bump: bool
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.read_only:
            raise CatalogError("the catalog was opened read-only")
        with self._write_lock:
            self._write_scope, self._keeps_derived, self._bump = dataset_id, keeps_derived, bump
            cur = self._con.cursor()
            try:
                cur.execute("BEGIN TRANSACTION")
                try:
                    yield cur
                    if not self._keeps_derived:
                        self._drop_derived(cur, self._write_scope)
                except BaseException:
                    cur.execute("ROLLBACK")
                    raise
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                if _NO_SPACE not in str(exc):
                    raise
                raise DiskFullError(
                    f"no space left on the disk holding the VisionLens data directory "
                    f"({self.path.parent}): this change was not kept, everything written "
                    "before it is intact; free some space (or move VISIONLENS_DATA_DIR to a "
                    "larger disk) and try again"
                ) from exc
            finally:
                cur.close()
                # after the commit (or rollback): a reader that read the old version may
                # have seen this write, never the other way round (see result_cache.py)
                scope, self._write_scope = self._write_scope, None
                if self._bump:  # not after a rebuild of derived rows: no answer changed
                    if scope is None:
                        self._global += 1
                    else:
                        self._dataset_versions[scope] = self._dataset_versions.get(scope, 0) + 1
                    self._version += 1

    def scope_write(self, dataset_id: int, *, keeps_derived: bool = False) -> None:
        """Inside :meth:`write`: this write changes rows of dataset ``dataset_id`` only
        (and, ``keeps_derived``, keeps its derived tables exact: see :meth:`write`)."""
        if not self._write_lock.locked():
            raise CatalogError("scope_write is only meaningful inside Catalog.write")
        self._write_scope, self._keeps_derived = dataset_id, keeps_derived

    @staticmethod
    def _drop_derived(cur: duckdb.DuckDBPyConnection, dataset_id: int | None) -> None:
        for table in DERIVED_TABLES:
            if dataset_id is None:
                cur.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed identifiers
            else:
                cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - fixed identifiers

    @property
    def version(self) -> int:
        """How many writes there have been: changes after every :meth:`write`, committed
        or not."""
        return self._version

    def version_of(self, dataset_id: int) -> tuple[int, int]:
        """The write version of one dataset's answers: changes after every write that may
        have changed it (one scoped to it, or one scoped to none). Read it before a read's
        first statement on the dataset's rows to key answers that may be cached."""
        return (self._global, self._dataset_versions.get(dataset_id, 0))

    # ----------------------------------------------------------------------------- ids

    @staticmethod
    def next_id(cur: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
        """The next free id of ``table.column``; call inside :meth:`write` only. Not for
        sample or annotation ids, which in-flight ingests reserve: see :meth:`begin_ingest`."""
        if (table, column) not in _ID_COLUMNS:
            raise ValueError(f"not an id column: {table}.{column}")
        rows = cur.execute(f"SELECT COALESCE(MAX({column}) + 1, 1) FROM {table}").fetchall()  # noqa: S608 - fixed identifiers
        return int(rows[0][0])

    def begin_ingest(self, cur: duckdb.DuckDBPyConnection, name: str) -> IngestIds:
        """Reserve a dataset id and id ranges for an ingest of ``name``; inside :meth:`write`.

        The ingest commits its samples and annotations batch by batch, so other writers see
        them while it runs: ids come from the committed maxima *and* the ranges of ingests
        still in flight, each of which may use ``ID_SPAN`` sample and annotation ids from its
        base. A crashed ingest's rows stay committed (hence counted by the maxima) until
        :meth:`_remove_orphans` or :meth:`end_ingest`'s cleanup removes them, so its ids are
        never handed out twice. Call :meth:`end_ingest` when done, whatever happened.
        """
        if any(r.name == name for r in self._ingests.values()):
            raise ConflictError(f"a dataset named {name!r} is being ingested right now")
        row = cur.execute(
            """
            SELECT GREATEST((SELECT MAX(dataset_id) FROM datasets),
                            (SELECT MAX(dataset_id) FROM samples),
                            (SELECT MAX(dataset_id) FROM annotations)),
                   (SELECT MAX(sample_id) FROM samples),
                   (SELECT MAX(ann_id) FROM annotations)
            """
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
            self._set_memory_limit(self._ingest_memory_limit)
        self._ingests[ids.dataset_id] = ids
        return ids

    def lift_ingest_memory_limit(self, *, to_default: bool = False) -> None:
        """Raise the streaming limit for the rest of an ingest: its last transaction
        summarises the whole dataset (box summaries, facet parts), which the streaming limit
        cannot hold. :data:`INGEST_FINISH_MEMORY_LIMIT`, or with ``to_default`` the
        catalog's own limit (for a dataset too big to summarise within that);
        :meth:`end_ingest` restores the catalog's own limit as before."""
        with self._write_lock:
            if self._memory_limit is not None:
                self._set_memory_limit(
                    self._memory_limit if to_default else INGEST_FINISH_MEMORY_LIMIT
                )

    def end_ingest(self, ids: IngestIds) -> None:
        """Release the reservation made by :meth:`begin_ingest`."""
        with self._write_lock:
            self._ingests.pop(ids.dataset_id, None)
            if not self._ingests and self._memory_limit is not None:
                self._set_memory_limit(self._memory_limit)
                self._memory_limit = None

    def _set_memory_limit(self, limit: str) -> None:
        # DuckDB's buffer pool keeps every appended block cached up to the limit; a small
        # limit while a CLI ingest runs makes it evict checkpointed blocks, which bounds the
        # ingest's memory (benchmarks/results/ingest.md). It is global to the instance, hence
        # never lowered in the server, where concurrent readers would run out of memory.
        if _MEMORY_RE.match(limit):  # a DuckDB size string: never untrusted text
            cur = self._con.cursor()  # own cursor: the shared connection is not thread-safe
            try:
                cur.execute(f"SET memory_limit = '{limit}'")
            finally:
                cur.close()

    def next_annotation_id(self, cur: duckdb.DuckDBPyConnection) -> int:
        """The first free annotation id for a one-transaction writer; inside :meth:`write`."""
        top = cur.execute("SELECT MAX(ann_id) FROM annotations").fetchall()[0][0]
        return max([(top or 0) + 1, *(r.ann_base + ID_SPAN for r in self._ingests.values())])

    # ----------------------------------------------------------------------------- datasets

    def dataset_id(self, cur: duckdb.DuckDBPyConnection, name: str) -> int:
        """The id of dataset ``name``, or :class:`NotFoundError`."""
        # fetchall, not fetchone: DuckDB 2 keeps a half-read result open, which blocks
        # register() of Arrow batches on the same cursor afterwards.
        rows = cur.execute("SELECT dataset_id FROM datasets WHERE name = ?", [name]).fetchall()
        if not rows:
            raise NotFoundError(f"no dataset named {name!r}")
        return int(rows[0][0])

    def list_datasets(self) -> list[dict[str, Any]]:
        """Every dataset with its counts, prediction models and class count."""
        with self.cursor() as cur:
            rows = cur.execute(
                """
                SELECT d.dataset_id, d.name, d.format, d.source, d.media_root, d.created_at,
                       d.num_samples, d.num_annotations,
                       (SELECT COUNT(*) FROM categories c WHERE c.dataset_id = d.dataset_id),
                       (SELECT list({'name': m.name, 'num_predictions': m.num_predictions,
                                     'format': m.format, 'created_at': m.created_at}
                                    ORDER BY m.name)
                          FROM models m WHERE m.dataset_id = d.dataset_id)
                FROM datasets d ORDER BY d.name
                """
            ).fetchall()
        return [_dataset_row(r) for r in rows]

    def get_dataset(self, name: str) -> dict[str, Any]:
        """One dataset with its ingest report, classes and models."""
        for ds in self.list_datasets():
            if ds["name"] == name:
                break
        else:
            raise NotFoundError(f"no dataset named {name!r}")
        with self.cursor() as cur:
            report = cur.execute(
                "SELECT report FROM datasets WHERE dataset_id = ?", [ds["id"]]
            ).fetchone()
            ds["report"] = json.loads(report[0]) if report else {}
            ds["categories"] = [
                r[0]
                for r in cur.execute(
                    "SELECT name FROM categories WHERE dataset_id = ? ORDER BY category_id",
                    [ds["id"]],
                ).fetchall()
            ]
            for model in ds["models"]:
                rep = cur.execute(
                    "SELECT report FROM models WHERE dataset_id = ? AND name = ?",
                    [ds["id"], model["name"]],
                ).fetchone()
                model["report"] = json.loads(rep[0]) if rep else {}
        return ds

    def delete_dataset(self, name: str) -> None:
        """Delete a dataset and everything that belongs to it, atomically."""
        with self.write() as cur:
            dataset_id = self.dataset_id(cur, name)
            self.scope_write(dataset_id)  # the other datasets' answers stay valid
            # Feature modules create their tables lazily: only touch the ones that exist.
            existing = {
                r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            for table in _DATASET_TABLES:
                if table in existing:
                    cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - registered identifiers


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


_ID_COLUMNS = {
    ("datasets", "dataset_id"),
    ("samples", "sample_id"),
    ("annotations", "ann_id"),
}

_DATASET_TABLES = [
    *box_summaries.SUMMARY_TABLES,
    "field_values",
    *box_ranges.TABLES,
    "annotations",
    "samples",
    "categories",
    "models",
    "facet_keys",
    "facet_parts",
    "datasets",
]
"""Tables holding rows of a dataset, deleted with it; feature tables come first."""
DERIVED_TABLES = ["facet_parts"]
"""Tables of pre-aggregates derived from a dataset's rows (see :meth:`Catalog.write`)."""

_FEATURE_DDL: list[str] = []

_SUMMARY_DDL = [
    box_summaries.SUMMARY_CLASSES_DDL,
    box_summaries.BOX_SUMMARIES_DDL,
    box_summaries.EVAL_SUMMARIES_DDL,
    field_index.FIELD_VALUES_DDL,
    box_ranges.VALUE_LISTS_DDL,
    box_ranges.BUILT_DDL,
]
"""Created after the feature tables: the backfill of evaluation summaries reads one."""

FEATURE_MODULES = (
    "visionlens_jlab.evaluate",
    "visionlens_jlab.media.lookup",
    "visionlens_jlab.embed.spaces",
    "visionlens_jlab.catalog.computed",
    "visionlens_jlab.dedup",
    "visionlens_jlab.catalog.maps",
    "visionlens_jlab.catalog.measured",
)
"""Modules that add tables, filters or facets to the catalog when imported. Every catalog
imports them before it opens, so no entry point (server, CLI, notebook, tests) can open a
catalog that lacks a feature's tables."""


def register_dataset_table(table: str, ddl: str) -> None:
    """Add a feature table: created (``ddl``, idempotent) whenever a catalog opens, and its
    rows (which must have a ``dataset_id`` column) deleted with their dataset."""
    if table not in _DATASET_TABLES:
        _DATASET_TABLES.insert(0, table)
    if ddl not in _FEATURE_DDL:
        _FEATURE_DDL.append(ddl)


def _load_feature_modules() -> None:
    for module in FEATURE_MODULES:
        importlib.import_module(module)


def _dataset_row(r: tuple[Any, ...]) -> dict[str, Any]:
    models = [
        {
            "name": m["name"],
            "num_predictions": int(m["num_predictions"]),
            "format": m["format"],
            "created_at": m["created_at"].isoformat(),
        }
        for m in (r[9] or [])
    ]
    return {
        "id": int(r[0]),
        "name": r[1],
        "format": r[2],
        "source": r[3],
        "media_root": r[4],
        "created_at": r[5].isoformat(),
        "num_samples": int(r[6]),
        "num_annotations": int(r[7]),
        "num_categories": int(r[8]),
        "models": models,
    }
