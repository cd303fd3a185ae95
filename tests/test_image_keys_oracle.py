"""The names a prediction may give its image, made set-based, against the way they were made
before, on random datasets (duplicate base names in other folders, names two samples have,
``\\`` and URLs stored, image ids, a split given or not):

- ``_vl_image_keys`` of ``create_image_keys`` (``catalog/writes/image_keys.py``) against the
  five regexp passes and ``arg_min`` over pairs it was made with (:data:`REFERENCE_KEYS`);
- names as other tools write them, resolved for a whole batch in SQL
  (``catalog/writes/path_keys.py``), against the rule applied one name at a time: the
  per-name :class:`ReferencePathKeys` below (``normalize_name`` and ``NameIndex.resolve`` of
  ``records/image_names.py``, as ``PathKeys`` was before it was set-based) on random
  spellings, batch by batch.

The same keys, samples, widths, heights, priorities and ambiguous lists, or a test fails."""

from __future__ import annotations

import random
from collections.abc import Iterable
from urllib.parse import quote

import duckdb
import pyarrow as pa
import pytest

from visionlens_jlab.catalog.writes.image_keys import create_image_keys
from visionlens_jlab.catalog.writes.path_keys import PathKeys
from visionlens_jlab.records.image_names import (
    AMBIGUOUS,
    NameIndex,
    matched_by_suffix,
    normalize_name,
)

FOLDERS = ["train", "val", "sub", "a b", "x%y", "images", "2017"]
BASES = [
    "a.jpg",
    "b.jpg",
    "000000000123.jpg",
    "0007.jpg",
    "007.png",
    "3.jpg",
    "c d.png",
    "e",
    "100%.jpg",
    ".hidden",
    "f.tar.gz",
]

Row = tuple[int, str, str | None, str]
"""A sample: (sample_id, file_name, source_image_id, split)."""

REFERENCE_KEYS = """
SELECT source_image_id AS key, sample_id, width, height, 0 AS priority
  FROM samples WHERE dataset_id = $dataset AND source_image_id IS NOT NULL {only}
UNION ALL SELECT file_name, sample_id, width, height, 1
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(file_name, '^.*[/\\\\]', ''), sample_id, width, height, 2
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(regexp_replace(file_name, '^.*[/\\\\]', ''), '\\.[^.]*$', ''),
                 sample_id, width, height, 3
  FROM samples WHERE dataset_id = $dataset {only}
UNION ALL SELECT regexp_replace(stem, '^0+([0-9])', '\\1'), sample_id, width, height, 4
  FROM (SELECT regexp_replace(regexp_replace(file_name, '^.*[/\\\\]', ''), '\\.[^.]*$', '')
               AS stem, sample_id, width, height
          FROM samples WHERE dataset_id = $dataset {only})
 WHERE regexp_matches(stem, '^0+[0-9]+$')
"""
REFERENCE_SPLIT_IDS = """
UNION ALL SELECT source_image_id[length($split) + 2:], sample_id, width, height, 0
  FROM samples WHERE dataset_id = $dataset AND split = $split
   AND starts_with(source_image_id, $split || '/')
"""


def reference_image_keys(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, split: str | None
) -> None:
    """``create_image_keys`` as it was: the oracle."""
    params: dict[str, object] = {"dataset": dataset_id}
    names = REFERENCE_KEYS.format(only="")
    if split is not None:
        params["split"] = split
        names = REFERENCE_KEYS.format(only="AND split = $split") + REFERENCE_SPLIT_IDS
    first, last = "(priority, sample_id)", "(-priority, sample_id)"
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_image_keys AS "  # noqa: S608 - fixed text
        f"SELECT key, arg_min(sample_id, {first}) AS sample_id, "
        f"arg_min(width, {first}) AS width, arg_min(height, {first}) AS height, "
        f"MIN(priority) AS priority, arg_max(sample_id, {last}) AS last_id "
        f"FROM ({names}) GROUP BY key",
        params,
    )
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _vl_ambiguous_keys AS "
        "SELECT key FROM _vl_image_keys WHERE sample_id <> last_id; "
        "DELETE FROM _vl_image_keys WHERE sample_id <> last_id; "
        "ALTER TABLE _vl_image_keys DROP COLUMN last_id"
    )


