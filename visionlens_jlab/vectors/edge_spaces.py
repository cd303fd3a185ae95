"""The on-disk life of one Qdrant Edge vector space: create, load (with crash recovery), trash.

Layout of a space under the store's root::

    <space>/space.json   model, version, dim, distance (written last: a space without it
                         is a half-created one and is discarded on open)
    <space>/shard/       the Edge shard (segments + WAL; the WAL lock keeps other processes out)
    <space>/build-*/     a copy being indexed by a worker process (see :mod:`.edge_index`)
    <space>/rows/        the vectors as plain rows, kept in step with the shard (:mod:`.edge_rows`)
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import uuid
from pathlib import Path

import qdrant_edge as qe

from . import edge_index
from .base import SpaceInfo, VectorStoreError, VectorStoreLockedError
from .edge_rows import clear_leftovers
from .edge_util import edge_errors

log = logging.getLogger(__name__)

SPACE_FILE = "space.json"
SHARD_DIR = "shard"

SPACE_DIR_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""What :func:`~.base.space_name` produces: the only directory names ever deleted."""
_DISTANCE = {"cosine": qe.Distance.Cosine, "dot": qe.Distance.Dot, "euclid": qe.Distance.Euclid}


class BrokenSpace(Exception):
    """A space whose files exist but cannot be opened (kept on disk, reported by name)."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(why)
        self.name = name
        self.why = why


def trash(root: Path, path: Path) -> None:
    """Delete ``path`` (a space directory under ``root``) so that a crash never leaves a
    half-deleted space: rename it first, then remove it."""
    target = root / f".trash-{path.name}-{uuid.uuid4().hex[:8]}"
    path.rename(target)
    shutil.rmtree(target, ignore_errors=True)


def load_space(root: Path, space_dir: Path) -> tuple[SpaceInfo, qe.EdgeShard] | None:
    """Open the space in ``space_dir``, finishing or undoing what a crash left.

    Returns None for a directory that holds nothing (a drop's trash, a space whose creation
    never finished: both removed); raises :class:`BrokenSpace` for a space that exists but
    cannot be opened, and :class:`~.base.VectorStoreLockedError` if another process holds it.
    """
    if space_dir.name.startswith(".trash-"):
        shutil.rmtree(space_dir, ignore_errors=True)
        return None
    meta = space_dir / SPACE_FILE
    if not meta.exists():
        # Crashed between creating the shard and writing space.json: nothing was stored.
        log.warning("discarding half-created vector space %s", space_dir)
        trash(root, space_dir)
        return None
    for leftover in space_dir.glob("build-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    clear_leftovers(space_dir)
    edge_index.recover_swap(space_dir / SHARD_DIR)
    try:
        info = SpaceInfo.from_json(json.loads(meta.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        log.error("unreadable vector space metadata %s: %s", meta, exc)
        raise BrokenSpace(space_dir.name, f"unreadable metadata: {exc}") from exc
    try:
        with edge_errors(f"opening vector space {info.name!r}"):
            shard = qe.EdgeShard.load(str(space_dir / SHARD_DIR))
    except VectorStoreLockedError:
        raise
    except VectorStoreError as exc:
        # A derived index must not keep the server from starting: report, keep the files.
        log.error("%s; the space is unavailable until dropped and embedded again", exc)
        raise BrokenSpace(info.name, str(exc)) from exc
    return info, shard


def create_space(root: Path, wanted: SpaceInfo) -> qe.EdgeShard:
    """Create the shard of ``wanted`` under ``root`` (replacing leftovers of that name) and
    write its ``space.json`` last; on failure nothing of it remains."""
    space_dir = root / wanted.name
    if space_dir.exists():
        trash(root, space_dir)
    # Memory.Cold: the vectors stay in their memory-mapped files until a search touches
    # them. The default (Cached) reads them all in as the shard opens (282 MB resident
    # against 87 MB for an indexed 100K x 512), paid by every command that opens the store
    # although reads of vectors go to the row copy (:mod:`.edge_rows`); 2.8 GB at 1M put
    # a CLI selection over 4 GB. The price: a fresh process's first HNSW searches fault
    # the pages in (median 15-24 ms against 2-3 ms over its first 50 queries at 100K);
    # the server's store process keeps them. Upserts and unindexed search: alike.
    params = qe.EdgeVectorParams(
        size=wanted.dim, distance=_DISTANCE[wanted.distance], memory=qe.Memory.Cold
    )
    config = qe.EdgeConfig(vectors={wanted.name: params})
    shard = None
    try:
        with edge_errors(f"creating vector space {wanted.name!r}"):
            shard = qe.EdgeShard.create(str(space_dir / SHARD_DIR), config)
            shard.update(
                qe.UpdateOperation.create_field_index("dataset_id", qe.PayloadSchemaType.Integer)
            )
            shard.flush()
    except BaseException:
        if shard is not None:
            shard.close()
        if space_dir.exists():
            trash(root, space_dir)
        raise
    tmp = space_dir / f"{SPACE_FILE}.tmp"
    tmp.write_text(json.dumps(wanted.to_json(), indent=1))
    tmp.replace(space_dir / SPACE_FILE)
    return shard
