"""The SQL the media area needs: where a sample's image is, and which images are bad.

Bad media (missing, corrupt, too large, unsupported images found while serving or
pre-generating thumbnails) are kept one row per sample in ``media_status``, so the dataset
view can show counts without decoding anything (a table of schema 1, declared in the media's
catalog manifest, :mod:`.manifest`).
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from ..catalog.store.catalog import Catalog, NotFoundError
from .confine import Confined, confine
from .errors import MEDIA_ERROR_CODES
from .status_table import MEDIA_STATUS_DDL

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class SampleMedia:
    """Where one sample's image lives and the root it must stay inside."""

    dataset_id: int
    sample_id: int
    location: str
    media_root: str
    width: int | None = None
    """The recorded size (None: unknown): a placeholder for a bad image takes its shape."""
    height: int | None = None


DatasetIdentity = tuple[int, object, str]
"""``(dataset_id, created_at, media_root)``: one ingest of a dataset. Ids alone repeat when
the only dataset is deleted and ingested again (they restart from the committed maxima)."""


class SampleMediaCache:
    """Memoizes where samples' images are (:class:`SampleMedia`), per dataset, until that
    dataset is deleted or ingested again.

    A DuckDB point query costs ~0.3-1 ms (more under load) and would block the event loop
    on every thumbnail request. A sample's location and its dataset's media root are written
    once, by the ingest, and never updated, so what can make an entry stale is the dataset
    going away or being replaced. Every committed write changes the size or mtime of the
    catalog file or its write-ahead log (read-only transactions change neither), so a
    ``stat`` of the two (~5 us) tells whether anything changed. After a change each
    dataset's entries are kept, unconfirmed: the next request for that dataset asks the
    catalog once (off the event loop, in :meth:`get`) whether it is still the same ingest
    (:data:`DatasetIdentity`), and drops its entries only if not. A tag, prediction or
    evaluation write thus costs one one-row query per browsed dataset instead of every
    dataset's entries (each miss reloads :data:`NEIGHBOURS` rows either side).
    """

    def __init__(self, catalog: Catalog, max_entries: int = 200_000) -> None:
        self.catalog = catalog
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, int], SampleMedia] = OrderedDict()
        self._identity: dict[str, DatasetIdentity | None] = {}  # what the entries belong to
        self._confirmed: set[str] = set()  # datasets whose identity was checked under _token
        self._token: tuple[object, ...] | None = None
        self._lock = threading.Lock()

    def _catalog_token(self) -> tuple[object, ...]:
        out: list[object] = []
        for path in (str(self.catalog.path), f"{self.catalog.path}.wal"):
            try:
                st = os.stat(path)
                out.append((st.st_mtime_ns, st.st_size, st.st_ino))
            except OSError:
                out.append(None)
        return tuple(out)

    def peek(self, dataset: str, sample_id: int) -> SampleMedia | None:
        """The memoized answer, or ``None`` (then call :meth:`get` off the event loop)."""
        token = self._catalog_token()
        with self._lock:
            if token != self._token:
                self._token = token
                self._confirmed.clear()
            if dataset not in self._confirmed:
                return None
            hit = self._entries.get((dataset, sample_id))
            if hit is not None:
                self._entries.move_to_end((dataset, sample_id))
            return hit

    def get(self, dataset: str, sample_id: int) -> SampleMedia:
        """The image location of ``sample_id`` in ``dataset``; :class:`NotFoundError` otherwise
        (a sample id of another dataset too: the id alone never grants access). A miss loads
        the sample's neighbours too.

        Grids scroll through ids in order, so one query for the ids around the requested
        one (:data:`NEIGHBOURS` either side) saves the next few hundred queries.
        """
        hit = self.peek(dataset, sample_id)
        if hit is not None:
            return hit
        token = self._catalog_token()
        identity = _dataset_identity(self.catalog, dataset)
        with self._lock:
            if self._identity.get(dataset) != identity:
                self._drop(dataset)
                self._identity[dataset] = identity
            if token == self._token:  # a write since the token was taken: check again
                self._confirmed.add(dataset)
            hit = self._entries.get((dataset, sample_id))
        if hit is not None:
            return hit
        if identity is None:
            raise NotFoundError(f"no dataset named {dataset!r}")
        rows = _sample_window(self.catalog, dataset, sample_id, NEIGHBOURS)
        with self._lock:
            if self._identity.get(dataset) == identity:  # else replaced meanwhile: keep none
                for media in rows:
                    self._entries[(dataset, media.sample_id)] = media
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        for media in rows:
            if media.sample_id == sample_id:
                return media
        raise NotFoundError(f"no sample {sample_id} in dataset {dataset!r}")

    def _drop(self, dataset: str) -> None:
        """Forget ``dataset``'s entries (caller holds the lock): it was deleted or replaced."""
        for key in [k for k in self._entries if k[0] == dataset]:
            del self._entries[key]


