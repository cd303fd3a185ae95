"""The catalog's single serialized writer and the write versions that key cached answers.

Every write goes through :meth:`WriteTransactions.write`, which serializes writers with a
lock and wraps them in a transaction, so a crash mid-write leaves nothing half-visible. After
each write the versions move: per dataset when the write named the one dataset it changes,
for all of them otherwise (see :mod:`.result_cache`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from ..base.errors import CatalogError, DiskFullError, WriteCancelled
from .edit_tables import VERSION_CLASSIFICATIONS, VERSION_COPIES, VERSION_SAMPLE_TAGS

DERIVED_TABLES = [
    "facet_parts",
    "version_copies",
    *VERSION_COPIES,
    VERSION_SAMPLE_TAGS,
    VERSION_CLASSIFICATIONS,
]
"""Tables of pre-aggregates derived from a dataset's rows (see :meth:`WriteTransactions.write`);
the copies of browsed versions' labels (:mod:`.edit_tables`) too: an edit keeps them exact (a
version never changes), a write outside the log may not."""

_NO_SPACE = "No space left on device"
_CANCEL_POLL_SECONDS = 0.1
"""How often :meth:`WriteTransactions.interrupted_when` asks whether its caller cancelled."""
_CANCELLED = "the write was cancelled: nothing of it was kept"


class WriteTransactions:
    """The write side of :class:`~.catalog.Catalog`: transactions, scopes and versions."""

    _con: duckdb.DuckDBPyConnection
    path: Path
    read_only: bool

    def _init_writes(self) -> None:
        self._write_lock = threading.Lock()
        self._version = 0  # bumped after every write: see the ``version`` property
        # what a write may have changed, for the answers cache: every dataset (``_global``)
        # unless the write named the one dataset it changes (``_dataset_versions``)
        self._global = 0
        self._dataset_versions: dict[int, int] = {}
        self._write_scope: int | None = None  # guarded by _write_lock, as the next two
        self._keeps_derived = False
        self._keeps_indexes = False
        self._bump = True
        self._after_commit: list[Callable[[int | None], None]] = []
        self._on_commit: list[Callable[[], None]] = []  # this transaction's, under the lock
        self._writer: duckdb.DuckDBPyConnection | None = None  # the open transaction's cursor

    def after_commit(self, callback: Callable[[int | None], None]) -> None:
        """Call ``callback(dataset_id)`` after every committed :meth:`write` but those that
        say they keep the in-memory indexes (:meth:`scope_write`), from the writing thread
        (``None``: an unscoped write, any dataset may have changed). For quick work only,
        such as scheduling a rebuild elsewhere; its errors are the writer's."""
        self._after_commit.append(callback)

    def when_committed(self, callback: Callable[[], None]) -> None:
        """Inside :meth:`write`: call ``callback()`` once this transaction has committed
        (dropped on rollback), before the :meth:`after_commit` callbacks, so that in-memory
        structures patched there are current when a rebuild is scheduled."""
        if not self._write_lock.locked():
            raise CatalogError("when_committed is only meaningful inside Catalog.write")
        self._on_commit.append(callback)

    def interrupt_writes(self, timeout: float) -> bool:
        """Interrupt the statement of the write transaction in progress, until the write
        lock comes free or ``timeout`` seconds pass; returns whether it is free.

        For a server that stops while a job is inside one long statement (nothing checks
        a cancel there): the statement fails, the transaction rolls back, its writer gets
        the error, and closing the catalog no longer waits for it. DuckDB forgets an
        interrupt that arrives between two statements, hence the retries.
        """
        deadline = time.monotonic() + timeout
        while self._write_lock.locked():
            if time.monotonic() >= deadline:
                return False
            writer = self._writer
            if writer is not None:
                writer.interrupt()
            time.sleep(0.05)
        return True

    @contextmanager
    def interrupted_when(self, cancelled: Callable[[], bool] | None) -> Iterator[None]:
        """Inside :meth:`write`: interrupt the block's statements once ``cancelled()`` is
        true (a job's cancel, polled on a helper thread), so that a long statement (the
        aggregates of a big dataset) fails at once and the transaction rolls back instead of
        running to its end. A cancel raises :class:`WriteCancelled` (from the interrupted
        statement, or as the block ends when it came after the last one), so the
        transaction is rolled back. ``None``:
        nothing can cancel (the CLI)."""
        writer = self._writer
        if writer is None or not self._write_lock.locked():
            raise CatalogError("interrupted_when is only meaningful inside Catalog.write")
        if cancelled is None:
            yield
            return
        done = threading.Event()

        def watch() -> None:
            while not done.wait(_CANCEL_POLL_SECONDS):
                if cancelled():  # again until the block ends: see interrupt_writes
                    writer.interrupt()

        thread = threading.Thread(target=watch, name="visionlens-write-cancel", daemon=True)
        thread.start()
        try:
            yield
        except duckdb.InterruptException as exc:
            # the watcher's interrupt: whichever statement it hit, the caller sees one
            # answer for a cancel
            if cancelled():
                raise WriteCancelled(_CANCELLED) from exc
            raise
        finally:
            done.set()
            thread.join()
        if cancelled():
            raise WriteCancelled(_CANCELLED)

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
            self._keeps_indexes = False
            self._on_commit = []
            cur = self._writer = self._con.cursor()
            committed = False
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
                committed = True
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
                self._writer = None
                cur.close()
                # after the commit (or rollback): a reader that read the old version may
                # have seen this write, never the other way round (see result_cache.py)
                scope, self._write_scope = self._write_scope, None
                rebuild = not self._keeps_indexes
                committed_calls, self._on_commit = self._on_commit, []
                if self._bump:  # not after a rebuild of derived rows: no answer changed
                    if scope is None:
                        self._global += 1
                    else:
                        self._dataset_versions[scope] = self._dataset_versions.get(scope, 0) + 1
                    self._version += 1
        for call in committed_calls if committed else []:  # outside the lock: may read
            call()
        if committed and bump and rebuild:  # outside the lock: a callback may read
            for callback in self._after_commit:
                callback(scope)

    def scope_write(
        self, dataset_id: int, *, keeps_derived: bool = False, keeps_indexes: bool = False
    ) -> None:
        """Inside :meth:`write`: this write changes rows of dataset ``dataset_id`` only
        (and, ``keeps_derived``, keeps its derived tables exact: see :meth:`write`;
        ``keeps_indexes``: changes nothing an in-memory index is built from, or patches
        what it changed itself, as the tag writer does: no rebuild is scheduled, see
        :meth:`after_commit`)."""
        if not self._write_lock.locked():
            raise CatalogError("scope_write is only meaningful inside Catalog.write")
        self._write_scope, self._keeps_derived = dataset_id, keeps_derived
        self._keeps_indexes = keeps_indexes

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
