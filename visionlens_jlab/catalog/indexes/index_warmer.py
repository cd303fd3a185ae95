"""The in-memory indexes rebuilt in the background after a write, not by the next request.

A write that changes a dataset's boxes or samples (ingest, a model import, an evaluation)
makes its in-memory indexes stale (:mod:`.box_index` and the indexes registered here).
Built lazily, the first filtered facets request after such a write paid for the rebuild:
about 1 s per index at 1M images. The server attaches an :class:`IndexWarmer` to its
catalog: after every committed write it rebuilds, on one background thread, the indexes
of the datasets that have one in memory (a dataset nobody has filtered yet costs
nothing), so the next request finds them built. A rebuild reads in its own snapshot and
labels what it builds the way a request would (the same functions), so a warm index is
exactly the index the request would have built; a write during the rebuild makes it
stale again and schedules another. Nothing else changes: a request still builds an index
it does not find (before the warmer got to it, or without a warmer: CLI, notebook).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import duckdb

from ..store.catalog import Catalog

log = logging.getLogger(__name__)

Warm = Callable[[Catalog, duckdb.DuckDBPyConnection, int], object]
"""``warm(catalog, cur, dataset_id)``: build (or find) one kind of index of a dataset."""

_WARMERS: list[Warm] = []
_HELD: list[Callable[[Catalog], set[int]]] = []

COALESCE_SECONDS = 0.2
"""How long the warmer waits after a write for the next one (an import writes several
times): one rebuild for a burst of writes."""


def register_warmer(warm: Warm, held: Callable[[Catalog], set[int]] | None = None) -> None:
    """Let an index module be warmed: ``warm`` runs in registration order (an index that
    builds on another registers after it); ``held(catalog)``: the datasets it holds an
    index of (those are the ones rebuilt)."""
    if warm not in _WARMERS:
        _WARMERS.append(warm)
    if held is not None and held not in _HELD:
        _HELD.append(held)


class IndexWarmer:
    """One background thread rebuilding a catalog's held indexes after its writes."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog
        self._pending: set[int | None] = set()
        self._wake = threading.Condition()
        self._stopped = False
        self._busy = False
        self._thread = threading.Thread(
            target=self._run, name="visionlens-index-warmer", daemon=True
        )
        self._thread.start()
        catalog.after_commit(self.schedule)
        catalog.on_close(self.close)

    def schedule(self, dataset_id: int | None) -> None:
        """Rebuild ``dataset_id``'s indexes soon (``None``: every held dataset's)."""
        with self._wake:
            self._pending.add(dataset_id)
            self._wake.notify()

    def idle(self, timeout: float) -> bool:
        """Wait until nothing is scheduled or running (for tests); False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: not self._pending and not self._busy, timeout)

    def close(self) -> None:
        """Stop the thread (a rebuild in progress finishes first)."""
        with self._wake:
            self._stopped = True
            self._wake.notify_all()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    return
                self._busy = True
            try:
                # a burst of writes (an import writes several times): rebuild once, after it
                with self._wake:
                    self._wake.wait_for(lambda: self._stopped, COALESCE_SECONDS)
                    pending, self._pending = self._pending, set()
                if not self._stopped:
                    self._rebuild(pending)
            finally:
                with self._wake:
                    self._busy = False
                    self._wake.notify_all()

    def _rebuild(self, pending: set[int | None]) -> None:
        held = set().union(*(h(self._catalog) for h in _HELD))
        wanted = held if None in pending else held & pending
        for dataset_id in sorted(wanted):
            if self._stopped:
                return
            try:
                with self._catalog.cursor() as cur:
                    known = cur.execute(
                        "SELECT 1 FROM datasets WHERE dataset_id = ?", [dataset_id]
                    ).fetchall()
                    for warm in _WARMERS if known else []:  # a deleted dataset: nothing
                        warm(self._catalog, cur, dataset_id)
            except Exception:
                log.debug(
                    "background rebuild of dataset %s's indexes failed", dataset_id, exc_info=True
                )
