"""Where semantic masks are recorded: three dataset tables, created by migration step 22.

* ``semantic_masks``: one row per labelled image and source (ground truth or a model): the
  PNG's location (and, for a COCO panoptic PNG, its ``segments_info`` JSON). The pixels stay in their files, read on demand: a 512x512 mask is 256 KB
  of class indices (a few KB as PNG), so 10K masks would be 2.5 GB as rows, where the
  catalog holds 10K paths; nothing in the catalog filters by a single pixel.
* ``semantic_sources``: per source, its layout, ignore index and ``value_map`` (pixel value
  → class index; NULL where the values are the indices), and when its masks were recorded
  (``imported_at``, migration step 30: masks imported again from the same paths are new
  labels, which a result computed over the old ones must notice: :func:`masks_basis`).
  A model's masks also have its row of ``models``, written by their import (step 31 adds
  those of the masks imported before: :func:`register_models`).
* ``semantic_classes``: the dataset's classes (index, name, colour; panoptic: the category
  id as index, and whether it is a thing).

A source of a layout in :data:`COLOR_LAYOUTS` may hold RGB masks painted in its classes'
colours: those of ``semantic_classes`` (VOC's palette, a CVAT labelmap's), read back
through :func:`source_colors`. The layout says it, so no column was added for it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from ..catalog import GROUND_TRUTH, NotFoundError
from .classes import IGNORE, ClassSet
from .label_maps import ColorTable, color_table

if TYPE_CHECKING:
    from ..catalog import Catalog

MASKS, SOURCES, CLASSES = "semantic_masks", "semantic_sources", "semantic_classes"
__all__ = [
    "GROUND_TRUTH",
    "IMAGE_IOU_FIELD",
    "PANOPTIC_IMAGE_FIELDS",
    "PANOPTIC_LAYOUT",
    "TABLES",
    "add_import_time",
    "register_models",
    "class_rows",
    "COLOR_LAYOUTS",
    "PAINTED_PREDICTIONS",
    "PREDICTIONS",
    "class_colors",
    "painted_colors",
    "source_colors",
    "create_tables",
    "masks_basis",
    "value_lut",
    "mask_rows",
    "read_encoding",
    "read_masks",
    "write_masks",
]
TABLES = (MASKS, SOURCES, CLASSES)
PANOPTIC_LAYOUT = "coco-panoptic"
"""The layout of COCO panoptic PNGs (:mod:`.panoptic`), also its results' ``models.format``."""
IMAGE_IOU_FIELD = "semantic_miou"
"""The computed sample field of an image's mean IoU (:mod:`.evaluate`)."""
PANOPTIC_IMAGE_FIELDS = ("panoptic_pq", "panoptic_sq", "panoptic_rq")
"""The computed sample fields of an image's panoptic PQ, SQ and RQ (:mod:`.panoptic`)."""
PREDICTIONS = "predictions"
"""The layout of a model's masks of class indices (or values encoded like the ground truth)."""
PAINTED_PREDICTIONS = "predictions-rgb"
"""The layout of a model's masks of which some are RGB, painted in the dataset's classes'
colours (the others class indices)."""
COLOR_LAYOUTS = frozenset({"voc", "cvat", PAINTED_PREDICTIONS})
"""The layouts whose RGB masks are read through the classes' colours: VOC's (its palette:
a ``SegmentationClass`` PNG saved again as RGB), a CVAT / Datumaro export's (its
``labelmap.txt``), a model's painted like them."""

_DDL = (
    f"CREATE TABLE IF NOT EXISTS {MASKS} (dataset_id BIGINT NOT NULL, sample_id BIGINT NOT NULL,"
    " source VARCHAR NOT NULL, location VARCHAR NOT NULL, segments JSON)",
    f"CREATE TABLE IF NOT EXISTS {SOURCES} (dataset_id BIGINT NOT NULL, source VARCHAR NOT NULL,"
    " layout VARCHAR, ignore_index INTEGER NOT NULL, value_map INTEGER[], imported_at TIMESTAMP)",
    f"CREATE TABLE IF NOT EXISTS {CLASSES} (dataset_id BIGINT NOT NULL,"
    " class_index INTEGER NOT NULL, name VARCHAR NOT NULL, color INTEGER[], isthing BOOLEAN)",
)


