"""The evaluation summaries: one row of ``eval_summaries`` per (sample, evaluation, source
of the box, status), the classes of the sample's boxes of that source with that status, as
bits of the box summaries' ``summary_classes``
(:mod:`visionlens_jlab.catalog.tables.box_summaries`).

They make the ``eval`` label filters exact without a pass over the evaluated boxes
(:func:`.eval_filter.eval_summary_clause`). The evaluation's manifest (:mod:`.manifest`)
declares the table (schema 1), the derived structure that refreshes it in the writer's
transaction (:data:`STRUCTURE`) and the rebuild of migration step 4 (:data:`SUMMARY`).
"""

from __future__ import annotations

import duckdb

from ..catalog.derived import Change, Kind, Structure, Written
from ..catalog.derived.sql_structures import BOX_SUMMARIES, EVAL_SUMMARIES
from ..catalog.store.catalog import Catalog
from ..catalog.tables.box_summaries import (
    CLASS_AGGREGATES,
    CLASS_COLUMNS,
    FeatureSummary,
    summary_scope,
)

EVAL_SUMMARIES_DDL = f"""
    CREATE TABLE IF NOT EXISTS eval_summaries (
        dataset_id INTEGER NOT NULL,
        eval_key VARCHAR NOT NULL,
        sample_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,          -- the source of the evaluated boxes
        status VARCHAR NOT NULL,          -- tp | fp | fn | ignored
        {CLASS_COLUMNS}                  -- the classes of those boxes
    )
"""


def refresh_eval_summaries(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    eval_key: str | None = None,
    source: str | None = None,
    samples: list[int] | None = None,
) -> None:
    """Recompute the evaluation summaries of a dataset (of one evaluation, the boxes of one
    source and / or the sample ids ``samples`` only, if given) from the per-box results
    (``box_evaluations``) and the boxes they name; call inside ``Catalog.write``."""
    only, args = summary_scope(dataset_id, source, samples)
    if eval_key is not None:
        only += " AND eval_key = $key"
        args["key"] = eval_key
    cur.execute(f"DELETE FROM eval_summaries WHERE dataset_id = $ds{only}", args)  # noqa: S608 - fixed SQL
    # the samples' boxes taken before the join and grouping (filtering the groups after
    # them joined every per-box row: 1.7 s for 100K of 1M samples)
    boxes = "" if samples is None else " AND a.sample_id IN (SELECT unnest($samples))"
    if source is not None:
        # the source's id range, a constant the per-box rows' scan skips blocks by: the
        # join otherwise hashed every evaluated box (both sources') for each source's
        # half (120 of 330 ms at 100K images); every joined row lies in it
        ((args["lo"], args["hi"]),) = cur.execute(
            "SELECT min(ann_id), max(ann_id) FROM annotations "
            "WHERE dataset_id = $ds AND source = $source",
            {"ds": dataset_id, "source": source},
        ).fetchall()
        boxes += " AND e.ann_id BETWEEN $lo AND $hi"
    cur.execute(
        f"""
        INSERT INTO eval_summaries
        SELECT * FROM (
            SELECT $ds AS dataset_id, e.eval_key, a.sample_id, a.source, e.status,
                   {CLASS_AGGREGATES}
            FROM box_evaluations e JOIN annotations a ON a.ann_id = e.ann_id
            JOIN summary_classes c ON c.dataset_id = $ds AND c.label = a.label
            WHERE e.dataset_id = $ds AND a.dataset_id = $ds{boxes}
            GROUP BY e.eval_key, a.sample_id, a.source, e.status
        ) t
        WHERE TRUE{only}
        ORDER BY eval_key, source, status, sample_id
        """,  # noqa: S608 - fixed SQL, bound values
        args,
    )


def _refresh(_: Catalog, cur: duckdb.DuckDBPyConnection, change: Change, __: Written) -> None:
    if change.kind is Kind.EVALUATION:
        # one source of the evaluated boxes at a time, in order: the same rows in the same
        # order, with the join and grouping of part of them only (the evaluation's peak)
        for source in sorted(change.sources) if change.sources else (None,):
            refresh_eval_summaries(cur, change.dataset_id, change.eval_key, source)
        return
    samples = change.sample_list if change.scoped else None
    # the replaced boxes' evaluation rows now name other boxes or none
    for source in change.sources or (None,):
        refresh_eval_summaries(cur, change.dataset_id, source=source, samples=samples)


STRUCTURE = Structure(
    EVAL_SUMMARIES,
    frozenset({Kind.PREDICTIONS, Kind.LABELS, Kind.SAMPLES_REMOVED, Kind.EVALUATION}),
    _refresh,
    after=(BOX_SUMMARIES,),  # the class bits it uses are numbered there
)
"""The evaluation summaries as a derived structure of the writes."""

SUMMARY = FeatureSummary(
    "eval_summaries",
    EVAL_SUMMARIES_DDL,
    lambda cur, dataset_id: refresh_eval_summaries(cur, dataset_id),
)
"""What migration step 4 rebuilds with the box summaries."""
