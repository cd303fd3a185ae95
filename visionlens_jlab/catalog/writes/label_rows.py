"""SQL pieces of the writer for the labels beyond the box (schema step 6).

Annotation batches may carry any of the optional label columns
(:data:`~visionlens_jlab.records.batches.ANNOTATION_LABEL_FIELDS`); the inserts name every
column, so a batch without them stores NULLs. Classifications go to their own table.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pyarrow as pa

from ...records.label_kinds import LABEL_TYPES, OBJECT_KINDS, LabelColumn
from ...records.report import IngestReport
from ..store.label_columns import label_counts
from .path_keys import PathKeys

_OWN_RULES = {"x", "y", "w", "h", "segmentation", "keypoints", "num_keypoints", "mask_area"}
"""Kind columns written by rules of their own below (COCO's keypoint count, YOLO-seg's
polygons); every other declared column is written as the batch gives it."""
_DECLARED = [c for k in OBJECT_KINDS for c in k.columns if c.name not in _OWN_RULES]
_ANNOTATION_COLUMNS = f"""
    ann_id, sample_id, dataset_id, source, label, x, y, w, h, score, area, iscrowd,
    difficult, source_ann_id, segmentation, attributes, keypoints, num_keypoints, mask_area
    {"".join(f", {c.name}" for c in _DECLARED)}, track_id
"""

GROUND_TRUTH_CLASSIFICATIONS_SQL = """
    INSERT INTO classifications (dataset_id, sample_id, source, label, score, scores)
    SELECT ?, ? + sample_index, ?, label, NULL, scores FROM _vl_batch
"""
"""Insert a batch of ground-truth image labels; parameters: dataset id, sample id base,
the ground-truth source name."""

_NORMALIZED_KEYPOINTS = (
    "CASE WHEN normalized THEN list_transform(keypoints, lambda v, i: "
    "CASE WHEN i % 3 = 1 THEN v * img_w WHEN i % 3 = 2 THEN v * img_h ELSE v END) "
    "ELSE keypoints END"
)

_NORMALIZED_POLYGONS = (
    "CASE WHEN normalized AND segmentation IS NOT NULL THEN to_json(list_transform("
    "segmentation::DOUBLE[][], lambda p: list_transform(p, lambda v, i: "
    "round(CASE WHEN i % 2 = 1 THEN v * img_w ELSE v * img_h END, 3)))) "
    "ELSE segmentation::JSON END"
)
"""A prediction's polygons (YOLO-seg: ``[[x1, y1, ...]]`` in fractions of the image size)
in pixels, rounded to 3 decimals as the ground truth's; other masks as given."""


def _label_columns(schema: pa.Schema, *, normalized: bool = False) -> str:
    """The select list of ``keypoints, num_keypoints, mask_area``, the declared kinds'
    columns and ``track_id`` for a batch of ``schema``:
    its own columns where it has them, NULL where not. ``normalized``: the batch may hold
    keypoints in fractions of the image size (predictions, with ``img_w``/``img_h`` joined)."""
    names = set(schema.names)
    keypoints = "NULL::DOUBLE[]"
    if "keypoints" in names:
        keypoints = _NORMALIZED_KEYPOINTS if normalized else "keypoints"
    count = "num_keypoints" if "num_keypoints" in names else "NULL::INTEGER"
    if "num_keypoints" not in names and "keypoints" in names:
        # COCO's num_keypoints: the labelled points (v > 0) when the source gave no count
        count = "len(list_filter(keypoints, lambda v, i: i % 3 = 0 AND v > 0))"
    area = "mask_area" if "mask_area" in names else "NULL::DOUBLE"
    if normalized and "mask_area" in names:
        area = "CASE WHEN normalized THEN mask_area * img_w * img_h ELSE mask_area END"
    declared = "".join(f", {_declared_column(c, names, normalized)}" for c in _DECLARED)
    track = "track_id" if "track_id" in names else "NULL::BIGINT"  # step 20: a video's objects
    return f"{keypoints}, {count}, {area}{declared}, {track}"


def _declared_column(column: LabelColumn, names: set[str], normalized: bool) -> str:
    """A declared kind column as a batch gives it (NULL where it lacks it); x, y points of
    a normalised prediction scaled to the image's pixels."""
    if column.name not in names:
        return f"NULL::{column.duckdb}"
    if normalized and column.points == "xy":  # list_transform's index counts from 1: x first
        return (
            f"CASE WHEN normalized THEN list_transform({column.name}, lambda v, i: "
            f"CASE WHEN i % 2 = 1 THEN v * img_w ELSE v * img_h END) ELSE {column.name} END"
        )
    return column.name


def ground_truth_annotations_sql(schema: pa.Schema) -> str:
    """Insert a batch (``_vl_batch``) of ground-truth objects of ``schema``; parameters:
    annotation id base, sample id base, dataset id, the ground-truth source name."""
    return f"""
        INSERT INTO annotations ({_ANNOTATION_COLUMNS})
        SELECT ? + _vl_row, ? + sample_index, ?, ?, label,
               x, y, w, h, NULL, area, COALESCE(iscrowd, FALSE),
               COALESCE(difficult, FALSE), source_ann_id,
               segmentation, attributes, {_label_columns(schema)}
        FROM _vl_batch
    """  # noqa: S608 - fixed identifiers and column lists