def create_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 22: the three tables (empty for an old catalog)."""
    for statement in _DDL:
        cur.execute(statement)


def add_import_time(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 30: when each source's masks were recorded (NULL for those recorded
    before: a result computed over them keeps its basis until they are imported again)."""
    cur.execute(f"ALTER TABLE {SOURCES} ADD COLUMN IF NOT EXISTS imported_at TIMESTAMP")


def register_models(cur: duckdb.DuckDBPyConnection) -> None:
    """Migration step 31: a ``models`` row for each model whose masks were imported before
    their import wrote one, so it is listed with the dataset's other models: format
    ``semantic`` (``coco-panoptic`` for panoptic results, as their imports write), the
    folder of its masks as source (the folder or JSON file it was imported from was not
    kept), its masks' count and import time (step 30), else the dataset's creation: a time
    no result or version of the dataset predates, so none turns stale by the backfill. A
    name that has a row already (predictions imported under it) keeps that row."""
    found = cur.execute(
        f"""
        SELECT s.dataset_id, s.source, s.layout, coalesce(s.imported_at, d.created_at),
               count(m.location), min(m.location), max(m.location)
        FROM {SOURCES} s JOIN datasets d ON d.dataset_id = s.dataset_id
        LEFT JOIN {MASKS} m ON m.dataset_id = s.dataset_id AND m.source = s.source
        WHERE s.source <> $gt AND NOT EXISTS (
            SELECT 1 FROM models x WHERE x.dataset_id = s.dataset_id AND x.name = s.source)
        GROUP BY ALL
        """,  # noqa: S608 - fixed identifiers
        {"gt": GROUND_TRUTH},
    ).fetchall()
    for dataset_id, source, layout, imported, count, first, last in found:
        folder = _common_folder(first, last) if count else ""
        report = {"counts": {"predictions": count}, "warnings": [], "errors": []}
        cur.execute(
            "INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?)",
            [dataset_id, source, layout if layout == PANOPTIC_LAYOUT else "semantic", folder,
             imported, count, json.dumps(report)],
        )  # fmt: skip


def _common_folder(first: str, last: str) -> str:
    """The folder both masks are under: with the first and last by name, every mask of the
    source ("" where they share none, e.g. on two Windows drives)."""
    try:
        return os.path.commonpath([os.path.dirname(first), os.path.dirname(last)])
    except ValueError:  # an opening catalog must not fail over a display value
        return ""


@dataclass(frozen=True)
class SourceMasks:
    """One source's masks of a dataset: sample ids and PNG locations, and its encoding."""

    sample_ids: list[int]
    locations: list[str]
    ignore_index: int
    value_map: tuple[int, ...] | None
    colors: ColorTable | None = None
    """Where its RGB masks' colours are classes' (:func:`source_colors`)."""


def painted_colors(layout: str | None, colors: Sequence[Sequence[int] | None]) -> ColorTable | None:
    """The table a source of ``layout`` reads its RGB masks through: the classes' ``colors``
    (by index) for a layout of :data:`COLOR_LAYOUTS`, else None (an RGB mask is refused)."""
    if layout not in COLOR_LAYOUTS:
        return None
    return color_table(colors, IGNORE)


