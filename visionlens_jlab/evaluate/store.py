"""Evaluation tables in the catalog: summaries, per-box results, the eval facets.

Two tables, both removed with their dataset (declared in the feature's manifest,
:mod:`.manifest`):

* ``evaluations``: one row per (dataset, eval key) with the report JSON; ``latest`` marks the
  most recent evaluation of each model;
* ``box_evaluations``: one row per evaluated box (ground truth and predictions) with its
  status at the evaluation's IoU, the box it matched, the IoU, and for false positives the
  error type.

The key of an evaluation is derived from its parameters (model, protocol, IoU, pixel
convention, difficult handling), so evaluating again with the same parameters replaces the
previous rows instead of piling up a million per-box rows per run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..catalog import GROUND_TRUTH
from ..catalog.derived import Change, Kind, Written, apply_change
from ..catalog.indexes.filtered_samples import FilteredSamples
from ..catalog.plan.planner import forced
from ..catalog.sql.facet_parts import store_part, stored_parts
from ..catalog.store.labels_position import labels_position
from .eval_facet_index import indexed_eval_rows
from .tide_rows import delete_tide_rows, insert_tide_rows

if TYPE_CHECKING:
    from ..catalog import Catalog

EVAL_DDL = [
    """
    CREATE TABLE IF NOT EXISTS evaluations (
        dataset_id INTEGER NOT NULL,
        eval_key VARCHAR NOT NULL,
        model VARCHAR NOT NULL,
        protocol VARCHAR NOT NULL,      -- 'coco' or 'voc'
        iou DOUBLE NOT NULL,            -- the threshold of the per-box results
        params JSON NOT NULL,
        created_at TIMESTAMP NOT NULL,
        latest BOOLEAN NOT NULL,        -- the newest evaluation of this model on this dataset
        summary JSON NOT NULL           -- EvaluationReport.to_dict()
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS box_evaluations (
        dataset_id INTEGER NOT NULL,
        eval_key VARCHAR NOT NULL,
        ann_id BIGINT NOT NULL,
        sample_id BIGINT NOT NULL,
        status VARCHAR NOT NULL,        -- 'tp' | 'fp' | 'fn' | 'ignored'
        matched_ann_id BIGINT,          -- TP: its match; FP: the box that explains the error
        iou DOUBLE,
        error_type VARCHAR,             -- FPs: duplicate | class_confusion | localization | background
        confused_with VARCHAR           -- class of the other box in a class confusion
    )
    """,
]


def write_evaluation(
    catalog: Catalog,
    dataset_id: int,
    key: str,
    model: str,
    protocol: str,
    iou: float,
    params: dict[str, Any],
    summary: dict[str, Any],
    boxes: pa.Table,
) -> str:
    """Replace evaluation ``key`` of a dataset and its per-box rows in one transaction.

    ``boxes`` has the columns of ``box_evaluations`` after ``eval_key``, and may have
    ``tide_error``: each object's TIDE error (:mod:`.tide_rows`).
    """
    created = datetime.now(timezone.utc).replace(tzinfo=None)
    with catalog.write(dataset_id) as cur:
        cur.execute(
            "DELETE FROM box_evaluations WHERE dataset_id = ? AND eval_key = ?", [dataset_id, key]
        )
        cur.execute(
            "DELETE FROM evaluations WHERE dataset_id = ? AND eval_key = ?", [dataset_id, key]
        )
        delete_tide_rows(cur, dataset_id, key)
        cur.execute(
            "UPDATE evaluations SET latest = FALSE WHERE dataset_id = ? AND model = ?",
            [dataset_id, model],
        )
        cur.register("_vl_box_eval", boxes)
        try:
            cur.execute(
                """
                INSERT INTO box_evaluations
                SELECT ?, ?, ann_id, sample_id, status, matched_ann_id, iou, error_type,
                       confused_with
                FROM _vl_box_eval
                """,
                [dataset_id, key],
            )
            if "tide_error" in boxes.column_names:
                insert_tide_rows(cur, dataset_id, key, "_vl_box_eval")
        finally:
            cur.unregister("_vl_box_eval")
        cur.execute(
            "INSERT INTO evaluations VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?)",
            [
                dataset_id,
                key,
                model,
                protocol,
                iou,
                json.dumps(params),
                created,
                json.dumps(summary),
            ],
        )
        # the evaluation summaries and facet part (below), no sample nor box changed
        change = Change(dataset_id, Kind.EVALUATION, sources=(GROUND_TRUTH, model), eval_key=key)
        with _one_thread(cur):
            apply_change(catalog, cur, change)
    return created.isoformat()


@contextmanager
def _one_thread(cur: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB on one thread while the evaluation's summaries are refreshed: their join and
    grouping of every per-object row keeps one hash table per thread, which made this
    refresh the evaluation's peak (1.32 GB of RSS at 100K segm images, 1.14 GB on one
    thread). The setting is the database's: the previous value is restored after."""
    ((threads,),) = cur.execute("SELECT current_setting('threads')").fetchall()
    cur.execute("SET threads = 1")
    try:
        yield
    finally:
        cur.execute(f"SET threads = {int(threads)}")


def store_facet_part(
    _: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written
) -> None:
    """An evaluation's facets over the whole dataset, stored with the rows they count: the
    unfiltered facets request then reads them instead of grouping every box's result. A
    change of no evaluation (samples deleted or restored) recounts every evaluation's."""
    keys = [change.eval_key] if change.eval_key is not None else [r[0] for r in cur.execute(
        "SELECT eval_key FROM evaluations WHERE dataset_id = ? ORDER BY eval_key",
        [change.dataset_id],
    ).fetchall()]  # fmt: skip
    for key in keys:
        rows = cur.execute(EVAL_FACETS_SQL.format(join="", only_key="AND b.eval_key = $key"),
                           {"ds": change.dataset_id, "key": key}).fetchall()  # fmt: skip
        store_part(cur, change.dataset_id, f"eval:{key}", _entries(rows))


def list_evaluations(catalog: Catalog, dataset: str) -> list[dict[str, Any]]:
    """Every stored evaluation of a dataset (without the full report), newest first."""
    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        rows = cur.execute(
            """
            SELECT e.eval_key, e.model, e.protocol, e.iou, e.params, e.created_at, e.latest,
                   json_extract(e.summary, '$.stats'),
                   m.created_at IS NULL OR m.created_at > e.created_at AS stale,
                   EXISTS (SELECT 1 FROM edit_ops o WHERE o.dataset_id = e.dataset_id
                           AND o.created_at > e.created_at
                           AND o.source IN ('ground_truth', e.model))
                   -- a batch that deleted or restored samples logs no operation
                   OR EXISTS (SELECT 1 FROM edit_batches b WHERE b.dataset_id = e.dataset_id
                              AND b.created_at > e.created_at
                              AND b.first_seq > b.last_seq) AS edited
            FROM evaluations e
            LEFT JOIN models m ON m.dataset_id = e.dataset_id AND m.name = e.model
            WHERE e.dataset_id = ? ORDER BY e.created_at DESC, e.eval_key
            """,
            [dataset_id],
        ).fetchall()
    return [
        {
            "key": r[0],
            "model": r[1],
            "protocol": r[2],
            "iou": r[3],
            "iou_type": json.loads(r[4]).get("iou_type", "bbox"),  # older ones: bbox
            "params": json.loads(r[4]),
            "created_at": r[5].isoformat(),
            "latest": bool(r[6]),
            "stats": json.loads(r[7]) if r[7] else {},
            # stale: the model was imported again, or its boxes or the ground truth were
            # edited (the edit log) since: the per-box rows of the edited samples were
            # matched again (.rematch), the summary is the run's: evaluate again for it;
            # or samples were deleted or restored since (edits/sample_deletes.py);
            # or the evaluation came with samples copied from another dataset (its summary
            # is of the whole source: bulk/subset.py), or another dataset was merged into
            # this one since (bulk/merge.py)
            "stale": bool(r[8] or r[9] or {"copied_from", "merged_from"} & set(json.loads(r[4]))),
            "edited_since": bool(r[9]),
        }
        for r in rows
    ]


def get_evaluation(catalog: Catalog, dataset: str, key: str) -> dict[str, Any]:
    """The stored report of evaluation ``key`` (``EvaluationReport.to_dict()`` form)."""
    from ..catalog import NotFoundError

    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        row = cur.execute(
            "SELECT summary, created_at, latest FROM evaluations "
            "WHERE dataset_id = ? AND eval_key = ?",
            [dataset_id, key],
        ).fetchone()
    if row is None:
        raise NotFoundError(f"no evaluation {key!r} on dataset {dataset!r}")
    out = json.loads(row[0])
    out["created_at"] = row[1].isoformat()
    out["latest"] = bool(row[2])
    return out


def eval_facets(
    catalog: Catalog, dataset: str, spec: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Facet entries of the evaluation fields over the samples matching filter ``spec``."""
    from ..catalog.query.filters import compile_filter

    with catalog.cursor() as cur:
        dataset_id = catalog.dataset_id(cur, dataset)
        flt = compile_filter(dataset_id, spec)
        cur.execute(
            f"CREATE OR REPLACE TEMP TABLE _eval_facet_samples AS "  # noqa: S608 - compiled filter
            f"SELECT s.sample_id FROM samples s WHERE {flt.where}",
            flt.params,
        )
        try:
            return eval_facet_entries(cur, dataset_id, "_eval_facet_samples")
        finally:
            cur.execute("DROP TABLE IF EXISTS _eval_facet_samples")


def eval_facet_entries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    samples_table: str,
    filtered: FilteredSamples | None = None,
) -> list[dict[str, Any]]:
    """Facets ``eval.status`` and ``eval.error`` (latest evaluation of each model).

    Meant to be called by the catalog's ``facets`` with its own cursor and the name of its
    table of filtered samples (a fixed identifier, never user text). Entries look like
    ``{"name": "eval.status", "type": "categorical", "source": model, "key": eval_key,
    "values": [{"value": "fp", "count": 12}, ...]}``; counts are boxes (ground truth and
    predictions) of the filtered samples. ``filtered``: the same samples as the box
    index's mask (:mod:`..catalog.indexes.filtered_samples`), which the evaluation index then counts
    without reading ``samples_table``.
    """
    if not samples_table.isidentifier():
        raise ValueError(f"not a table name: {samples_table!r}")
    if labels_position() is not None:  # evaluations judged the current labels, not a version's
        return []
    indexed = not forced()  # the evaluation index, unless the plans are forced to SQL
    if indexed and filtered is not None and not filtered.mask.all():  # one statement, then numpy
        rows = indexed_eval_rows(cur, dataset_id, samples_table, filtered)
        if rows is not None:
            return _entries(rows)
    if filtered is not None:  # what follows reads the table
        filtered.register(cur, samples_table)
    # Most datasets have no evaluation: a probe of the small evaluations table (~0.4 ms)
    # spares them the rest, which every facet request pays.
    latest = cur.execute(
        "SELECT eval_key FROM evaluations WHERE dataset_id = ? AND latest ORDER BY model",
        [dataset_id],
    ).fetchall()
    if not latest:
        return []
    if _whole_dataset(cur, dataset_id, samples_table):  # what the writer stored
        parts = [f"eval:{key}" for (key,) in latest]
        stored = stored_parts(cur, dataset_id, parts)
        if stored is not None:
            return [entry for part in parts for entry in stored[part]]
    rows = indexed_eval_rows(cur, dataset_id, samples_table, filtered) if indexed else None
    if rows is None:  # the same from SQL
        join = f"JOIN {samples_table} s ON s.sample_id = b.sample_id"
        sql = EVAL_FACETS_SQL.format(join=join, only_key="")
        rows = cur.execute(sql, {"ds": dataset_id}).fetchall()
    return _entries(rows)


EVAL_FACETS_SQL = """
    SELECT v.model, v.eval_key, f.facet, f.value, f.n
    FROM evaluations v JOIN (
        -- both facets in one pass of grouping sets: 4x faster at 1M images than a row per
        -- (box, facet) grouped once (3.2 against 0.75 s for 5M per-box rows, loaded)
        SELECT b.eval_key,
               CASE WHEN GROUPING(b.status) = 0 THEN 'eval.status' ELSE 'eval.error' END
                   AS facet,
               CASE WHEN GROUPING(b.status) = 0 THEN b.status ELSE b.error_type END AS value,
               COUNT(*) AS n
        FROM box_evaluations b {join}
        WHERE b.dataset_id = $ds {only_key} AND b.eval_key IN
              (SELECT eval_key FROM evaluations WHERE dataset_id = $ds AND latest)
        GROUP BY GROUPING SETS ((b.eval_key, b.status), (b.eval_key, b.error_type))
    ) f ON f.eval_key = v.eval_key
    WHERE v.dataset_id = $ds AND v.latest AND f.value IS NOT NULL
    ORDER BY v.model, f.facet, f.n DESC, f.value
"""
"""Eval facet counts, per model (its latest evaluation), facet and value; ``join``: only
the boxes of a table of samples (a fixed identifier), ``only_key``: of one evaluation
(``$key``)."""


def _whole_dataset(cur: duckdb.DuckDBPyConnection, dataset_id: int, samples_table: str) -> bool:
    # fetchall, not fetchone: a half-read result blocks the cursor's next cur.sql()
    ((n_filtered,),) = cur.execute(f"SELECT COUNT(*) FROM {samples_table}").fetchall()  # noqa: S608 - checked identifier
    ((n_dataset,),) = cur.execute(
        "SELECT COUNT(*) FROM samples WHERE dataset_id = ?", [dataset_id]
    ).fetchall()
    return bool(n_filtered == n_dataset)


def _entries(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Facet entries from ``EVAL_FACETS_SQL`` rows (in their order)."""
    out: list[dict[str, Any]] = []
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for model, key, facet, value, count in rows:
        entry = index.get((model, facet))
        if entry is None:
            entry = {
                "name": facet,
                "type": "categorical",
                "source": model,
                "key": key,
                "values": [],
            }
            index[(model, facet)] = entry
            out.append(entry)
        entry["values"].append({"value": value, "count": int(count)})
    return out