NEIGHBOURS = 256


def _sample_window(
    catalog: Catalog, dataset: str, sample_id: int, radius: int
) -> list[SampleMedia]:
    with catalog.cursor() as cur:
        rows = cur.execute(
            """
            SELECT s.sample_id, s.dataset_id, s.location, d.media_root, s.width, s.height
            FROM samples s JOIN datasets d ON d.dataset_id = s.dataset_id
            WHERE d.name = ? AND s.sample_id BETWEEN ? AND ?
            """,
            [dataset, sample_id - radius, sample_id + radius],
        ).fetchall()
    return [
        SampleMedia(
            int(r[1]),
            int(r[0]),
            str(r[2]),
            str(r[3]),
            None if r[4] is None else int(r[4]),
            None if r[5] is None else int(r[5]),
        )
        for r in rows
    ]


def _dataset_identity(catalog: Catalog, dataset: str) -> DatasetIdentity | None:
    with catalog.cursor() as cur:
        row = cur.execute(
            "SELECT dataset_id, created_at, media_root FROM datasets WHERE name = ?", [dataset]
        ).fetchone()
    return None if row is None else (int(row[0]), row[1], str(row[2]))


SAMPLE_COLUMNS = ("sample_id", "file_name", "location", "width", "height", "split")
"""The ``samples`` columns :func:`dataset_samples` can read."""


@dataclass(frozen=True)
class DatasetSamples:
    """A dataset's media root and the samples a job reads, in sample id order."""

    dataset_id: int
    media_root: str
    samples: pa.Table
    """``sample_id``, ``location`` and the other columns asked for."""

    def locations(self) -> list[tuple[int, str]]:
        """``(sample_id, location)`` of every sample, as stored (not yet confined)."""
        ids, locations = (self.samples[c].to_pylist() for c in ("sample_id", "location"))
        return [(int(i), str(loc)) for i, loc in zip(ids, locations, strict=True)]

    def confine(self, tick: Callable[[int], None] | None = None) -> Confined:
        """The media route's rule applied to every sample: what a job may read
        (:func:`~.confine.confine`)."""
        return confine(self.locations(), self.media_root, tick)


