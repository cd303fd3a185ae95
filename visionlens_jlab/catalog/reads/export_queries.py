"""Bulk exports of samples and boxes as Arrow record batches (the notebook API's tables).

These back ``POST /datasets/{name}/export/samples`` and ``.../export/annotations``, which
stream Arrow IPC to the kernel: a 100K-sample selection or 700K boxes cross as columnar
binary, never as JSON lists. Queries are parameterized; source (model) names are data and
never appear in the SQL text: per-source count columns get positional aliases in SQL and
their real names only when the Arrow schema is renamed in Python.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from ...records.label_kinds import OBJECT_KINDS
from ..plan.planner import Strategy, plan_export
from ..query.filter_model import Filter
from ..query.filter_parser import parse_filter
from ..query.filters import (
    FilterError,
    Params,
    compile_parsed,
    source_clause,
)
from ..query.sample_sort import SampleSort, parse_sample_sort, sort_key_sql
from ..store.catalog import Catalog
from ..store.feature_reads import EVAL_BOX_RESULTS, EVAL_RUNS, available, relation
from ..store.schema import GROUND_TRUTH
from ..tables.classification_log import classifications_at
from ..tables.sample_tag_log import samples_at

BATCH_ROWS = 65_536
BOX_COUNT_PREFIX = "box_count."
"""Samples exports name the per-source box count columns ``box_count.<source>``."""


OBJECT_COLUMNS = {
    **{
        name: f"a.{name}" for name in ("ann_id", "sample_id", "source", "label", "x", "y", "w", "h")
    },
    **{name: f"a.{name}" for name in ("score", "area", "iscrowd", "difficult", "source_ann_id")},
    "segmentation": "CAST(a.segmentation AS VARCHAR)",
    "attributes": "CAST(a.attributes AS VARCHAR)",
    **{name: f"a.{name}" for name in ("keypoints", "num_keypoints", "mask_area")},
    # the other declared label columns (rotated boxes' corners...): JSON as text
    **{
        c.name: f"CAST(a.{c.name} AS VARCHAR)" if c.duckdb == "JSON" else f"a.{c.name}"
        for kind in OBJECT_KINDS
        for c in kind.columns
        if c.name
        not in ("x", "y", "w", "h", "segmentation", "keypoints", "num_keypoints", "mask_area")
    },
    # the image size travels with each box: the notebook rasterises polygons at it
    "image_width": "i.width",
    "image_height": "i.height",
}
"""The columns of a box export before the ``eval_*`` ones: name to SQL over ``annotations a``
joined to its sample ``samples i``."""


@dataclass
class Export:
    """An export ready to stream: its schema and a reader of record batches."""

    schema: pa.Schema
    reader: pa.RecordBatchReader


def dataset_sources(cur: duckdb.DuckDBPyConnection, dataset_id: int) -> list[str]:
    """Annotation sources of a dataset: ground truth first, then models by name."""
    models = [
        r[0]
        for r in cur.execute(
            "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
        ).fetchall()
    ]
    return [GROUND_TRUTH, *models]


def _check_source(source: Any, sources: list[str]) -> None:
    if source is None or source == "predictions":
        return
    if not isinstance(source, str):
        raise FilterError("'source' must be 'ground_truth', 'predictions' or a model name")
    if source not in sources:
        models = ", ".join(sources[1:]) or "none"
        raise FilterError(
            f"unknown source {source!r}: use 'ground_truth', 'predictions' or a model name "
            f"(models of this dataset: {models})"
        )


@contextmanager
def export_samples(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    sort: SampleSort | str | None = None,
    order: str | None = None,
    *,
    box_counts: bool = True,
    position: int | None = None,
) -> Iterator[Export]:
    """Samples matching ``spec`` with ``box_count.<source>`` for every source, in id order
    or sorted as the samples page sorts (``sort``: typed, or a word parsed with ``order``:
    the same rows, same order).

    Columns: sample_id, file_name, location, width, height, split, source_image_id,
    tags (list<string>), fields (JSON text), then one int64 count column per source (none
    without ``box_counts``: a file export counts its own, and counting every source's boxes
    is a scan of all of them). ``position``: the tags are those the samples had at this
    position of the operation log (a version's; the filter still selects by the samples
    now), read as a browsed version reads them (:func:`..tables.sample_tag_log.samples_at`).
    """
    typed = sort if isinstance(sort, SampleSort) else parse_sample_sort(sort, order)
    model, ids_table = _planned(spec)
    with catalog.cursor() as cur:
        if ids_table is not None:
            cur.register(IDS_TABLE, ids_table)
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_parsed(dataset_id, model)
        where = flt.where + (_IN_IDS if ids_table is not None else "")
        sources = dataset_sources(cur, dataset_id) if box_counts else []
        key_params, params = Params(), Params()
        key = sort_key_sql(typed, key_params)
        counts, select_counts = "", ""
        if sources:
            count_cols = ", ".join(
                f"COUNT(*) FILTER (WHERE a.source = {params.add(src)}) AS c{i}"
                for i, src in enumerate(sources)
            )
            counts = f""", c AS (
                SELECT a.sample_id, {count_cols}
                FROM annotations a SEMI JOIN sel ON a.sample_id = sel.sample_id
                WHERE a.dataset_id = {params.add(dataset_id)}
                GROUP BY a.sample_id
            )"""  # noqa: S608 - positional aliases only; values are bound
            select_counts = "".join(
                f", COALESCE(c.c{i}, 0)::BIGINT AS c{i}" for i in range(len(sources))
            )
        rows = "sel" if position is None else samples_at(dataset_id, position, "sel")
        sql = f"""
            WITH sel AS MATERIALIZED (SELECT s.*, {key} AS _k FROM samples s WHERE {where})
            {counts}
            SELECT sel.sample_id, sel.file_name, sel.location, sel.width, sel.height,
                   sel.split, sel.source_image_id, sel.tags,
                   CAST(sel.fields AS VARCHAR) AS fields{select_counts}
            FROM {rows} sel {"LEFT JOIN c ON c.sample_id = sel.sample_id" if sources else ""}
            ORDER BY sel._k {typed.direction} NULLS LAST, sel.sample_id ASC
        """  # noqa: S608 - compiled filter and positional aliases only; values are bound
        values = [*key_params.values, *flt.params, *params.values]
        reader = cur.sql(sql, params=values).to_arrow_reader(BATCH_ROWS)
        kept = len(reader.schema.names) - len(sources)
        names = [*reader.schema.names[:kept], *(BOX_COUNT_PREFIX + s for s in sources)]
        schema = pa.schema(
            [field.with_name(name) for field, name in zip(reader.schema, names, strict=True)],
            metadata={b"visionlens.sources": ",".join(sources).encode()},
        )
        yield Export(schema, _renamed(reader, schema))


@contextmanager
def export_annotations(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    source: str | None = None,
    evaluation: str | None = None,
) -> Iterator[Export]:
    """Every column of the boxes of the samples matching ``spec``, in box id order.

    ``source``: ``None`` (all), ``'ground_truth'``, ``'predictions'`` (every model) or a
    model name. Box ids follow ingest order: ground truth by sample, then each model's.

    The ``eval_*`` columns hold each box's status in the latest evaluation (``tp``, ``fp``,
    ``fn``, ``ignored``), its IoU, matched box and, for false positives, the error type.
    A prediction takes its own model's evaluation; a ground-truth box the one of
    ``evaluation`` (a model name), or of the only evaluated model when there is one.
    Before them: ``keypoints`` (flat x, y, v), ``num_keypoints``, ``mask_area`` and the
    image's ``image_width`` / ``image_height``.
    """
    model, ids_table = _planned(spec)
    with catalog.cursor() as cur:
        if ids_table is not None:
            cur.register(IDS_TABLE, ids_table)
        dataset_id = catalog.dataset_id(cur, dataset)
        sources = dataset_sources(cur, dataset_id)
        _check_source(source, sources)
        if evaluation is not None and evaluation not in sources[1:]:
            raise FilterError(f"'evaluation' must name a model of this dataset, not {evaluation!r}")
        params = Params()
        join = eval_join(cur, dataset_id, evaluation, params)
        where = [f"a.dataset_id = {params.add(dataset_id)}", source_clause(source, params)]
        _restrict(where, params, dataset_id, model, ids_table)
        columns = ", ".join(f"{expr} AS {name}" for name, expr in OBJECT_COLUMNS.items())
        sql = f"""
            SELECT {columns}, {join.columns}
            FROM annotations a JOIN samples i ON i.sample_id = a.sample_id {join.sql}
            WHERE {" AND ".join(where)}
            ORDER BY a.ann_id
        """  # noqa: S608 - compiled, parameterized
        reader = cur.sql(sql, params=params.values).to_arrow_reader(BATCH_ROWS)
        yield Export(reader.schema, reader)


@contextmanager
def export_classifications(
    catalog: Catalog,
    dataset: str,
    spec: dict[str, Any] | None,
    source: str | None = None,
    position: int | None = None,
) -> Iterator[Export]:
    """The image-level labels of the samples matching ``spec``, by sample id, source and
    label. ``source``: as for :func:`export_annotations`. Columns: sample_id, source, label,
    score (null for ground truth), scores (JSON text of the per-class scores, or null).
    ``position``: the labels as they were at this position of the operation log (a
    version's, :func:`..tables.classification_log.classifications_at`)."""
    model, ids_table = _planned(spec)
    with catalog.cursor() as cur:
        if ids_table is not None:
            cur.register(IDS_TABLE, ids_table)
        dataset_id = catalog.dataset_id(cur, dataset)
        _check_source(source, dataset_sources(cur, dataset_id))
        params = Params()
        where = [f"a.dataset_id = {params.add(dataset_id)}", source_clause(source, params)]
        _restrict(where, params, dataset_id, model, ids_table)
        rows = "classifications" if position is None else classifications_at(dataset_id, position)
        # alias ``a``: the source clause is the boxes' one, over the same column names
        sql = f"""
            SELECT a.sample_id, a.source, a.label, a.score, CAST(a.scores AS VARCHAR) AS scores
            FROM {rows} a WHERE {" AND ".join(where)}
            ORDER BY a.sample_id, a.source = 'ground_truth' DESC, a.source, a.label
        """  # noqa: S608 - compiled, parameterized
        reader = cur.sql(sql, params=params.values).to_arrow_reader(BATCH_ROWS)
        yield Export(reader.schema, reader)


def export_categories(catalog: Catalog, dataset: str) -> list[dict[str, Any]]:
    """The classes of ``dataset`` in its category order (the stable class ids of every
    export): ``name``, ``supercategory``, ``source_category_id`` and, for keypoint classes,
    ``keypoint_names``, ``skeleton`` (COCO's 1-based pairs) and ``sigmas`` (or None)."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            """
            SELECT name, supercategory, source_category_id, keypoint_names,
                   CAST(skeleton AS VARCHAR), keypoint_sigmas
            FROM categories WHERE dataset_id = ? ORDER BY category_id
            """,
            [dataset_id],
        ).fetchall()
    return [
        {
            "name": r[0],
            "supercategory": r[1],
            "source_category_id": r[2],
            "keypoint_names": list(r[3]) if r[3] is not None else None,
            "skeleton": json.loads(r[4]) if r[4] else None,
            "sigmas": list(r[5]) if r[5] is not None else None,
        }
        for r in rows
    ]


def export_label_names(catalog: Catalog, dataset: str, source: str) -> list[str]:
    """The distinct class names the labels of ``source`` (``ground_truth`` or one model)
    use in ``dataset``, objects and image-level labels together, sorted: what an export's
    class list may name besides the dataset's categories (checked before an export starts).
    """
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        _check_source(source, dataset_sources(cur, dataset_id))
        rows = cur.execute(
            """
            SELECT DISTINCT label FROM annotations WHERE dataset_id = ? AND source = ?
            UNION SELECT DISTINCT label FROM classifications WHERE dataset_id = ? AND source = ?
            ORDER BY 1
            """,
            [dataset_id, source, dataset_id, source],
        ).fetchall()
    return [r[0] for r in rows if r[0] is not None]


@dataclass
class _Join:
    columns: str
    sql: str


EVAL_COLUMNS = {
    "eval_status": ("status", "VARCHAR"),
    "eval_iou": ("iou", "DOUBLE"),
    "eval_matched_ann_id": ("matched_ann_id", "BIGINT"),
    "eval_error_type": ("error_type", "VARCHAR"),
    "eval_confused_with": ("confused_with", "VARCHAR"),
}


def eval_join(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str | None, params: Params
) -> _Join:
    """The evaluation columns: a join on the latest evaluations, or typed NULLs if none."""
    nulls = _Join(", ".join(f"NULL::{t} AS {name}" for name, (_, t) in EVAL_COLUMNS.items()), "")
    if not available(cur, EVAL_RUNS) or not available(cur, EVAL_BOX_RESULTS):
        return nulls  # the evaluation module never ran on this catalog
    runs = relation(EVAL_RUNS)
    latest = cur.execute(
        f"SELECT model FROM {runs} ev WHERE dataset_id = ? AND latest",  # noqa: S608 - the feature's SQL
        [dataset_id],
    ).fetchall()
    models = {r[0] for r in latest}
    if not models:
        return nulls
    gt_model = model if model is not None else (next(iter(models)) if len(models) == 1 else None)
    columns = ", ".join(f"e.{col} AS {name}" for name, (col, _) in EVAL_COLUMNS.items())
    sql = f"""
        LEFT JOIN (
            SELECT be.*, ev.model FROM {relation(EVAL_BOX_RESULTS)} be
            JOIN {runs} ev ON ev.dataset_id = be.dataset_id AND ev.eval_key = be.eval_key
            WHERE be.dataset_id = {params.add(dataset_id)} AND ev.latest
        ) e ON e.ann_id = a.ann_id
           AND (e.model = a.source OR (a.source = {params.add(GROUND_TRUTH)}
                                       AND e.model = {params.add(gt_model)}))
    """  # noqa: S608 - fixed SQL, values bound
    return _Join(columns, sql)


IDS_TABLE = "_vl_export_ids"
_IN_IDS = f" AND s.sample_id IN (SELECT sample_id FROM {IDS_TABLE})"  # noqa: S608 - constant


def _planned(spec: dict[str, Any] | None) -> tuple[Filter, pa.Table | None]:
    """The parsed filter an export compiles, and its id set as an Arrow table the query
    joins against when the export plan (:func:`.planner.plan_export`) says so.

    100K ids bound as one list parameter cost DuckDB ~10x more than scanning a registered
    Arrow table, and a notebook selection is exactly that: a long id list.
    """
    model = parse_filter(spec)
    if plan_export(model).routes[0].strategy is not Strategy.ID_TABLE:
        return model, None
    table = pa.table({"sample_id": pa.array(model.ids, type=pa.int64())})
    return dataclasses.replace(model, ids=None, ids_list=None), table


def _renamed(reader: pa.RecordBatchReader, schema: pa.Schema) -> pa.RecordBatchReader:
    def batches() -> Iterator[pa.RecordBatch]:
        for batch in reader:
            yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def _restrict(
    where: list[str],
    params: Params,
    dataset_id: int,
    model: Filter,
    ids_table: pa.Table | None,
) -> None:
    """Keep only the rows (alias ``a``) of the samples the filter selects. Only a real filter
    pays for the semi-join; "every row" is a plain scan."""
    if model.whole_dataset and ids_table is None:
        return
    flt = compile_parsed(dataset_id, model)
    in_ids = _IN_IDS if ids_table is not None else ""
    where.append(
        f"a.sample_id IN (SELECT s.sample_id FROM samples s WHERE {flt.where}{in_ids})"  # noqa: S608 - compiled, parameterized
    )
    params.values.extend(flt.params)