def class_colors(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[list[int] | None]:
    """The dataset's class colours by class index (None: a class without one)."""
    rows = cur.execute(
        f"SELECT color FROM {CLASSES} WHERE dataset_id = ? ORDER BY class_index",  # noqa: S608 - fixed identifiers
        [dataset_id],
    ).fetchall()
    return [r[0] for r in rows]


def source_colors(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str
) -> ColorTable | None:
    """:func:`painted_colors` of ``source`` (None without masks or a colour layout)."""
    found = cur.execute(
        f"SELECT layout FROM {SOURCES} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
        [dataset_id, source],
    ).fetchall()
    if not found or found[0][0] not in COLOR_LAYOUTS:
        return None
    return painted_colors(found[0][0], class_colors(cur, dataset_id))


def value_lut(ignore_index: int, value_map: Sequence[int] | None) -> np.ndarray | None:
    """The lookup table :func:`~.label_maps.read_label_map` maps a source's pixel values
    through to class indices (None: the values are the indices)."""
    if value_map is None:
        return None
    return np.asarray(value_map, dtype=np.uint8 if ignore_index < 256 else np.int32)


def mask_rows(
    source: str,
    rows: list[tuple[int, str]],
    classes: ClassSet,
    layout: str,
    segments: Sequence[str | None] | None = None,
    sample_key: str = "sample_id",
) -> dict[str, pa.Table]:
    """``source``'s masks (``(sample, location)`` rows, with each one's panoptic
    ``segments`` JSON where given) and its encoding, as rows of :data:`MASKS` and
    :data:`SOURCES` without their dataset id. ``sample_key`` names the sample column:
    ``sample_index`` for a dataset still being written, whose writer numbers the samples."""
    ids, locations = zip(*rows, strict=True) if rows else ((), ())
    value_map = list(classes.value_map) if classes.value_map else None
    return {
        MASKS: pa.table(
            {
                sample_key: pa.array(ids, pa.int64()),
                "source": pa.array([source] * len(ids), pa.string()),
                "location": pa.array(locations, pa.string()),
                "segments": pa.array(segments or [None] * len(ids), pa.string()),
            }
        ),
        SOURCES: pa.table(
            {
                "source": pa.array([source], pa.string()),
                "layout": pa.array([layout], pa.string()),
                "ignore_index": pa.array([classes.ignore_index], pa.int32()),
                "value_map": pa.array([value_map], pa.list_(pa.int32())),
                "imported_at": pa.array(
                    [datetime.now(UTC).replace(tzinfo=None)], pa.timestamp("us")
                ),
            }
        ),
    }


def class_rows(
    classes: ClassSet, ids: list[int] | None = None, things: list[bool] | None = None
) -> dict[str, pa.Table]:
    """The dataset's classes (panoptic: their category ``ids`` and ``things``) as rows of
    :data:`CLASSES` without their dataset id."""
    count = len(classes.names)
    colors = [list(c) for c in classes.colors[:count]]
    return {
        CLASSES: pa.table(
            {
                "class_index": pa.array(ids or range(count), pa.int32()),
                "name": pa.array(classes.names, pa.string()),
                "color": pa.array(colors + [None] * (count - len(colors)), pa.list_(pa.int32())),
                "isthing": pa.array(things, pa.bool_()) if things else pa.nulls(count, pa.bool_()),
            }
        )
    }


def write_masks(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    source: str,
    rows: list[tuple[int, str]],
    classes: ClassSet,
    layout: str,
    segments: Sequence[str | None] | None = None,
) -> None:
    """Replace ``source``'s masks (:func:`mask_rows`, by sample id) and encoding, inside the
    caller's transaction."""
    for table in (MASKS, SOURCES):
        cur.execute(
            f"DELETE FROM {table} WHERE dataset_id = ? AND source = ?",  # noqa: S608 - fixed identifiers
            [dataset_id, source],
        )
    for table, batch in mask_rows(source, rows, classes, layout, segments).items():
        cur.register("_vl_semantic", batch)
        # no try/finally: after a failed insert the transaction is aborted and unregister()
        # would raise, hiding the real error; the cursor is closed with the transaction
        cur.execute(
            f"INSERT INTO {table} BY NAME SELECT ? AS dataset_id, * FROM _vl_semantic",  # noqa: S608 - fixed identifiers
            [dataset_id],
        )
        cur.unregister("_vl_semantic")


def masks_basis(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, sources: list[str]
) -> dict[str, Any]:
    """A fingerprint of ``sources``' masks as imported, to store with a result computed over
    them (:func:`~visionlens_jlab.catalog.reads.result_basis.basis` fingerprints the
    annotation tables only): a hash of each source's encoding and import time. Masks
    imported again move it, even from the same paths (whose pixels may have changed);
    deleting samples, which takes their masks along, does not (the samples' own
    fingerprint says that). JSON-safe: the hash as text."""
    ((imports,),) = cur.execute(
        f"SELECT coalesce(sum(hash(source, ignore_index, value_map, imported_at)), 0) "  # noqa: S608 - fixed identifiers
        f"FROM {SOURCES} WHERE dataset_id = $d AND list_contains($s, source)",
        {"d": dataset_id, "s": sources},
    ).fetchall()
    return {"masks_imported": str(imports)}


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
    colors = source_colors(cur, dataset_id, source)
    return SourceMasks([r[0] for r in rows], [r[1] for r in rows], ignore_index, value_map, colors)


def mask_layout(catalog: Catalog, dataset: str, source: str) -> str | None:
    """The layout of ``source``'s masks in ``dataset`` (:data:`PREDICTIONS` or
    :data:`PAINTED_PREDICTIONS` for a model's semantic masks, ``coco-panoptic`` for panoptic
    ones), None where it has none."""
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