class ReferencePathKeys:
    """The rule one name at a time: the oracle."""

    def __init__(self, cur: duckdb.DuckDBPyConnection, dataset_id: int, split: str | None) -> None:
        self._cur, self._dataset_id, self._split = cur, dataset_id, split
        self._index: NameIndex | None = None
        self._tried: set[str] = set()

    def add(self, refs: Iterable[object]) -> list[str]:
        found: list[tuple[str, str | None, int | None]] = []
        ambiguous: list[str] = []
        new = {r for r in refs if isinstance(r, str)} - self._tried
        self._tried |= new
        names = {ref: normalize_name(ref) for ref in new - set(self._keys(new))}
        keys = self._keys(set(names.values()))
        for ref, name in names.items():
            if name in keys:
                if keys[name]:
                    ambiguous.append(ref)
                else:
                    found.append((ref, name, None))
            elif matched_by_suffix(name):
                sample = self._names().resolve(name)
                if sample == AMBIGUOUS:
                    ambiguous.append(ref)
                elif sample is not None:
                    found.append((ref, None, sample))
        if found:
            refs_, names_, samples = zip(*found, strict=True)
            table = pa.table({"ref": pa.array(refs_, pa.string()),
                              "name": pa.array(names_, pa.string()),
                              "sample": pa.array(samples, pa.int64())})  # fmt: skip
            self._cur.register("_ref_rows", table)
            self._cur.execute(
                "INSERT INTO _vl_image_keys SELECT r.ref, s.sample_id, s.width, s.height, 5 "
                "FROM _ref_rows r LEFT JOIN _vl_image_keys k ON k.key = r.name "
                "JOIN samples s ON s.sample_id = coalesce(r.sample, k.sample_id)"
            )
            self._cur.unregister("_ref_rows")
        for ref in ambiguous:
            self._cur.execute("INSERT INTO _vl_ambiguous_keys VALUES (?)", [ref])
        return sorted(ambiguous)

    def _keys(self, names: set[str]) -> dict[str, bool]:
        rows = self._cur.execute(
            "SELECT key, false FROM _vl_image_keys WHERE key IN (SELECT unnest($names)) "
            "UNION ALL SELECT key, true FROM _vl_ambiguous_keys "
            "WHERE key IN (SELECT unnest($names))",
            {"names": list(names)},
        ).fetchall()
        return dict(rows)

    def _names(self) -> NameIndex:
        if self._index is None:
            rows = self._cur.execute(
                "SELECT file_name, sample_id FROM samples WHERE dataset_id = ? "
                "AND (? IS NULL OR split = ?)",
                [self._dataset_id, self._split, self._split],
            ).fetchall()
            self._index = NameIndex(rows)
        return self._index


def _dataset(rnd: random.Random) -> list[Row]:
    """Samples with duplicate base names in other
    folders, a file name two samples have, names stored with ``\\`` or ``./``."""
    rows: list[Row] = []
    for i in range(rnd.randint(1, 30)):
        parts = [rnd.choice(FOLDERS) for _ in range(rnd.choice([0, 1, 1, 2, 3]))]
        name = "/".join([*parts, rnd.choice(BASES)])
        if rnd.random() < 0.1:
            name = name.replace("/", "\\")
        elif rnd.random() < 0.05:
            name = "./" + name
        elif rnd.random() < 0.05:
            name = f"gs://bucket/{quote(name)}"
        if rows and rnd.random() < 0.1:
            name = rnd.choice(rows)[1]  # the same file twice (frames of a video, say)
        image_id = rnd.choice([None, str(i + 1), f"{rnd.choice(['train', 'val'])}/{i}"])
        rows.append((100 + i, name, image_id, rnd.choice(["train", "val"])))
    return rows


def _spelling(rnd: random.Random, name: str) -> object:
    """``name`` as another tool writes it, or a name that fits nothing."""
    slash = name.replace("\\", "/")
    parts = slash.split("/")
    spellings = [
        lambda: "./" + slash,
        lambda: slash.replace("/", "\\"),
        lambda: ".\\" + slash.replace("/", "\\"),
        lambda: "/data/coco/" + slash,
        lambda: "/" + "/".join(rnd.choice(FOLDERS) for _ in range(rnd.randint(0, 3))) + "/" + slash,
        lambda: "C:\\Users\\me\\" + slash.replace("/", "\\"),
        lambda: "\\\\server\\share\\" + slash.replace("/", "\\"),
        lambda: f"gs://bucket/root/{quote(slash)}",
        lambda: f"https://host:8080/{quote(slash)}?sig=1#x",
        lambda: f"s3://b/{slash}",  # spaces and % left as they are
        lambda: "coco/" + slash,
        lambda: "/".join(parts[-rnd.randint(1, len(parts)) :]),
        lambda: "/other/root/" + "/".join([rnd.choice(FOLDERS), parts[-1]]),
        lambda: "a/./" + slash,
        lambda: "././" + slash.replace("/", "/././", 1),
        lambda: "././" + parts[-1],  # a base name, once normalized
        lambda: ".\\./" + rnd.choice(["1", "2", "train/1", "e"]),  # an image id, a stem
        lambda: "/x/y/nothing.jpg",
        lambda: rnd.choice(["", "/", "//", "gs://bucket", "./", "http://h/%2F", "s3:\\\\b\\a.jpg"]),
        lambda: rnd.choice([None, 7, 1.5]),
        lambda: name,
        lambda: rnd.choice(BASES),
    ]
    return rnd.choice(spellings)()


