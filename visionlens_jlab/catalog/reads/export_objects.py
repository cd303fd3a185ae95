"""The boxes of a file export (``visionlens export``), read a chunk of samples at a time.

A file export writes each sample's objects together, so it reads them grouped by sample
rather than all at once: a summary first (how many objects of each class each sample has),
then the objects of one chunk of samples per query, in sample order and box id order within
a sample, only the columns its format writes. 700K boxes with polygons read at once cost
~0.5 GB (the Arrow columns plus DuckDB's sort of every row); a chunk costs a tenth of that.

The view's samples come in as their ids (an Arrow table the queries join against), so a
chunk's query needs no filter: its samples are the filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..query.filters import Params, source_clause
from ..store.catalog import Catalog
from ..tables.labels_at import objects_at
from .export_queries import EVAL_COLUMNS, OBJECT_COLUMNS, eval_join

VIEW_IDS = "_vl_export_view_ids"
CHUNK_COLUMNS = {**OBJECT_COLUMNS, "track_id": "a.track_id"}
"""What a chunk may read: the box export's columns and the object's track (a video's
formats write it; the notebook's tables leave it out)."""
CHUNK_IDS = "_vl_export_chunk_ids"


@dataclass(frozen=True)
class ObjectSelection:
    """Which objects of a dataset an export writes: one ``source`` (ground truth or a model),
    only ``classes`` when given, only those scored ``min_score`` or above when given, at a
    version's ``position`` when given."""

    dataset: str
    source: str
    classes: tuple[str, ...] | None = None
    min_score: float | None = None
    position: int | None = None
    """The objects as they were at this position of the operation log (a version's,
    :func:`~..tables.labels_at.version_position`); None: as they are now."""


GROUP_KEYS = ("sample_id", "label")


def object_groups(
    catalog: Catalog, sel: ObjectSelection, sample_ids: pa.Array, keys: Sequence[str]
) -> pa.Table:
    """How many selected objects of ``sample_ids`` each group has (``n``): grouped by
    ``keys`` (of :data:`GROUP_KEYS`: per sample, per class, or both), sorted by them."""
    if not keys or any(k not in GROUP_KEYS for k in keys):
        raise ValueError(f"group keys must be of {GROUP_KEYS}, not {keys!r}")
    columns = ", ".join(f"a.{k}" for k in keys)
    with catalog.cursor() as cur:
        cur.register(VIEW_IDS, pa.table({"sample_id": sample_ids}))
        dataset_id = catalog.dataset_id(cur, sel.dataset)
        params = Params()
        where = _selected(_where(dataset_id, sel.source, VIEW_IDS, params), sel, params)
        sql = f"""
            SELECT {columns}, COUNT(*)::BIGINT AS n
            FROM {_objects(cur, dataset_id, sel)} a WHERE {where}
            GROUP BY {columns} ORDER BY {columns}
        """  # noqa: S608 - fixed column names, values bound
        return cur.sql(sql, params=params.values).to_arrow_table()


def plain_source_ids(catalog: Catalog, sel: ObjectSelection, sample_ids: pa.Array) -> bool:
    """Whether the selected objects' ids in their source (``source_ann_id``) are all integers
    written plainly (as an integer prints back) and unique: a COCO export keeps them then."""
    with catalog.cursor() as cur:
        cur.register(VIEW_IDS, pa.table({"sample_id": sample_ids}))
        dataset_id = catalog.dataset_id(cur, sel.dataset)
        params = Params()
        where = _selected(_where(dataset_id, sel.source, VIEW_IDS, params), sel, params)
        sql = f"""
            SELECT COUNT(*) = COUNT(DISTINCT i)
                   AND COALESCE(bool_and(i::VARCHAR IS NOT DISTINCT FROM a.source_ann_id), TRUE)
            FROM (SELECT TRY_CAST(a.source_ann_id AS BIGINT) AS i, a.source_ann_id
                  FROM {_objects(cur, dataset_id, sel)} a WHERE {where}) a
        """  # noqa: S608 - fixed SQL, values bound
        return bool(cur.sql(sql, params=params.values).fetchall()[0][0])


def object_shapes(
    catalog: Catalog, sel: ObjectSelection, sample_ids: pa.Array
) -> tuple[set[int], bool]:
    """The keypoint counts (points per object) the selected objects of ``sample_ids`` have,
    and whether any of them has a polygon (its segmentation a JSON list)."""
    with catalog.cursor() as cur:
        cur.register(VIEW_IDS, pa.table({"sample_id": sample_ids}))
        dataset_id = catalog.dataset_id(cur, sel.dataset)
        params = Params()
        where = _selected(_where(dataset_id, sel.source, VIEW_IDS, params), sel, params)
        points = cur.sql(
            f"SELECT DISTINCT len(a.keypoints) // 3 FROM {_objects(cur, dataset_id, sel)} a "  # noqa: S608 - fixed SQL
            f"WHERE {where} AND a.keypoints IS NOT NULL",
            params=params.values,
        ).fetchall()
        polygon = cur.sql(
            f"SELECT 1 FROM {_objects(cur, dataset_id, sel)} a WHERE {where} "  # noqa: S608 - fixed SQL
            "AND a.segmentation IS NOT NULL "
            "AND starts_with(CAST(a.segmentation AS VARCHAR), '[') LIMIT 1",
            params=params.values,
        ).fetchall()
    return {int(r[0]) for r in points}, bool(polygon)


@contextmanager
def object_chunks(
    catalog: Catalog, sel: ObjectSelection, columns: Sequence[str] | None
) -> Iterator[Callable[[pa.Array], pa.Table]]:
    """A reader of the selected objects of one chunk of samples at a time (called with the
    chunk's sample ids), sorted by sample id then box id: ``columns`` of
    :data:`CHUNK_COLUMNS`, or every column of
    :func:`~.export_queries.export_annotations` (``eval_*`` included) when None. Every chunk
    is read in one transaction: the chunks of an export see the same catalog."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, sel.dataset)
        params = Params()
        names = list(OBJECT_COLUMNS) if columns is None else list(columns)
        select = ", ".join(f"{CHUNK_COLUMNS[name]} AS {name}" for name in names)
        joins = ""
        if any(name.startswith("image_") for name in names):
            joins = "JOIN samples i ON i.sample_id = a.sample_id"
        if columns is None and sel.position is None:
            join = eval_join(cur, dataset_id, None, params)
            select, joins = f"{select}, {join.columns}", f"{joins} {join.sql}"
        elif columns is None:  # an evaluation judged the current labels, not a version's
            nulls = (f"NULL::{kind} AS {name}" for name, (_, kind) in EVAL_COLUMNS.items())
            select = ", ".join((select, *nulls))
        where = _selected(_where(dataset_id, sel.source, CHUNK_IDS, params), sel, params)
        # the bounds let DuckDB skip the row groups of other samples (ingest order is by sample)
        sql = f"""
            SELECT {select} FROM {_objects(cur, dataset_id, sel)} a {joins}
            WHERE {where} AND a.sample_id BETWEEN ? AND ?
            ORDER BY a.sample_id, a.ann_id
        """  # noqa: S608 - fixed SQL and registered column expressions; values bound
        cur.execute("BEGIN TRANSACTION")

        def read(sample_ids: pa.Array) -> pa.Table:
            cur.register(CHUNK_IDS, pa.table({"sample_id": sample_ids}))
            try:
                span = pc.min_max(sample_ids)
                bounds = [span["min"].as_py(), span["max"].as_py()]
                return cur.sql(sql, params=[*params.values, *bounds]).to_arrow_table()
            finally:
                cur.unregister(CHUNK_IDS)

        try:
            yield read
        finally:
            cur.execute("ROLLBACK")


def _objects(cur: duckdb.DuckDBPyConnection, dataset_id: int, sel: ObjectSelection) -> str:
    """The relation the objects are read from: the table, or the objects at a version."""
    if sel.position is None:
        return "annotations"
    return objects_at(cur, dataset_id, sel.position)


def _where(dataset_id: int, source: str, ids: str, params: Params) -> str:
    dataset = f"a.dataset_id = {params.add(dataset_id)}"
    in_ids = f"a.sample_id IN (SELECT sample_id FROM {ids})"  # noqa: S608 - constant name
    return f"{dataset} AND {source_clause(source, params)} AND {in_ids}"


def _selected(where: str, sel: ObjectSelection, params: Params) -> str:
    if sel.classes:
        where += f" AND list_contains({params.add(list(sel.classes))}::VARCHAR[], a.label)"
    if sel.min_score is not None:
        where += f" AND a.score >= {params.add(sel.min_score)}"
    return where
