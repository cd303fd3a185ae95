"""Where semantic masks are recorded: three dataset tables, created by migration step 22.

* ``semantic_masks``: one row per labelled image and source (ground truth or a model): the
  PNG's location (and, for a COCO panoptic PNG, its ``segments_info`` JSON). The pixels stay in their files, read on demand: a 512x512 mask is 256 KB
  of class indices (a few KB as PNG), so 10K masks would be 2.5 GB as rows, where the
  catalog holds 10K paths; nothing in the catalog filters by a single pixel.
* ``semantic_sources``: per source, its layout, ignore index and ``value_map`` (pixel value
  → class index; NULL where the values are the indices).
* ``semantic_classes``: the dataset's classes (index, name, colour; panoptic: the category
  id as index, and whether it is a thing).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from ..catalog import GROUND_TRUTH, NotFoundError
from .classes import ClassSet

if TYPE_CHECKING:
    from ..catalog import Catalog

MASKS, SOURCES, CLASSES = "semantic_masks", "semantic_sources", "semantic_classes"
__all__ = ["GROUND_TRUTH", "TABLES", "create_tables", "read_encoding", "read_masks", "write_masks"]
TABLES = (MASKS, SOURCES, CLASSES)

_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MASKS} (dataset_id BIGINT NOT NULL, sample_id BIGINT NOT NULL,"
    " source VARCHAR NOT NULL, location VARCHAR NOT NULL, segments JSON)",
    f"CREATE TABLE IF NOT EXISTS {SOURCES} (dataset_id BIGINT NOT NULL, source VARCHAR NOT NULL,"
    " layout VARCHAR, ignore_index INTEGER NOT NULL, value_map INTEGER[])",
    f"CREATE TABLE IF NOT EXISTS {CLASSES} (dataset_id BIGINT NOT NULL,"
    " class_index INTEGER NOT NULL, name VARCHAR NOT NULL, color INTEGER[], isthing BOOLEAN)",
)


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 22: the three tables (empty for an old catalog)."""
    for statement in _DDL:
        cur.execute(statement)


@dataclass(frozen=True)
class SourceMasks:
    """One source's masks of a dataset: sample ids and PNG locations, and its encoding."""

    sample_ids: list[int]
    locations: list[str]
    ignore_index: int
    value_map: tuple[int, ...] | None


def write_masks(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    source: str,
    rows: list[tuple[int, str]],
    classes: ClassSet,
    layout: str,
    segments: Sequence[str | None] | None = None,
) -> None:
    """Replace ``source``'s masks (``(sample_id, location)`` rows, with each one's panoptic
    ``segments`` JSON where given) and encoding, inside the caller's transaction."""
    for table in (MASKS, SOURCES):
        cur.execute(
            f"DELETE FROM {table} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
            [dataset_id, source],
        )
    ids, locations = zip(*rows, strict=True) if rows else ((), ())
    batch = pa.table(
        {
            "sample_id": pa.array(ids, pa.int64()),
            "location": pa.array(locations, pa.string()),
            "segments": pa.array(segments if segments else [None] * len(ids), pa.string()),
        }
    )
    cur.register("_vl_semantic", batch)
    try:
        cur.execute(
            f"INSERT INTO {MASKS} SELECT ?, sample_id, ?, location, segments FROM _vl_semantic",  # noqa: S608 - fixed identifiers
            [dataset_id, source],
        )
    finally:
        cur.unregister("_vl_semantic")
    cur.execute(
        f"INSERT INTO {SOURCES} VALUES (?, ?, ?, ?, ?)",  # noqa: S608 - fixed identifiers
        [
            dataset_id,
            source,
            layout,
            classes.ignore_index,
            list(classes.value_map) if classes.value_map else None,
        ],
    )


def write_classes(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    classes: ClassSet,
    ids: list[int] | None = None,
    things: list[bool] | None = None,
) -> None:
    """Replace the dataset's classes (panoptic: their category ``ids`` and ``things``)."""
    cur.execute(f"DELETE FROM {CLASSES} WHERE dataset_id = ?", [dataset_id])  # noqa: S608 - fixed identifiers
    cur.executemany(
        f"INSERT INTO {CLASSES} VALUES (?, ?, ?, ?, ?)",  # noqa: S608 - fixed identifiers
        [
            [
                dataset_id,
                ids[i] if ids else i,
                name,
                list(classes.colors[i]) if i < len(classes.colors) else None,
                things[i] if things else None,
            ]
            for i, name in enumerate(classes.names)
        ],
    )


def read_classes(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """The dataset's class names by index (empty: not a semantic dataset)."""
    rows = cur.execute(
        f"SELECT name FROM {CLASSES} WHERE dataset_id = ? ORDER BY class_index",  # noqa: S608 - fixed identifiers
        [dataset_id],
    ).fetchall()
    return [r[0] for r in rows]


def read_encoding(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str
) -> tuple[int, tuple[int, ...] | None]:
    """``source``'s ignore index and value map (:class:`NotFoundError` when it has no masks)."""
    found = cur.execute(
        f"SELECT ignore_index, value_map FROM {SOURCES} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
        [dataset_id, source],
    ).fetchall()
    if not found:
        raise NotFoundError(f"no semantic masks of {source!r} in this dataset")
    ignore_index, value_map = found[0]
    return int(ignore_index), (tuple(value_map) if value_map is not None else None)


def read_masks(cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str) -> SourceMasks:
    """``source``'s masks, by sample id (:class:`NotFoundError` when it has none)."""
    ignore_index, value_map = read_encoding(cur, dataset_id, source)
    rows = cur.execute(
        f"SELECT sample_id, location FROM {MASKS} WHERE dataset_id = ? AND source = ? "  # noqa: S608 - fixed identifiers
        "ORDER BY sample_id",
        [dataset_id, source],
    ).fetchall()
    return SourceMasks([r[0] for r in rows], [r[1] for r in rows], ignore_index, value_map)


def mask_layout(catalog: Catalog, dataset: str, source: str) -> str | None:
    """The layout of ``source``'s masks in ``dataset`` (``predictions`` for a model's
    semantic masks, ``coco-panoptic`` for panoptic ones), None where it has none."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            f"SELECT layout FROM {SOURCES} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
            [dataset_id, source],
        ).fetchall()
    return rows[0][0] if rows else None


def read_panoptic(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str
) -> dict[int, tuple[str, str]]:
    """``source``'s panoptic PNGs and segments JSON, by sample id."""
    rows = cur.execute(
        f"SELECT sample_id, location, segments FROM {MASKS} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
        [dataset_id, source],
    ).fetchall()
    return {r[0]: (r[1], r[2]) for r in rows}


def read_categories(
    cur: duckdb.DuckDBPyConnection, dataset_id: int
) -> dict[int, dict[str, object]]:
    """The panoptic categories: id → ``{"name", "isthing"}``."""
    rows = cur.execute(
        f"SELECT class_index, name, isthing FROM {CLASSES} WHERE dataset_id = ?",  # noqa: S608 - fixed identifiers
        [dataset_id],
    ).fetchall()
    return {r[0]: {"name": r[1], "isthing": bool(r[2])} for r in rows}
