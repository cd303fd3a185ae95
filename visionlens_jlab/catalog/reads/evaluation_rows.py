"""The rows of an evaluation that a patches page reads (:mod:`.object_pages`).

The page's evaluation patches are the per-box rows ``e`` (the evaluation's per-box results,
read through its manifest: :data:`..store.feature_reads.EVAL_BOX_RESULTS`) of the latest
evaluation of a model whose box ``a`` is still there with the source of its status. When the
view is the whole dataset and the order is the rows' own (IoU, box id), the join of every row
with its box only says whether the box is there; :func:`id_range` says so from three numbers
when the source's boxes are one unbroken run of ids (a source imported once: the common case),
and the page then reads the rows alone.
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..query.filters import Params
from ..store.feature_reads import EVAL_BOX_RESULTS, EVAL_RUNS, available, relation

MATCH_KEYS = ("ann_id", "source", "label", "x", "y", "w", "h", "score")
"""The partner box's fields of an evaluation patch."""


def evaluation_rows_sql(dataset_id: int, keys: list[str], params: Params) -> str:
    """The per-box rows of evaluations ``keys`` (the model's latest, read first: a constant
    key keeps the join with the small table of evaluation runs off every row), values bound."""
    results = relation(EVAL_BOX_RESULTS)
    return f"""(SELECT * FROM {results} be WHERE dataset_id = {params.add(dataset_id)}
                AND eval_key IN (SELECT unnest({params.add(keys)}::VARCHAR[])))"""  # noqa: S608


def id_range(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, source: str
) -> tuple[int, int] | None:
    """``(lo, hi)`` when the boxes of ``source`` in the dataset are exactly the ids ``lo`` to
    ``hi``, else None. Box ids are unique in the catalog (allocated past the largest, global
    across datasets), so as many boxes as ids in their span leave no gap: a row names a box of
    the source if and only if its id is in the span, which no other box's id is."""
    ((lo, hi, n),) = cur.execute(
        "SELECT MIN(ann_id), MAX(ann_id), COUNT(*) FROM annotations "
        "WHERE dataset_id = ? AND source = ?",
        [dataset_id, source],
    ).fetchall()
    return (int(lo), int(hi)) if n and int(hi) - int(lo) + 1 == int(n) else None


def rows_part(
    dataset_id: int,
    keys: list[str],
    key: str,
    statuses: list[str],
    span: tuple[int, int],
    params: Params,
) -> str:
    """The evaluation patches of one source whose boxes are the ids ``span``
    (:func:`id_range`), ordered by ``key`` (``e.iou`` or the box id): the rows alone."""
    rows = evaluation_rows_sql(dataset_id, keys, params)
    listed = ", ".join(params.add(s) for s in statuses)
    lo, hi = params.add(span[0]), params.add(span[1])
    k = "e.ann_id" if key == "a.ann_id" else key
    return (
        f"SELECT e.ann_id, {k} AS k FROM {rows} e "  # noqa: S608 - fixed SQL, values bound
        f"WHERE e.status IN ({listed}) AND e.ann_id BETWEEN {lo} AND {hi}"
    )


def missed_partners(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, keys: list[str], objects: list[dict[str, Any]]
) -> None:
    """Give each missed ground truth of a page its partner: of the false positives of the
    evaluation ``keys`` that it explains, the one of highest IoU (ties: lowest id).
    The evaluation records a miss with no match, so this reads the other direction."""
    missed = [o["ann_id"] for o in objects if o["status"] == "fn"]
    if not missed:
        return
    rows = cur.execute(
        f"""
        SELECT be.matched_ann_id, be.ann_id, be.iou
        FROM {relation(EVAL_BOX_RESULTS)} be
        WHERE be.dataset_id = ? AND be.eval_key IN (SELECT unnest(?::VARCHAR[]))
          AND be.status = 'fp' AND be.matched_ann_id IN (SELECT unnest(?::BIGINT[]))
        QUALIFY row_number() OVER (
            PARTITION BY be.matched_ann_id ORDER BY be.iou DESC NULLS LAST, be.ann_id) = 1
        """,  # noqa: S608 - the feature's fixed SQL, values bound
        [dataset_id, keys, missed],
    ).fetchall()
    best = {int(r[0]): (int(r[1]), r[2]) for r in rows}
    if not best:
        return
    partners = cur.execute(
        f"SELECT {', '.join(MATCH_KEYS)} FROM annotations "  # noqa: S608 - fixed names
        "WHERE dataset_id = ? AND ann_id IN (SELECT unnest(?::BIGINT[]))",
        [dataset_id, [p for p, _ in best.values()]],
    ).fetchall()
    by_id = {int(r[0]): dict(zip(MATCH_KEYS, r, strict=True)) for r in partners}
    for o in objects:
        found = best.get(o["ann_id"]) if o["status"] == "fn" else None
        if found is not None and found[0] in by_id:
            o["match"] = {**by_id[found[0]], "ann_id": found[0], "iou": found[1]}


def latest_keys(cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str) -> list[str]:
    """The keys of the latest evaluation of ``model`` (none: never evaluated)."""
    if not available(cur, EVAL_RUNS):
        return []
    runs = relation(EVAL_RUNS)
    sql = f"SELECT eval_key FROM {runs} ev WHERE dataset_id = ? AND model = ? AND latest"  # noqa: S608
    return sorted(str(r[0]) for r in cur.execute(sql, [dataset_id, model]).fetchall())
