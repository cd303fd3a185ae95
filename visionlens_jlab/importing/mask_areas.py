"""Migration step 16: the mask areas of objects stored before ingest measured them.

``annotations.segmentation`` is of schema 1: the releases before step 6 kept COCO masks, and
so did the first code of step 6, but neither wrote ``mask_area``, and step 6 gave the old
rows NULL. A mask is an object with a mask area everywhere today (the ``mask`` label type of
filters, the ``label_type`` and ``mask_area`` facets), so those objects read as box-only while
their pages draw a mask. This step gives them the area a COCO ingest gives today
(:mod:`visionlens_jlab.ingest.coco.label_checks`): the record's ``area`` where it has one,
else pycocotools' area of the mask, which then fills a missing ``area`` too (as for
predictions); a mask pycocotools cannot read keeps NULL, as at ingest. The browsed versions'
copies get the same, and the label facets stored per dataset are counted again.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa

from ..catalog.extensions.label_facets import recount_stored_parts
from ..catalog.store.registry import register_step
from ..ingest.coco.mask_geometry import mask_area

TABLES = ("annotations", "version_annotations")
"""The tables holding objects: the labels, and the copies of browsed versions (step 14)."""


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
        areas = pa.table(
            {
                "ann_id": pa.array([a for a, v in measured if v is not None], pa.int64()),
                "area": pa.array([v for _, v in measured if v is not None], pa.float64()),
            }
        )
        if not areas.num_rows:
            continue
        cur.register("_measured_masks", areas)
        try:
            cur.execute(
                f"UPDATE {table} SET mask_area = m.area, area = COALESCE({table}.area, m.area) "  # noqa: S608 - fixed names
                f"FROM _measured_masks m WHERE {table}.ann_id = m.ann_id"
            )
        finally:
            cur.unregister("_measured_masks")
    recount_stored_parts(cur)


register_step(16, "measure the masks of objects stored before mask areas", measure_old_masks)