def dataset_samples(catalog: Catalog, dataset: str, columns: Iterable[str] = ()) -> DatasetSamples:
    """Read ``dataset``'s media root and its samples' ids, locations and ``columns`` (of
    :data:`SAMPLE_COLUMNS`) in sample id order; :class:`NotFoundError` for no such dataset."""
    wanted = list(dict.fromkeys(["sample_id", "location", *columns]))
    unknown = sorted(set(wanted) - set(SAMPLE_COLUMNS))
    if unknown:
        raise ValueError(f"not a samples column to read: {', '.join(unknown)}")
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        ((media_root,),) = cur.execute(
            "SELECT media_root FROM datasets WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
        samples = cur.sql(
            f"SELECT {', '.join(wanted)} FROM samples WHERE dataset_id = ? "  # noqa: S608 - columns of SAMPLE_COLUMNS
            "ORDER BY sample_id",
            params=[dataset_id],
        ).to_arrow_table()
    return DatasetSamples(dataset_id, str(media_root), samples)


def dataset_media(catalog: Catalog, dataset: str) -> tuple[int, str, list[tuple[int, str]]]:
    """``(dataset_id, media_root, [(sample_id, location), ...])`` in sample order."""
    read = dataset_samples(catalog, dataset)
    return read.dataset_id, read.media_root, read.locations()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def record_media_errors(
    catalog: Catalog,
    dataset_id: int,
    errors: Iterable[tuple[int, str, str]],
    *,
    clear: Iterable[int] = (),
    replace_all: bool = False,
) -> None:
    """Store ``(sample_id, code, detail)`` rows; drop rows of ``clear`` (now fine) samples.

    ``replace_all`` (after a full pre-generation pass) first forgets every row of the dataset.
    Nothing is written if the dataset was deleted meanwhile.
    """
    rows = [(sid, code, detail[:500]) for sid, code, detail in errors]
    cleared = list(clear)
    if not rows and not cleared and not replace_all:
        return
    with catalog.write(dataset_id, keeps_derived=True) as cur:  # not samples nor boxes
        cur.execute(MEDIA_STATUS_DDL)
        if not cur.execute("SELECT 1 FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone():
            return
        if replace_all:
            cur.execute("DELETE FROM media_status WHERE dataset_id = ?", [dataset_id])
        else:
            gone = cleared + [sid for sid, _, _ in rows]
            if gone:
                cur.execute(
                    "DELETE FROM media_status WHERE dataset_id = ? AND list_contains(?, sample_id)",
                    [dataset_id, gone],
                )
        if rows:
            now = _now()
            cur.executemany(
                "INSERT INTO media_status VALUES (?, ?, ?, ?, ?)",
                [[dataset_id, sid, code, detail, now] for sid, code, detail in rows],
            )


def bad_sample_ids(catalog: Catalog, dataset_id: int) -> set[int]:
    """Samples currently recorded as bad media."""
    with catalog.cursor() as cur:
        if not _has_table(cur):
            return set()
        rows = cur.execute(
            "SELECT sample_id FROM media_status WHERE dataset_id = ?", [dataset_id]
        ).fetchall()
    return {int(r[0]) for r in rows}


def bad_media_counts(catalog: Catalog, dataset: str) -> dict[str, object]:
    """``{"missing": n, "corrupt": n, "too_large": n, "unsupported": n, "total": n,
    "examples": [{sample_id, error, detail}, ...]}`` for the dataset view (up to 5 examples)."""
    counts: dict[str, object] = dict.fromkeys(MEDIA_ERROR_CODES, 0)
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        examples: list[dict[str, object]] = []
        if _has_table(cur):
            for code, n in cur.execute(
                "SELECT error, COUNT(*) FROM media_status WHERE dataset_id = ? GROUP BY error",
                [dataset_id],
            ).fetchall():
                counts[str(code)] = int(n)
            examples = [
                {"sample_id": int(r[0]), "error": r[1], "detail": r[2]}
                for r in cur.execute(
                    """
                    SELECT sample_id, error, detail FROM media_status WHERE dataset_id = ?
                    ORDER BY sample_id LIMIT 5
                    """,
                    [dataset_id],
                ).fetchall()
            ]
    counts["total"] = sum(int(counts[c]) for c in MEDIA_ERROR_CODES)  # type: ignore[call-overload]
    counts["examples"] = examples
    return counts


def _has_table(cur: object) -> bool:
    row = cur.execute(  # type: ignore[attr-defined]
        "SELECT 1 FROM information_schema.tables WHERE table_name = 'media_status'"
    ).fetchone()
    return row is not None
