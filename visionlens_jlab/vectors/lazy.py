"""The data directory's vector store, opened on first use rather than at every server start.

Most sessions never touch vectors, and opening costs: Qdrant Edge loads every shard, a
Qdrant server is a network round trip (and may be down), and :func:`~.reconcile.reconcile`
reads every point. So :class:`LazyVectorStore` opens the store, then repairs drift from the
catalog, the first time something asks for it; reconcile is skipped when the last holder
closed the embedded store stamped as in step with the catalog (:mod:`.in_step`).

Deleting a dataset must still reach its vectors when the store was never opened: the next
dataset may be given the same dataset id and the same sample ids (the catalog numbers from
its committed maxima), and its samples would then inherit the old vectors, which reconcile
cannot tell apart. So a delete opens the store whenever it may hold anything (a Qdrant
server is configured, or the Edge directory has a space). If it cannot be opened, or the
delete fails, the dataset id is written to ``{data_dir}/vectors/pending_deletes.json``,
and whoever opens the store next deletes those datasets' points before anything else.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

from ..catalog import Catalog
from .base import (
    VectorStore,
    VectorStoreError,
    VectorStoreLockedError,
    VectorStoreUnavailableError,
)
from .factory import EDGE_DIR, URL_ENV, open_vector_store, vectors_dir
from .in_step import STAMP_FILE, clear_stamp, stamp_holds, write_stamp
from .reconcile import delete_dataset_vectors, reconcile

log = logging.getLogger(__name__)

PENDING_FILE = "pending_deletes.json"


class LazyVectorStore:
    """Opens the vector store of a data directory on first use; the server's one accessor.

    ``url`` / ``api_key`` select a Qdrant server as :func:`~.factory.open_vector_store` does
    (else ``$VISIONLENS_QDRANT_URL``, else the embedded Qdrant Edge store; with
    ``edge_in_child``, in a child process of this one: :mod:`.edge_process`).
    """

    def __init__(
        self,
        catalog: Catalog,
        data_dir: str | os.PathLike[str],
        *,
        url: str | None = None,
        api_key: str | None = None,
        edge_in_child: bool = False,
    ) -> None:
        self.catalog = catalog
        self.data_dir = Path(data_dir)
        self.url = url
        self.api_key = api_key
        self.edge_in_child = edge_in_child
        self._store: VectorStore | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def is_open(self) -> bool:
        """Whether the store has been opened (and not closed) in this process."""
        return self._store is not None

    def get(self) -> VectorStore:
        """The store, opened and reconciled with the catalog on the first call.

        Raises :class:`~.base.VectorStoreUnavailableError` (:class:`~.base.VectorStoreLockedError`
        for a store held by another process) saying why; a later call tries again.
        """
        with self._lock:
            if self._closed:
                raise VectorStoreError("the vector store is closed (the server is stopping)")
            if self._store is None:
                self._store = self._open()
            return self._store

    def _open(self) -> VectorStore:
        try:
            store = open_vector_store(
                self.data_dir, url=self.url, api_key=self.api_key, edge_in_child=self.edge_in_child
            )
        except VectorStoreLockedError as exc:
            raise VectorStoreLockedError(f"the vector store is unavailable: {exc}") from exc
        except VectorStoreError as exc:
            raise VectorStoreUnavailableError(f"the vector store is unavailable: {exc}") from exc
        try:
            self._apply_pending_deletes(store)
            stamp = self._stamp_path()
            if stamp_holds(stamp, self.catalog, store):
                log.info("VisionLens vectors: in step with the catalog as stamped at last close")
            else:
                log.info("VisionLens vectors: %s", reconcile(self.catalog, store).to_json())
            clear_stamp(stamp)
        except BaseException:
            store.close()
            raise
        return store

    def _stamp_path(self) -> Path:
        return vectors_dir(self.data_dir) / STAMP_FILE

    def _leave_stamp(self, store: VectorStore) -> None:
        """Stamp the store as in step with the catalog when nothing says it is not."""
        if store.write_failed or self.pending_deletes():
            return
        try:
            write_stamp(self._stamp_path(), self.catalog, store)
        except Exception:  # the next open reconciles instead
            log.warning("could not stamp the vector store as in step", exc_info=True)

    def open_if_it_may_hold(self) -> None:
        """Open the store now when it may hold points; one that cannot be opened is left to
        :meth:`delete_dataset`, which records the dataset for the next open."""
        if self.is_open or not self._may_hold_vectors():
            return
        try:
            self.get()
        except VectorStoreError as exc:
            log.info("the vector store is not opened before the delete: %s", exc)

    def delete_dataset(self, dataset_id: int) -> int | None:
        """Remove a deleted dataset's points; call after ``Catalog.delete_dataset``.

        Returns the number of points removed, or ``None`` when that could not be done now:
        then the dataset is recorded and its points are removed when the store next opens.
        Never raises for the store: the catalog delete has happened and the request succeeded.
        """
        if not self.is_open and not self._may_hold_vectors():
            return 0
        try:
            store = self.get()
        except VectorStoreError as exc:
            log.warning(
                "dataset %s's vectors are deleted when the store opens: %s", dataset_id, exc
            )
            self._record_pending(dataset_id)
            return None
        removed = delete_dataset_vectors(store, dataset_id)
        if removed is None:
            self._record_pending(dataset_id)
        return removed

    def close(self) -> None:
        """Close the store if it was opened (stamped in step when nothing says otherwise:
        :mod:`.in_step`); later calls to :meth:`get` raise."""
        with self._lock:
            self._closed = True
            store, self._store = self._store, None
        if store is not None:
            self._leave_stamp(store)
            store.close()

    # ---------------------------------------------------------------- pending deletes

    def _may_hold_vectors(self) -> bool:
        """Whether the store could hold any point, without opening it."""
        if self.url or os.environ.get(URL_ENV):
            return True  # a server: only asking it tells
        edge = vectors_dir(self.data_dir) / EDGE_DIR
        try:
            return any(edge.iterdir())
        except FileNotFoundError:
            return False

    def _pending_path(self) -> Path:
        return vectors_dir(self.data_dir) / PENDING_FILE

    def pending_deletes(self) -> list[int]:
        """Dataset ids whose points are still to be deleted (an unreadable record is empty)."""
        try:
            ids = json.loads(self._pending_path().read_text())["dataset_ids"]
            return sorted({int(i) for i in ids})
        except FileNotFoundError:
            return []
        except (ValueError, KeyError, TypeError) as exc:
            log.error("ignoring unreadable %s: %s", self._pending_path(), exc)
            return []

    def _write_pending(self, ids: list[int]) -> None:
        path = self._pending_path()
        if not ids:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"dataset_ids": ids}))
        tmp.replace(path)

    def _record_pending(self, dataset_id: int) -> None:
        try:
            self._write_pending(sorted({*self.pending_deletes(), int(dataset_id)}))
        except OSError:
            log.exception("could not record dataset %s's vectors for deletion", dataset_id)

    def _apply_pending_deletes(self, store: VectorStore) -> None:
        pending = self.pending_deletes()
        for dataset_id in pending:
            removed = store.delete_dataset(dataset_id)  # raises: the open fails, nothing lost
            log.info("deleted %d pending vectors of dataset %s", removed, dataset_id)
        if pending:
            self._write_pending([])


def delete_dataset_and_vectors(catalog: Catalog, name: str) -> None:
    """Delete dataset ``name`` from the catalog, then its points (for a process that does not
    hold the store: it is opened for this only when it may hold some, and closed)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, name)
    vectors = LazyVectorStore(catalog, catalog.data_dir)
    try:
        vectors.open_if_it_may_hold()  # before the catalog changes: a stamp in step holds
        catalog.delete_dataset(name)  # the authority first, then what derives from it
        vectors.delete_dataset(dataset_id)
    finally:
        vectors.close()
