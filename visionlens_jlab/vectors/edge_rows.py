"""A space's vectors as plain float32 rows beside its Edge shard, for reading them back fast.

Reading vectors out of Qdrant Edge costs ~42 µs a 512-d vector, nearly all of it the
binding turning each record's vector into a dict of Python floats (a 1M-vector selection,
map or duplicates run spent ~44 s on it: ``benchmarks/results/select.md``). So every write
through :class:`~.edge.EdgeVectorStore` is also appended here, and reads gather rows from a
memory map. This is a copy kept in step with the shard, never a second source of truth: when
in doubt it is thrown away and reads go to the shard again.

Layout, in ``<space>/rows/``::

    points.i64    (sample id, dataset id) of each upserted row, in write order
    vectors.f32   that row's vector (the stored one: normalized for cosine spaces)
    deletes.i64   (rows written before it, sample id or -1, dataset id or -1) per delete
    writing       present while a write is under way: found on open, the copy is stale

A row is live when it is the last upsert of its sample id and no later delete names that
id or its dataset. The copy is dropped (and reads fall back to the shard) when a write
fails, when ``writing`` is left by a crash, when the files' sizes disagree, or when its
live count differs from the shard's. Rewritten without dead rows when they outnumber the
live ones.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

ROWS_DIR = "rows"
REBUILT_DIR = "rows.rebuilt"
"""Where the index builder writes the rows of a space that has none (see :mod:`.edge_index`)."""
_POINTS = "points.i64"
_VECTORS = "vectors.f32"
_DELETES = "deletes.i64"
_WRITING = "writing"
Ids = Sequence[int] | np.ndarray
COMPACT_MIN_DEAD = 10_000
"""Dead rows tolerated before a rewrite, whatever the live count (small spaces never pay it)."""


@dataclass(frozen=True)
class LiveRows:
    """The live rows: ``ids`` sorted, each one's ``datasets`` and ``rows`` (its position in
    ``vectors.f32``), and how many rows the files held (``written``, ``deletes``) when read."""

    ids: np.ndarray
    datasets: np.ndarray
    rows: np.ndarray
    written: int
    deletes: int
    dead: int


def live_rows(points: np.ndarray, deletes: np.ndarray) -> LiveRows:
    """Which of the upserted ``points`` (n x 2: id, dataset) are live after ``deletes``
    (m x 3: rows before, id or -1, dataset or -1)."""
    n = len(points)
    ids, datasets = points[:, 0], points[:, 1]
    # The last upsert of each id: np.unique on the reversed ids finds each id's first
    # position from the end.
    unique, first_from_end = np.unique(ids[::-1], return_index=True)
    last = (n - 1 - first_from_end).astype(np.int64)
    live = np.ones(len(unique), dtype=bool)
    for before, sample_id, dataset_id in deletes.tolist():
        if sample_id >= 0:
            at = int(np.searchsorted(unique, sample_id))
            if at < len(unique) and unique[at] == sample_id and last[at] < before:
                live[at] = False
        else:
            live &= ~((datasets[last] == dataset_id) & (last < before))
    return LiveRows(
        ids=unique[live],
        datasets=datasets[last[live]],
        rows=last[live],
        written=n,
        deletes=len(deletes),
        dead=n - int(live.sum()),
    )


def clear_leftovers(space_dir: Path) -> None:
    """Remove what a crash mid-rewrite or mid-rebuild left beside the rows of a space."""
    for leftover in space_dir.glob(f"{ROWS_DIR}.*"):
        shutil.rmtree(leftover, ignore_errors=True)


class VectorRows:
    """The row copy of one space (see the module's docstring). Not thread-safe: the store
    calls it under its own lock."""

    def __init__(self, rows_dir: Path, dim: int) -> None:
        self.dir = rows_dir
        self.dim = dim
        self._live: LiveRows | None = None
        if (self.dir / _WRITING).exists():
            log.warning("the vector rows %s were left mid-write: reading the shard", rows_dir)
            self.drop()

    @property
    def valid(self) -> bool:
        """Whether the copy exists (then it holds every point of the shard)."""
        return (self.dir / _POINTS).exists()

    def start_empty(self) -> None:
        """Begin the copy of a space that holds no point yet (emptying what a failed
        earlier attempt left there)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for name in (_POINTS, _VECTORS, _DELETES):
            (self.dir / name).write_bytes(b"")

    def drop(self) -> None:
        """Throw the copy away: reads go to the shard from now on."""
        self._forget()
        shutil.rmtree(self.dir, ignore_errors=True)

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Around a write to the shard: the copy is dropped unless the write completes."""
        if not self.valid:
            yield
            return
        marker = self.dir / _WRITING
        marker.touch()
        try:
            yield
        except BaseException:
            self.drop()
            raise
        marker.unlink()

    def append(self, ids: Ids, datasets: Ids, vectors: np.ndarray) -> None:
        """Record upserted points (call inside :meth:`writing`, after the shard took them)."""
        if not self.valid:
            return
        pairs = np.column_stack([np.asarray(ids), np.asarray(datasets)]).astype("<i8")
        with open(self.dir / _VECTORS, "ab") as out:
            out.write(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
        with open(self.dir / _POINTS, "ab") as out:
            out.write(pairs.tobytes())
        self._forget()

    def delete_ids(self, ids: Ids) -> None:
        """Record deleted sample ids (inside :meth:`writing`, after the shard's delete)."""
        sample_ids = np.asarray(ids, dtype=np.int64)
        written = np.full(len(sample_ids), self._written())
        self._record_deletes(np.column_stack([written, sample_ids, -np.ones_like(sample_ids)]))

    def delete_dataset(self, dataset_id: int) -> None:
        """Record a deleted dataset (inside :meth:`writing`, after the shard's delete)."""
        self._record_deletes(np.array([[self._written(), -1, dataset_id]]))

    def _written(self) -> int:
        return (self.dir / _POINTS).stat().st_size // 16 if self.valid else 0

    def _record_deletes(self, rows: np.ndarray) -> None:
        if not self.valid:
            return
        with open(self.dir / _DELETES, "ab") as out:
            out.write(rows.astype("<i8").tobytes())
        self._forget()

    def live(self, shard_count: Callable[[], int]) -> LiveRows | None:
        """The live rows, or ``None`` (copy dropped) when the files disagree with each other
        or with the shard's exact point count (``shard_count()``, asked once after each
        write); rewrites the files without dead rows first when they are mostly dead."""
        if not self.valid:
            return None
        if self._live is None:
            sizes = [(self.dir / name).stat().st_size for name in (_POINTS, _DELETES, _VECTORS)]
            rows = sizes[0] // 16
            if sizes[0] % 16 or sizes[1] % 24 or sizes[2] != rows * self.dim * 4:
                log.warning("vector rows %s: torn files (sizes %s)", self.dir, sizes)
                self.drop()
                return None
            points = np.fromfile(self.dir / _POINTS, dtype="<i8").reshape(-1, 2)
            deletes = np.fromfile(self.dir / _DELETES, dtype="<i8").reshape(-1, 3)
            live = live_rows(points, deletes)
            counted = shard_count()
            if len(live.ids) != counted:
                log.warning(
                    "vector rows %s hold %d points, the shard %d: reading the shard",
                    self.dir,
                    len(live.ids),
                    counted,
                )
                self.drop()
                return None
            self._live = live
            if live.dead > max(COMPACT_MIN_DEAD, len(live.ids)):
                self._compact(live)
        return self._live

    def gather(self, live: LiveRows, asked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, vectors)`` of those ``asked`` ids that are live, in the order asked."""
        if not len(live.ids):
            return asked[:0], np.empty((0, self.dim), dtype=np.float32)
        at = np.minimum(np.searchsorted(live.ids, asked), len(live.ids) - 1)
        hit = live.ids[at] == asked
        return asked[hit], self.vectors(live.rows[at[hit]])

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The vectors of those rows (positions from :meth:`live`), as a new array.

        Read run by run of consecutive rows into the array, not through a memory map:
        mapped pages would count in the process's resident memory beside the copy (4 GB
        for 1M 512-d vectors instead of 2)."""
        out = np.empty((len(rows), self.dim), dtype="<f4")
        if not len(rows):
            return out
        row_bytes = self.dim * 4
        breaks = np.flatnonzero(np.diff(rows) != 1) + 1
        starts = np.concatenate([[0], breaks])
        ends = np.concatenate([breaks, [len(rows)]])
        with open(self.dir / _VECTORS, "rb", buffering=0) as src:
            for begin, end in zip(starts.tolist(), ends.tolist(), strict=True):
                src.seek(int(rows[begin]) * row_bytes)
                view = out[begin:end].data.cast("B")
                if src.readinto(view) != len(view):
                    raise OSError(f"vector rows {self.dir}: the file ends early")
        return out

    def _compact(self, live: LiveRows) -> None:
        """Rewrite the files with only the live rows, in id order; a crash keeps the old."""
        new = self.dir.with_name(f"{self.dir.name}.new")
        shutil.rmtree(new, ignore_errors=True)
        new.mkdir()
        with open(new / _VECTORS, "wb") as out:
            for start in range(0, len(live.rows), 65_536):
                out.write(self.vectors(live.rows[start : start + 65_536]).tobytes())
        np.column_stack([live.ids, live.datasets]).astype("<i8").tofile(new / _POINTS)
        (new / _DELETES).touch()
        self._forget()
        old = self.dir.with_name(f"{self.dir.name}.old")
        self.dir.rename(old)
        new.rename(self.dir)
        shutil.rmtree(old, ignore_errors=True)
        n = len(live.ids)
        self._live = LiveRows(live.ids, live.datasets, np.arange(n, dtype=np.int64), n, 0, 0)

    def adopt(self, rebuilt: VectorRows) -> None:
        """Take ``rebuilt`` (a complete copy written elsewhere) as this copy."""
        self.drop()
        rebuilt.dir.rename(self.dir)
        self._forget()

    def _forget(self) -> None:
        self._live = None


def stored_vectors(matrix: np.ndarray, distance: str) -> np.ndarray:
    """The vectors as a space stores them: at unit length in cosine spaces (a zero vector
    as it is). Qdrant normalizes too, but leaves a vector whose squared length is within
    1e-6 of 1 untouched: given these, the shard stores exactly these floats."""
    if distance != "cosine":
        return matrix
    norms = np.sqrt(np.einsum("ij,ij->i", matrix, matrix, dtype=np.float32))
    norms[norms < np.finfo(np.float32).eps] = 1.0
    return matrix / norms[:, None]