def prediction_annotations_sql(schema: pa.Schema) -> str:
    """Insert the matched predictions (``_vl_matched``) of a batch of ``schema``, converting
    normalised coordinates (boxes, areas, polygons, mask areas, keypoints, rotated boxes);
    parameters: annotation id base, dataset id, the model name."""
    return f"""
        INSERT INTO annotations ({_ANNOTATION_COLUMNS})
        SELECT ? + _vl_row, matched_id, ?, ?, label,
               CASE WHEN normalized THEN x * img_w ELSE x END,
               CASE WHEN normalized THEN y * img_h ELSE y END,
               CASE WHEN normalized THEN w * img_w ELSE w END,
               CASE WHEN normalized THEN h * img_h ELSE h END,
               score, CASE WHEN normalized THEN area * img_w * img_h ELSE area END,
               COALESCE(iscrowd, FALSE), COALESCE(difficult, FALSE),
               source_ann_id, {_NORMALIZED_POLYGONS}, attributes::JSON,
               {_label_columns(schema, normalized=True)}
        FROM _vl_matched WHERE matched_id IS NOT NULL ORDER BY _vl_row
    """  # noqa: S608 - fixed identifiers and column lists


def label_type_counts(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str
) -> dict[str, int]:
    """How many labels of each type ``source`` (ground truth or a model) has in the dataset
    (:func:`~visionlens_jlab.catalog.store.label_columns.label_counts`; zeros for none)."""
    counts = label_counts(cur, dataset_id, source)
    return counts.get(source, dict.fromkeys(LABEL_TYPES, 0))


def category_row(category: tuple[Any, ...]) -> list[Any]:
    """``(name, supercategory, source id, keypoint names, skeleton, keypoint sigmas,
    frequency)`` of a parser's class declaration, the last five optional; the skeleton as
    JSON text."""
    padded = [*category, None, None, None, None, None][:7]
    name, supercategory, source_id, keypoint_names, skeleton, sigmas, frequency = padded
    return [
        name,
        supercategory,
        source_id,
        list(keypoint_names) if keypoint_names else None,
        None if skeleton is None else json.dumps(skeleton, separators=(",", ":")),
        [float(v) for v in sigmas] if sigmas else None,
        frequency,
    ]


CATEGORIES_SQL = """
    INSERT INTO categories (dataset_id, category_id, name, supercategory, source_category_id,
                            keypoint_names, skeleton, keypoint_sigmas, frequency)
    SELECT ?, category_id, name, supercategory, source_category_id, keypoint_names,
           skeleton::JSON, keypoint_sigmas, frequency
    FROM _vl_batch
"""
"""Insert the :func:`categories_table` of a dataset; parameter: the dataset id."""


def categories_table(categories: list[tuple[Any, ...]]) -> pa.Table:
    """The classes a parser declared (:func:`category_row` each), numbered in order, as one
    Arrow table: one insert of a million classes takes a second, where a parameterised
    insert per class took ~0.5 ms each (over 8 minutes, holding the write lock)."""
    rows = [category_row(c) for c in categories]
    columns = list(zip(*rows, strict=True)) if rows else [()] * 7
    return pa.table(
        {
            "category_id": pa.array(range(len(rows)), pa.int32()),
            "name": pa.array(columns[0], pa.string()),
            "supercategory": pa.array(columns[1], pa.string()),
            "source_category_id": pa.array(columns[2], pa.int64()),
            "keypoint_names": pa.array(columns[3], pa.list_(pa.string())),
            "skeleton": pa.array(columns[4], pa.string()),
            "keypoint_sigmas": pa.array(columns[5], pa.list_(pa.float64())),
            "frequency": pa.array(columns[6], pa.string()),
        }
    )


def write_classification_predictions(
    cur: duckdb.DuckDBPyConnection,
    table: pa.Table,
    dataset_id: int,
    model: str,
    report: IngestReport,
    paths: PathKeys,
) -> int:
    """Insert a model's image-level labels, matched to images through the temporary
    ``_vl_image_keys`` table of the prediction writer (names as other tools write them
    added by ``paths``); count the unmatched in ``report``. Returns the number of rows
    written."""
    paths.add(table.column("image_ref").to_pylist())
    cur.register("_vl_cls", table)
    report_unknown_images(
        cur,
        "SELECT c.image_ref FROM _vl_cls c "
        "LEFT JOIN _vl_image_keys k ON k.key = c.image_ref WHERE k.sample_id IS NULL",
        report,
    )
    (row,) = cur.execute(
        """
        INSERT INTO classifications (dataset_id, sample_id, source, label, score, scores)
        SELECT ?, k.sample_id, ?, c.label, c.score, c.scores::JSON
        FROM _vl_cls c JOIN _vl_image_keys k ON k.key = c.image_ref
        """,
        [dataset_id, model],
    ).fetchall()
    cur.unregister("_vl_cls")
    return int(row[0])


def report_unknown_images(
    cur: duckdb.DuckDBPyConnection, unmatched_sql: str, report: IngestReport
) -> None:
    """Report the predictions that ``unmatched_sql`` (a query of their ``image_ref``) finds
    without an image in the dataset: they are skipped. Those whose path fits several images
    equally (``_vl_ambiguous_keys``) are reported as such: no image was guessed for them."""
    (found,) = cur.execute(
        "SELECT count(*) FILTER (NOT a), (list(DISTINCT image_ref) FILTER (NOT a))[1:5], "  # noqa: S608 - fixed text
        "count(*) FILTER (a), (list(DISTINCT image_ref) FILTER (a))[1:5] FROM ("
        "SELECT image_ref, coalesce(image_ref IN (SELECT key FROM _vl_ambiguous_keys), false) AS a "
        f"FROM ({unmatched_sql}))"
    ).fetchall()
    if found[0]:
        report.warn(
            "prediction_unknown_image",
            "predictions for images that are not in the dataset were skipped",
            count=int(found[0]),
            examples=found[1] or [],
        )
    if found[2]:
        report.warn(
            "prediction_ambiguous_image",
            "predictions whose image path fits several images of the dataset equally were skipped",
            count=int(found[2]),
            examples=found[3] or [],
        )
