"""The embedded default: Qdrant Edge shards on disk, one per vector space.

Under ``root`` (``{data_dir}/vectors/edge``) each space is a directory of its own
(:mod:`.edge_spaces`: layout, creation, crash recovery).

Every call into ``qdrant_edge`` holds the GIL for its whole duration (measured: a 10K-point
upsert blocks other threads for ~0.3 s; building the HNSW index of 20K x 512 for 10-40 s).
Writes therefore go in small batches, and :meth:`EdgeVectorStore.optimize` builds the
index in a separate process on a copy, then swaps it in.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from . import adapter_io, edge_index
from .base import (
    Hit,
    SpaceInfo,
    SpaceNotFoundError,
    VectorStore,
    VectorStoreError,
    check_same_space,
    new_space_info,
)
from .edge_rows import REBUILT_DIR, ROWS_DIR, VectorRows, stored_vectors
from .edge_spaces import SHARD_DIR, SPACE_DIR_RE, BrokenSpace, create_space, load_space, trash
from .edge_util import dataset_filter, edge_errors, pids

log = logging.getLogger(__name__)

BATCH = 1024
"""Points per Edge call: bounds how long one call holds the GIL (~30 ms at 512-d)."""


class EdgeVectorStore(VectorStore):
    """Vector spaces as Qdrant Edge shards in one directory of the data dir."""

    kind = "edge"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._shards: dict[str, qe.EdgeShard] = {}
        self._infos: dict[str, SpaceInfo] = {}
        self._rows: dict[str, VectorRows] = {}
        """Each space's vectors as plain rows (:mod:`.edge_rows`): what reads gather from."""
        self._building: dict[str, edge_index.Changes] = {}
        self.broken: dict[str, str] = {}
        """Spaces that failed to open (name -> why); the others work. ``drop_space`` clears."""
        self._closed = False
        try:
            for space_dir in sorted(self.root.iterdir()):
                if space_dir.is_dir():
                    self._open_space_dir(space_dir)
        except BaseException:
            self.close()
            raise

    def _open_space_dir(self, space_dir: Path) -> None:
        try:
            loaded = load_space(self.root, space_dir)
        except BrokenSpace as exc:
            self.broken[exc.name] = exc.why
            return
        if loaded is not None:
            info, shard = loaded
            self._shards[info.name] = shard
            self._infos[info.name] = info
            self._rows[info.name] = VectorRows(space_dir / ROWS_DIR, info.dim)

    def _check_open(self) -> None:
        if self._closed:
            raise VectorStoreError("the vector store is closed")

    def _shard(self, space: str) -> qe.EdgeShard:
        self._check_open()
        shard = self._shards.get(space)
        if shard is None:
            raise SpaceNotFoundError(f"no vector space named {space!r} (embed the dataset first)")
        return shard

    # ---------------------------------------------------------------- spaces

    def ensure_space(
        self, model: str, version: str, dim: int, distance: str = "cosine"
    ) -> SpaceInfo:
        """Create the shard of ``(model, version)`` if missing; return its :class:`SpaceInfo`."""
        wanted = new_space_info(model, version, dim, distance)
        with self._lock:
            self._check_open()
            if wanted.name in self._infos:
                return check_same_space(self._infos[wanted.name], wanted)
            if wanted.name in self.broken:
                raise VectorStoreError(
                    f"the vector space {wanted.name!r} could not be opened "
                    f"({self.broken[wanted.name]}): drop it to embed again"
                )
            shard = create_space(self.root, wanted)
            self._shards[wanted.name] = shard
            self._infos[wanted.name] = wanted
            self._rows[wanted.name] = rows = VectorRows(
                self.root / wanted.name / ROWS_DIR, wanted.dim
            )
            rows.start_empty()
            return wanted

    def spaces(self) -> list[SpaceInfo]:
        """Every space, sorted by name."""
        with self._lock:
            self._check_open()
            return [self._infos[name] for name in sorted(self._infos)]

    def drop_space(self, name: str) -> None:
        """Close and delete the shard of ``name``; a missing space is not an error."""
        with self._lock, self._writing():
            shard = self._shards.pop(name, None)
            self._infos.pop(name, None)
            self._rows.pop(name, None)
            self._building.pop(name, None)
            self.broken.pop(name, None)
            if shard is not None:
                with edge_errors(f"closing vector space {name!r}"):
                    shard.close()
            # The name may come from a request: only ever delete a directory of our own shape.
            space_dir = self.root / name
            if SPACE_DIR_RE.match(name) and space_dir.is_dir():
                trash(self.root, space_dir)

    # ---------------------------------------------------------------- writes

    def upsert(
        self,
        space: str,
        sample_ids: Sequence[int] | np.ndarray,
        vectors: Sequence[Sequence[float]] | np.ndarray,
        dataset_ids: int | Sequence[int] | np.ndarray,
    ) -> int:
        """Insert or replace vectors, in batches of :data:`BATCH` points."""
        with self._lock, self._writing():
            shard = self._shard(space)
            info = self._infos[space]
            ids, given, datasets = adapter_io.upsert_inputs(info, sample_ids, vectors, dataset_ids)
            # Normalized here, the shard keeps them as they are (it leaves unit vectors
            # alone), so the row copy holds the very same floats.
            matrix = stored_vectors(given, info.distance)
            rows_copy = self._rows[space]
            changes = self._building.get(space)
            if changes is not None:
                # Before writing: if a batch fails, replay reads whatever the live shard has.
                changes.upserted.update(ids)
                changes.deleted.difference_update(ids)
            with rows_copy.writing():
                for start in range(0, len(ids), BATCH):
                    batch = slice(start, start + BATCH)
                    points = [
                        qe.Point(pid, {space: row}, {"dataset_id": ds})
                        for pid, row, ds in zip(
                            ids[batch], matrix[batch].tolist(), datasets[batch], strict=True
                        )
                    ]
                    with edge_errors(f"writing vectors to {space!r}"):
                        shard.update(qe.UpdateOperation.upsert_points(points))
                    rows_copy.append(ids[batch], datasets[batch], matrix[batch])
            return len(ids)

    def delete(self, sample_ids: Sequence[int] | np.ndarray, space: str | None = None) -> None:
        """Delete points by sample id from one space or all."""
        ids = adapter_io.as_ids(sample_ids)
        with self._lock, self._writing():
            self._check_open()
            names = [space] if space is not None else list(self._shards)
            for name in names:
                shard = self._shard(name)
                changes = self._building.get(name)
                rows_copy = self._rows[name]
                for start in range(0, len(ids), BATCH * 8):
                    chunk = ids[start : start + BATCH * 8]
                    with rows_copy.writing(), edge_errors(f"deleting vectors from {name!r}"):
                        shard.update(qe.UpdateOperation.delete_points(pids(chunk)))
                        rows_copy.delete_ids(chunk)
                    if changes is not None:  # after writing: only what was deleted
                        changes.deleted.update(chunk)
                        changes.upserted.difference_update(chunk)

    def delete_dataset(self, dataset_id: int, space: str | None = None) -> int:
        """Delete every point of ``dataset_id`` (payload filter); returns the number removed."""
        removed = 0
        flt = dataset_filter(int(dataset_id), None)
        assert flt is not None
        with self._lock, self._writing():
            self._check_open()
            names = [space] if space is not None else list(self._shards)
            for name in names:
                shard = self._shard(name)
                rows_copy = self._rows[name]
                with (
                    rows_copy.writing(),
                    edge_errors(f"deleting dataset {dataset_id} from {name!r}"),
                ):
                    removed += shard.count(qe.CountRequest(exact=True, filter=flt))
                    shard.update(qe.UpdateOperation.delete_points_by_filter(flt))
                    rows_copy.delete_dataset(int(dataset_id))
                changes = self._building.get(name)
                if changes is not None:
                    changes.deleted_datasets.add(int(dataset_id))
        return removed

    def optimize(self, space: str) -> None:
        """Build the HNSW index of ``space`` in a worker process, then swap it in.

        Blocks the calling thread (call it from a job, never the event loop) but not the
        others: reads and writes go on against the live shard meanwhile, and writes made
        during the build are replayed onto the new shard.
        """
        with self._lock:
            shard = self._shard(space)
            if space in self._building:
                raise VectorStoreError(f"the index of {space!r} is already being built")
            with edge_errors(f"flushing {space!r}"):
                shard.flush()
            space_dir = self.root / space
            build_dir = space_dir / f"build-{uuid.uuid4().hex[:8]}"
            edge_index.copy_shard(space_dir / SHARD_DIR, build_dir)
            self._building[space] = edge_index.Changes()
            # A space without its row copy (written by older code, or dropped after a
            # failed write) gets one from the copy, in the child too.
            rebuilt = None if self._rows[space].valid else space_dir / REBUILT_DIR
        try:
            edge_index.optimize_in_subprocess(
                build_dir, None if rebuilt is None else (rebuilt, space, self._infos[space].dim)
            )
        except BaseException:
            with self._lock:
                self._building.pop(space, None)
            shutil.rmtree(build_dir, ignore_errors=True)
            raise
        with self._lock, self._writing():
            changes = self._building.pop(space, None)
            if changes is None or space not in self._shards:
                shutil.rmtree(build_dir, ignore_errors=True)  # dropped meanwhile
                return
            old = self._shards[space]
            records = edge_index.read_changed(old, space, changes)
            with edge_errors(f"closing {space!r}"):
                old.close()
            del self._shards[space]
            try:
                new_shard = edge_index.swap_in(space_dir / SHARD_DIR, build_dir)
            except VectorStoreError:
                # swap_in put the old shard back; serve it again, unindexed as before.
                with edge_errors(f"reopening {space!r}"):
                    self._shards[space] = qe.EdgeShard.load(str(space_dir / SHARD_DIR))
                raise
            self._shards[space] = new_shard
            edge_index.replay(new_shard, changes, records)
            if rebuilt is not None:
                rows = VectorRows(rebuilt, self._infos[space].dim)
                edge_index.replay_rows(rows, space, changes, records)
                self._rows[space].adopt(rows)

    # ---------------------------------------------------------------- reads

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
        """Nearest neighbours of each query, best first (one planned batch)."""
        with self._lock:
            return self._search_batch(space, queries, k, dataset_id, sample_ids, exact, hnsw_ef)

    def _search_batch(
        self,
        space: str,
        queries: Sequence[Sequence[float]] | np.ndarray,
        k: int,
        dataset_id: int | None,
        sample_ids: Sequence[int] | np.ndarray | None,
        exact: bool,
        hnsw_ef: int | None,
    ) -> list[list[Hit]]:
        # The lock costs no parallelism: qdrant_edge holds the GIL during a query anyway.
        shard = self._shard(space)
        matrix, limit, ids = adapter_io.search_inputs(self._infos[space], queries, k, sample_ids)
        if ids is not None and not ids:
            return [[] for _ in range(len(matrix))]
        flt = dataset_filter(dataset_id, ids)
        params = qe.SearchParams(hnsw_ef=hnsw_ef, exact=exact)
        requests = [
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(row, using=space),
                filter=flt,
                params=params,
                with_payload=False,
                with_vector=False,
            )
            for row in matrix.tolist()
        ]
        with edge_errors(f"searching {space!r}"):
            results = shard.query_batch(qe.QueryBatchRequest(requests))
        return [[Hit(int(p.id), float(p.score)) for p in res] for res in results]

    def get_vectors(
        self, space: str, sample_ids: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Stored vectors of those ids that have one, in the order asked (gathered from the
        space's row copy where it is in step, else read from the shard)."""
        ids = adapter_io.as_ids(sample_ids)
        with self._lock, edge_errors(f"reading vectors of {space!r}"):
            shard = self._shard(space)
            rows = self._rows[space]
            live = rows.live(lambda: self.count(space))
            if live is not None:
                return rows.gather(live, np.asarray(ids, dtype=np.int64))
            found: dict[int, list[float]] = {}
            for start in range(0, len(ids), BATCH):
                for rec in shard.retrieve(pids(ids[start : start + BATCH]), False, [space]):
                    vec = rec.vector
                    assert isinstance(vec, dict)
                    found[int(rec.id)] = vec[space]  # type: ignore[assignment]
        return adapter_io.vectors_in_asked_order(ids, found, self._infos[space].dim)

    def count(self, space: str, dataset_id: int | None = None) -> int:
        """Exact number of points (of one dataset, if given)."""
        with self._lock, edge_errors(f"counting {space!r}"):
            shard = self._shard(space)
            return int(
                shard.count(qe.CountRequest(exact=True, filter=dataset_filter(dataset_id, None)))
            )

    def points(self, space: str, dataset_id: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(sample_ids, dataset_ids)`` of every point, sorted by sample id."""
        flt = dataset_filter(dataset_id, None)
        with self._lock:
            self._shard(space)
            live = self._rows[space].live(lambda: self.count(space))
            if live is not None:
                keep = slice(None) if dataset_id is None else live.datasets == dataset_id
                return live.ids[keep].copy(), live.datasets[keep].copy()

        with self._lock, edge_errors(f"listing {space!r}"):
            shard = self._shard(space)

            def page(offset: Any) -> tuple[list[Any], Any]:
                return shard.scroll(
                    qe.ScrollRequest(
                        offset=offset,
                        limit=10_000,
                        filter=flt,
                        with_payload=["dataset_id"],
                        with_vector=False,
                    )
                )

            return adapter_io.sorted_points(adapter_io.scroll_pages(page))

    # ---------------------------------------------------------------- lifecycle

    def flush(self) -> None:
        """Write every shard's pending changes to its segments."""
        with self._lock:
            for name, shard in self._shards.items():
                with edge_errors(f"flushing {name!r}"):
                    shard.flush()

    def close(self) -> None:
        """Flush and close every shard, releasing their locks. Idempotent."""
        with self._lock:
            self._closed = True
            shards, self._shards = self._shards, {}
            for name, shard in shards.items():
                with edge_errors(f"closing {name!r}"):
                    shard.close()