def _catalog(rows: list[Row]) -> duckdb.DuckDBPyConnection:
    cur = duckdb.connect()
    cur.execute(
        "CREATE TABLE samples (dataset_id INTEGER, sample_id BIGINT, file_name VARCHAR, "
        "source_image_id VARCHAR, width INTEGER, height INTEGER, split VARCHAR)"
    )
    cur.executemany(
        "INSERT INTO samples VALUES (1, ?, ?, ?, ?, ?, ?)",
        [[s, name, image_id, s % 7 + 1, s % 5 + 1, split] for s, name, image_id, split in rows],
    )
    cur.execute("INSERT INTO samples VALUES (2, 1, 'train/a.jpg', NULL, 1, 1, 'train')")
    return cur


def _state(cur: duckdb.DuckDBPyConnection) -> tuple[list[tuple], list[tuple], list[str]]:
    types = cur.execute("DESCRIBE _vl_image_keys").fetchall()
    keys = cur.execute(
        "SELECT key, sample_id, width, height, priority FROM _vl_image_keys ORDER BY ALL"
    ).fetchall()
    ambiguous = [k for (k,) in cur.execute("SELECT key FROM _vl_ambiguous_keys").fetchall()]
    return types, keys, sorted(ambiguous)


def _split(rnd: random.Random, rows: list[Row]) -> str | None:
    split = rnd.choice([None, None, "train", "val"])
    return None if split is not None and all(r[3] != split for r in rows) else split


@pytest.mark.parametrize("seed", range(60))
def test_image_keys_as_before(seed: int) -> None:
    rnd = random.Random(seed)
    rows = _dataset(rnd)
    if rnd.random() < 0.5:  # the negative ids the pairs' order must keep
        rows = [(-s if s % 2 else s, name, image_id, split) for s, name, image_id, split in rows]
    split = _split(rnd, rows)
    new, old = _catalog(rows), _catalog(rows)
    create_image_keys(new, 1, split)
    reference_image_keys(old, 1, split)
    assert _state(new) == _state(old)


@pytest.mark.parametrize("seed", range(60))
def test_batches_resolve_as_one_name_at_a_time(seed: int) -> None:
    rnd = random.Random(seed)
    rows = _dataset(rnd)
    split = _split(rnd, rows)
    new, old = _catalog(rows), _catalog(rows)
    create_image_keys(new, 1, split)
    create_image_keys(old, 1, split)
    keys, reference = PathKeys(new, 1, split), ReferencePathKeys(old, 1, split)
    for _ in range(rnd.randint(1, 4)):  # later batches repeat names and use the keys made
        refs = [_spelling(rnd, rnd.choice(rows)[1]) for _ in range(rnd.randint(0, 60))]
        assert keys.add(refs) == reference.add(refs)
        assert _state(new) == _state(old)


def test_the_cases_the_random_ones_stand_for() -> None:
    """Each branch of the rule seen to happen, so the comparison above is not vacuous."""
    rows: list[Row] = [(1, "train/a.jpg", None, "train"), (2, "val/a.jpg", None, "val"),
            (3, "e.jpg", None, "train"), (4, "sub/e.jpg", None, "train"),
            (5, "x/f.jpg", None, "train"), (6, "x/f.jpg", None, "train"),
            (7, "gs://bucket/d%20e/g.jpg", None, "val")]  # fmt: skip
    cur = _catalog(rows)
    create_image_keys(cur, 1)
    paths = PathKeys(cur, 1)
    ambiguous = paths.add(
        ["./train/a.jpg", "/data/val/a.jpg", "/m/sub/e.jpg", "/m/e.jpg", "/r/x/f.jpg",
         "/elsewhere/a.jpg", "https://h/root/d e/g.jpg", "C:\\u\\train\\a.jpg",
         "/other/layout/train2017/a.jpg", "/nothing/z.jpg", "a.jpg", "val\\..\\a.jpg"]
    )  # fmt: skip
    assert ambiguous == ["/elsewhere/a.jpg", "/other/layout/train2017/a.jpg", "/r/x/f.jpg",
                         "val\\..\\a.jpg"]  # fmt: skip
    found = dict(
        cur.execute("SELECT key, sample_id FROM _vl_image_keys WHERE priority = 5").fetchall()
    )
    assert found == {"./train/a.jpg": 1, "/data/val/a.jpg": 2, "/m/sub/e.jpg": 4, "/m/e.jpg": 3,
                     "https://h/root/d e/g.jpg": 7, "C:\\u\\train\\a.jpg": 1,
                     }  # fmt: skip
