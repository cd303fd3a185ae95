"""Build an Edge shard's HNSW index in another process, then swap the result in.

``EdgeShard.optimize()`` holds the GIL from start to end (tens of seconds for 100K x 512
on two cores), which would freeze the Jupyter server's event loop. So the server copies the
flushed shard, a child process (``python -m visionlens_jlab.vectors.edge_index DIR``)
optimizes the copy, and the server swaps directories and replays what was written
meanwhile (see :meth:`EdgeVectorStore.optimize`).

Swap protocol, crash-safe at every step: ``shard`` -> ``shard.old``, ``build`` -> ``shard``,
open it (else put ``shard.old`` back), delete ``shard.old``. :func:`recover_swap` (run on open) restores ``shard.old`` when a crash
left no ``shard``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from .base import VectorStoreError
from .edge_rows import VectorRows
from .edge_util import dataset_filter, edge_errors, pids

OLD_SUFFIX = ".old"
BUILD_TIMEOUT_S = 6 * 3600
REPLAY_BATCH = 1024


def copy_shard(shard_dir: Path, build_dir: Path) -> None:
    """Copy a flushed shard (segments and WAL) to ``build_dir``."""
    # The WAL's lock file is copied as a plain file; locks are not, so the copy opens fine.
    shutil.copytree(shard_dir, build_dir)


def optimize_in_subprocess(build_dir: Path, rows: tuple[Path, str, int] | None = None) -> None:
    """Run :func:`main` on ``build_dir`` in a fresh interpreter; raise with its stderr on
    failure. ``rows``: ``(directory, space, dim)`` to write the copy's vectors as rows
    (:mod:`.edge_rows`) too."""
    extra = [] if rows is None else [str(rows[0]), rows[1], str(rows[2])]
    proc = subprocess.run(
        [sys.executable, "-m", "visionlens_jlab.vectors.edge_index", str(build_dir), *extra],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise VectorStoreError(
            f"building the vector index failed (exit {proc.returncode}): " + " | ".join(tail)
        )


class Changes:
    """Writes made to a space while its index is built elsewhere, replayed after the swap."""

    def __init__(self) -> None:
        self.upserted: set[int] = set()
        self.deleted: set[int] = set()
        self.deleted_datasets: set[int] = set()


def read_changed(old: qe.EdgeShard, space: str, changes: Changes) -> list[qe.Record]:
    """The current points (vector and payload) that were upserted during the build."""
    ids = sorted(changes.upserted)
    with edge_errors(f"reading changes of {space!r}"):
        return [
            rec
            for start in range(0, len(ids), REPLAY_BATCH)
            for rec in old.retrieve(pids(ids[start : start + REPLAY_BATCH]), True, [space])
        ]


def replay(new: qe.EdgeShard, changes: Changes, records: list[qe.Record]) -> None:
    """Apply the build-time writes to the new shard: deletes first, then current points.

    ``records`` hold each touched point's final state, so replaying them last is right
    whatever order the writes came in (an upsert after a dataset delete survives it).
    """
    with edge_errors("replaying changes onto the rebuilt shard"):
        for dataset_id in sorted(changes.deleted_datasets):
            flt = dataset_filter(dataset_id, None)
            assert flt is not None
            new.update(qe.UpdateOperation.delete_points_by_filter(flt))
        if changes.deleted:
            new.update(qe.UpdateOperation.delete_points(pids(sorted(changes.deleted))))
        for start in range(0, len(records), REPLAY_BATCH):
            batch = records[start : start + REPLAY_BATCH]
            points = [qe.Point(r.id, r.vector or {}, r.payload) for r in batch]
            new.update(qe.UpdateOperation.upsert_points(points))
        new.flush()


def replay_rows(rows: VectorRows, space: str, changes: Changes, records: list[qe.Record]) -> None:
    """Apply the build-time writes to rows written from the copy, as :func:`replay` does."""
    for dataset_id in sorted(changes.deleted_datasets):
        rows.delete_dataset(dataset_id)
    if changes.deleted:
        rows.delete_ids(np.array(sorted(changes.deleted), dtype=np.int64))
    if records:
        rows.append(*record_rows(records, space))


def record_rows(records: list[qe.Record], space: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(sample ids, dataset ids, vectors)`` of Edge records read with their payload's
    ``dataset_id`` and the space's vector."""
    vectors = []
    for rec in records:
        vec = rec.vector
        assert isinstance(vec, dict)
        vectors.append(vec[space])
    return (
        np.array([int(r.id) for r in records], dtype=np.int64),
        np.array([int((r.payload or {})["dataset_id"]) for r in records], dtype=np.int64),
        np.array(vectors, dtype=np.float32),
    )


def write_rows(shard: qe.EdgeShard, rows: VectorRows, space: str) -> None:
    """Every point of ``shard`` into the empty ``rows``, page by page."""
    rows.start_empty()
    offset: Any = None
    while True:
        with edge_errors(f"reading the vectors of {space!r}"):
            page, offset = shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=REPLAY_BATCH * 4,
                    with_payload=["dataset_id"],
                    with_vector=[space],
                )
            )
        if page:
            rows.append(*record_rows(page, space))
        if offset is None:
            return


def swap_in(shard_dir: Path, build_dir: Path) -> qe.EdgeShard:
    """Replace the (closed) shard at ``shard_dir`` by ``build_dir`` and open it."""
    old = shard_dir.with_name(shard_dir.name + OLD_SUFFIX)
    shard_dir.rename(old)
    build_dir.rename(shard_dir)
    try:
        shard = qe.EdgeShard.load(str(shard_dir))
    except Exception as exc:
        shutil.rmtree(shard_dir, ignore_errors=True)  # put the old shard back
        old.rename(shard_dir)
        raise VectorStoreError(f"opening the rebuilt shard {shard_dir}: {exc}") from exc
    shutil.rmtree(old, ignore_errors=True)
    return shard


def recover_swap(shard_dir: Path) -> None:
    """Finish or undo a swap that a crash interrupted."""
    old = shard_dir.with_name(shard_dir.name + OLD_SUFFIX)
    if not old.exists():
        return
    if shard_dir.exists():
        shutil.rmtree(old, ignore_errors=True)  # the swap finished; only the cleanup was lost
    else:
        old.rename(shard_dir)  # crashed between the two renames: keep the old shard


def main(argv: list[str]) -> int:
    """Optimize the shard in ``argv[0]`` (the child process's entry point)."""
    if len(argv) not in (1, 4):
        print(
            "usage: python -m visionlens_jlab.vectors.edge_index SHARD_DIR [ROWS_DIR SPACE DIM]",
            file=sys.stderr,
        )
        return 2
    shard = qe.EdgeShard.load(argv[0])
    try:
        shard.optimize()
        shard.flush()
        if len(argv) == 4:
            write_rows(shard, VectorRows(Path(argv[1]), int(argv[3])), argv[2])
    finally:
        shard.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
