"""The catalog: one DuckDB connection per process, a cursor per reader, one serialized writer.

DuckDB allows one writing process per database file. The Jupyter server owns the file while
it runs; the CLI opens it only when no server holds it (see :mod:`visionlens_jlab.cli`).
Inside the owning process every reader takes its own cursor (a connection to the same
database instance, with its own MVCC snapshot), and every write goes through
:meth:`Catalog.write`, which serializes writers with a lock and wraps them in a transaction, so
a crash mid-write leaves nothing half-visible (:mod:`.write_transactions`). An ingest reserves
its ids, and in the CLI a lower memory limit, while it runs (:mod:`.ingest_reservations`).
Opening runs the schema migrations the file has not had yet (:mod:`.migrations`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from ...config import CATALOG_FILE
from ...records.label_kinds import LABEL_TYPES
from ..base.errors import CatalogBusyError, CatalogError, CatalogLockedError, NotFoundError
from .ingest_reservations import MEMORY_SIZE_RE, IngestReservations
from .label_columns import label_counts
from .migrations import check_registered, check_version, migrate, schema_version
from .read_cancel import attached
from .registry import dataset_tables, latest_version
from .result_cache import ResultCache
from .write_transactions import WriteTransactions

SERVER_MEMORY_LIMIT = "1GB"
"""The server's fixed DuckDB memory limit: room for many concurrent readers beside an ingest,
and a bound on the buffer pool that caches the blocks an ingest appends (DuckDB's default,
80% of RAM, would keep a whole large dataset resident after its ingest)."""

RESULT_CACHE_MB = 64.0
"""Default bound of the answers cache (:mod:`.result_cache`): some thousand pages and
facets answers; the server's RSS figures in benchmarks/results/browse.md include it."""

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def validate_name(name: str, what: str = "dataset") -> str:
    """Return ``name`` if it is a valid dataset/model name, else raise :class:`CatalogError`."""
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise CatalogError(
            f"invalid {what} name {name!r}: use 1-128 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


class Catalog(WriteTransactions, IngestReservations):
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
        """Open the catalog in ``data_dir``, migrated to this code's schema version.

        The modules that extend the catalog must be imported first
        (:func:`visionlens_jlab.features.load`). A catalog of a newer schema version is
        refused, and so is a read-only open of an older one (:mod:`.migrations`).

        ``memory_limit`` is DuckDB's limit for the life of this catalog (``None``: DuckDB's
        default); it never changes while readers run. ``ingest_memory_limit`` lowers it while
        an ingest is in flight, which bounds the ingest's RSS but starves concurrent readers:
        pass it only in a process that reads nothing else meanwhile (the CLI); it also lets
        an ingest stream its batches into open transactions (:attr:`ingests_alone`).
        ``threads``: DuckDB's worker threads for all queries together (``None``: one per
        core); the server bounds it so that its event loop keeps a core.
        ``result_cache_mb`` bounds the cache of read answers (:mod:`.result_cache`; 0: none).
        """
        check_registered()
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
        self._init_writes()
        self._on_close: list[Callable[[], None]] = []
        self.results = ResultCache(int(result_cache_mb * 1024 * 1024))
        for limit in (memory_limit, ingest_memory_limit):
            if limit is not None and not MEMORY_SIZE_RE.match(limit):
                raise CatalogError(f"invalid memory limit {limit!r}, e.g. '64MB'")
        self._init_ingests(ingest_memory_limit)
        if memory_limit is not None:
            self.own_memory_limit = memory_limit
            self._set_memory_limit(memory_limit)
        if threads is not None:
            self._con.execute(f"SET threads = {max(1, int(threads))}")
        try:
            created = self._migrate()
            if not read_only and not created:  # a file created just now holds no rows
                self._remove_orphans()
        except BaseException:
            self._con.close()  # a refused catalog stays closed: no lock is left behind
            raise

    def _migrate(self) -> bool:
        """Bring the catalog to this code's schema version; True when it was a new file."""
        with self.cursor() as cur:
            version = schema_version(cur)
        check_version(self.path, version, read_only=self.read_only)
        if not self.read_only and version < latest_version():
            # keeps_derived: an unscoped write would otherwise empty every facet part
            with self.write(keeps_derived=True) as cur:
                migrate(cur, version)
        return version == 0

    def _remove_orphans(self) -> None:
        """Delete rows of ingests that never finished (kill -9, power loss).

        A dataset's rows are committed batch by batch under an id that has no ``datasets``
        row until its last transaction, so such rows are invisible; on open no ingest of
        this process can be running, and no other process can write this file.
        """
        orphans = " WHERE dataset_id NOT IN (SELECT dataset_id FROM datasets)"
        tables = [table for table in dataset_tables() if table != "datasets"]
        if not tables:
            return
        # one statement tells whether any table holds one (almost always none): the ids of
        # every table, deduplicated, against ``datasets`` once (~2x faster than a probe per
        # table, each with its own anti-join); only then are the tables that hold them found
        ids = " UNION ALL ".join(
            f"SELECT DISTINCT dataset_id FROM {table}"  # noqa: S608 - registered identifiers
            for table in tables
        )
        any_orphan = f"SELECT 1 FROM ({ids}){orphans} LIMIT 1"  # noqa: S608 - registered identifiers
        probe = " UNION ALL ".join(
            f"SELECT '{table}' FROM (SELECT 1 FROM {table}{orphans} LIMIT 1)"  # noqa: S608 - registered identifiers
            for table in tables
        )
        with self.cursor() as cur:
            if not cur.execute(any_orphan).fetchall():
                return
            found = [table for (table,) in cur.execute(probe).fetchall()]
        if not found:
            return
        with self.write(keeps_derived=True) as cur:  # only rows of no dataset
            for table in found:
                cur.execute(f"DELETE FROM {table}{orphans}")  # noqa: S608 - registered identifiers

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` first in :meth:`close` (to stop background readers)."""
        self._on_close.append(callback)

    def close(self) -> None:
        """Close the connection (checkpointing the WAL into the database file)."""
        for callback in self._on_close:
            callback()
        self._on_close.clear()
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

    # ----------------------------------------------------------------------------- ids

    @staticmethod
    def next_id(cur: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
        """The next free id of ``table.column``; call inside :meth:`write` only. Not for
        sample or annotation ids, which in-flight ingests reserve: see :meth:`begin_ingest`."""
        if (table, column) not in _ID_COLUMNS:
            raise ValueError(f"not an id column: {table}.{column}")
        rows = cur.execute(f"SELECT COALESCE(MAX({column}) + 1, 1) FROM {table}").fetchall()  # noqa: S608 - fixed identifiers
        return int(rows[0][0])

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
            ds["category_keypoints"] = _category_keypoints(cur, ds["id"])
            types = _model_label_types(cur, ds["id"])
            for model in ds["models"]:
                model["label_types"] = types.get(model["name"], dict.fromkeys(LABEL_TYPES, 0))
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
            for table in dataset_tables():  # every one exists: the migrations made them
                cur.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - registered identifiers


def _model_label_types(cur: Any, dataset_id: int) -> dict[str, dict[str, int]]:
    """Every prediction source's label counts by type (:func:`.label_columns.label_counts`)."""
    return label_counts(cur, dataset_id)


_ID_COLUMNS = {
    ("datasets", "dataset_id"),
    ("samples", "sample_id"),
    ("annotations", "ann_id"),
}


def _category_keypoints(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> dict[str, Any]:
    """``{class: {"keypoint_names": [...], "skeleton": [[i, j], ...], "sigmas": [...] | None}}``
    of a dataset's keypoint classes (COCO's 1-based skeleton pairs; the class's own OKS sigmas
    where its source gave them); classes without keypoints are left out."""
    rows = cur.execute(
        """
        SELECT name, keypoint_names, skeleton, keypoint_sigmas FROM categories
        WHERE dataset_id = ? AND (keypoint_names IS NOT NULL OR skeleton IS NOT NULL)
        ORDER BY category_id
        """,
        [dataset_id],
    ).fetchall()
    return {
        name: {
            "keypoint_names": list(names or []),
            "skeleton": json.loads(skel) if skel else [],
            "sigmas": list(sigmas) if sigmas else None,
        }
        for name, names, skel, sigmas in rows
    }


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
