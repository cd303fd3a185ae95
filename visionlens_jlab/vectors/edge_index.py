"""Build an Edge shard's HNSW index in another process, then swap the result in.

``EdgeShard.optimize()`` holds the GIL from start to end (tens of seconds for 100K x 512
on two cores), which would freeze the Jupyter server's event loop. So the server copies the
flushed shard, a child process (``python -m visionlens_jlab.vectors.edge_index DIR``)
optimizes the copy, and the server swaps directories and replays what was written
meanwhile (see :meth:`EdgeVectorStore.optimize`).

Swap protocol, crash-safe at every step: ``shard`` -> ``shard.old``, ``build`` -> ``shard``,
delete ``shard.old``. :func:`recover_swap` (run on open) restores ``shard.old`` when a crash
left no ``shard``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import qdrant_edge as qe

from .base import VectorStoreError

OLD_SUFFIX = ".old"
BUILD_TIMEOUT_S = 6 * 3600


def copy_shard(shard_dir: Path, build_dir: Path) -> None:
    """Copy a flushed shard (segments and WAL) to ``build_dir``."""
    # The WAL's lock file is copied as a plain file; locks are not, so the copy opens fine.
    shutil.copytree(shard_dir, build_dir)


def optimize_in_subprocess(build_dir: Path) -> None:
    """Run :func:`main` on ``build_dir`` in a fresh interpreter; raise with its stderr on failure."""
    proc = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "visionlens_jlab.vectors.edge_index", str(build_dir)],
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


def swap_in(shard_dir: Path, build_dir: Path) -> qe.EdgeShard:
    """Replace the (closed) shard at ``shard_dir`` by ``build_dir`` and open it."""
    old = shard_dir.with_name(shard_dir.name + OLD_SUFFIX)
    shard_dir.rename(old)
    build_dir.rename(shard_dir)
    shutil.rmtree(old, ignore_errors=True)
    try:
        return qe.EdgeShard.load(str(shard_dir))
    except Exception as exc:
        raise VectorStoreError(f"opening the rebuilt shard {shard_dir}: {exc}") from exc


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
    if len(argv) != 1:
        print("usage: python -m visionlens_jlab.vectors.edge_index SHARD_DIR", file=sys.stderr)
        return 2
    shard = qe.EdgeShard.load(argv[0])
    try:
        shard.optimize()
        shard.flush()
    finally:
        shard.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
