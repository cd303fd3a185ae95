"""Migration step 16: the mask areas of objects stored before ingest measured them.

``annotations.segmentation`` is of schema 1: the releases before step 6 kept COCO masks, and
so did the first code of step 6, but neither wrote ``mask_area``, and step 6 gave the old
rows NULL. A mask is an object with a mask area everywhere today (the ``mask`` label type of
filters, the ``label_type`` and ``mask_area`` facets), so those objects read as box-only while
their pages draw a mask. This step gives them the area a COCO ingest gives today
(:mod:`visionlens_jlab.ingest.coco.label_checks`): the record's ``area`` where it has one,
else pycocotools' area of the mask, which then fills a missing ``area`` too (as for
predictions); a mask pycocotools cannot read keeps NULL, as at ingest. The same goes for the
browsed versions' copies and for the object states of the operation log (an undo or a
restore writes them back), and the label facets stored per dataset are dropped, to be
counted from the rows (:func:`.label_facets.drop_stored_parts` says why not here).
The step is declared by the ingest's manifest (:mod:`.manifest`).
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from ..catalog.extensions.label_facets import drop_stored_parts
from ..ingest.coco.mask_geometry import mask_area

TABLES = ("annotations", "version_annotations")
"""The tables holding objects: the labels, and the copies of browsed versions (step 14)."""
_LOGGED_UNMEASURED = """
SELECT o.dataset_id, o.seq, o.before, o.after, s.height, s.width FROM edit_ops o
LEFT JOIN samples s USING (sample_id)
WHERE ((o.before->>'segmentation') IS NOT NULL AND (o.before->>'mask_area') IS NULL)
   OR ((o.after->>'segmentation') IS NOT NULL AND (o.after->>'mask_area') IS NULL)
"""
"""The logged operations whose object state before or after has a mask and no mask area."""


def measure_old_masks(cur: duckdb.DuckDBPyConnection) -> None:
    """Fill ``mask_area`` of every object with a mask and none (see the module docstring)."""
    for table in TABLES:
        cur.execute(
            f"UPDATE {table} SET mask_area = area "  # noqa: S608 - fixed names
            "WHERE segmentation IS NOT NULL AND mask_area IS NULL AND area IS NOT NULL"
        )
        rows = cur.execute(
            f"SELECT DISTINCT a.ann_id, a.segmentation, s.height, s.width FROM {table} a "  # noqa: S608 - fixed names
            "LEFT JOIN samples s USING (sample_id) "
            "WHERE a.segmentation IS NOT NULL AND a.mask_area IS NULL"
        ).fetchall()
        measured = [(ann, mask_area(json.loads(seg), h, w)) for ann, seg, h, w in rows]
        found = [(ann, area) for ann, area in measured if area is not None]
        if found:
            ids, areas = zip(*found, strict=True)
            _update(
                cur,
                f"UPDATE {table} SET mask_area = m.area, area = COALESCE({table}.area, m.area) "  # noqa: S608 - fixed names
                f"FROM _measured m WHERE {table}.ann_id = m.ann_id",
                {"ann_id": pa.array(ids, pa.int64()), "area": pa.array(areas, pa.float64())},
            )
    _measure_logged_states(cur)
    drop_stored_parts(cur)


def _measure_logged_states(cur: duckdb.DuckDBPyConnection) -> None:
    """The same for the objects' states before and after each logged operation."""
    rows = cur.execute(_LOGGED_UNMEASURED).fetchall()
    if not rows:
        return
    states = [(_measured(b, h, w), _measured(a, h, w)) for _, _, b, a, h, w in rows]
    _update(
        cur,
        "UPDATE edit_ops SET before = m.before::JSON, after = m.after::JSON FROM _measured m "
        "WHERE edit_ops.dataset_id = m.dataset_id AND edit_ops.seq = m.seq",
        {
            "dataset_id": pa.array([r[0] for r in rows], pa.int32()),
            "seq": pa.array([r[1] for r in rows], pa.int64()),
            "before": pa.array([s[0] for s in states], pa.string()),
            "after": pa.array([s[1] for s in states], pa.string()),
        },
    )


def _measured(state: str | None, height: int | None, width: int | None) -> str | None:
    """A logged object state (JSON text) with its mask area filled where it can be."""
    if state is None:
        return None
    obj: dict[str, Any] = json.loads(state)
    seg = obj.get("segmentation")
    if seg is not None and obj.get("mask_area") is None:
        area = obj.get("area")
        if area is None:
            area = mask_area(json.loads(seg) if isinstance(seg, str) else seg, height, width)
        obj["mask_area"] = area
        if obj.get("area") is None:
            obj["area"] = area
    return json.dumps(obj)


def _update(cur: duckdb.DuckDBPyConnection, sql: str, columns: dict[str, pa.Array]) -> None:
    """Run ``sql``, an UPDATE reading the view ``_measured`` of ``columns``."""
    cur.register("_measured", pa.table(columns))
    try:
        cur.execute(sql)
    finally:
        cur.unregister("_measured")
