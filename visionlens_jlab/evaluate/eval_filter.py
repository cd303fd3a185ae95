"""The ``eval`` label condition: parsed once, compiled to SQL, and read from the evaluation
summaries when that is exact (registered into the catalog by its manifest, :mod:`.manifest`).

``{"key"?, "model"?, "status"?: [...], "error"?: [...], "confused_with"?: [class...],
"confused"?: bool, "iou"?: {"min", "max"}, "tide"?: [...]}``; ``confused`` tells whether a
missed ground truth (or an FP) was explained by a class confusion; ``tide``: the objects of
these TIDE error types (``Cls`` ... ``Miss``, :mod:`.tide_rows`). Without ``key`` the latest evaluation
of ``model`` is used; without both, the latest evaluation of every model (a prediction
belongs to one model; a ground-truth box then matches if any model's latest evaluation
gives it the status).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ..catalog.query.filter_conditions import bounds, choice_list, in_clause, range_clauses
from ..catalog.query.filter_model import LabelCondition
from ..catalog.query.filters import FilterError, Params
from ..catalog.query.summary_filters import Add, SourceSql, SummaryClause, has_any
from .tide import MAIN_ERRORS

STATUSES = ("tp", "fp", "fn", "ignored")
ERROR_TYPES = ("duplicate", "class_confusion", "localization", "background")
_KEYS = {"key", "model", "status", "error", "confused_with", "confused", "iou", "tide"}


@dataclass(frozen=True)
class EvalCondition:
    """A checked ``eval`` condition (None: not given)."""

    key: str | None = None
    model: str | None = None
    status: tuple[str, ...] | None = None
    error: tuple[str, ...] | None = None
    confused_with: tuple[str, ...] | None = None
    confused: bool | None = None
    iou: tuple[float | None, float | None] | None = None
    tide: tuple[str, ...] | None = None

    @property
    def narrowed(self) -> bool:
        """Whether it asks more of a box than its evaluation, source and status (the
        evaluation summaries and index answer only those)."""
        return (self.error, self.confused_with, self.confused, self.iou, self.tide) != (None,) * 5


def parse_eval_condition(value: Any) -> EvalCondition:
    """The ``eval`` condition of a label filter, checked, or FilterError."""
    if not isinstance(value, dict):
        raise FilterError("labels.eval must be an object such as {'status': ['fp']}")
    unknown = set(value) - _KEYS
    if unknown:
        raise FilterError(f"unknown labels.eval keys: {sorted(unknown)}")
    key, model = value.get("key"), value.get("model")
    if key is not None and not isinstance(key, str):
        raise FilterError("labels.eval.key must be a string")
    if key is None and model is not None and not isinstance(model, str):
        raise FilterError("labels.eval.model must be a string")
    lists = {
        name: choice_list(value.get(name), f"labels.eval.{name}", allowed)
        for name, allowed in (("status", STATUSES), ("error", ERROR_TYPES), ("tide", MAIN_ERRORS))
    }
    confused = value.get("confused_with")
    if confused is not None and (
        not isinstance(confused, list) or not all(isinstance(v, str) for v in confused)
    ):
        raise FilterError("labels.eval.confused_with must be a list of class names")
    flag = value.get("confused")
    if flag is not None and not isinstance(flag, bool):
        raise FilterError("labels.eval.confused must be true or false")
    return EvalCondition(
        key, model if key is None else None, lists["status"], lists["error"],
        None if confused is None else tuple(confused), flag, bounds(value.get("iou"), "labels.eval.iou"),
        lists["tide"],
    )  # fmt: skip


def compile_eval_condition(cond: EvalCondition, params: Params) -> str:
    """SQL over the box ``a`` of a checked ``eval`` condition (its definition: the boxes'
    rows in ``box_evaluations``)."""
    parts = []
    if cond.key is not None:
        parts.append(f"e.eval_key = {params.add(cond.key)}")
    else:
        # the dataset's own latest evaluations (keys name no dataset)
        latest = (
            "SELECT v.eval_key FROM evaluations v WHERE v.latest AND v.dataset_id = e.dataset_id"
        )
        if cond.model is not None:
            latest += f" AND v.model = {params.add(cond.model)}"
        parts.append(f"e.eval_key IN ({latest})")
    for column, wanted in (("e.status", cond.status), ("e.error_type", cond.error),
                           ("e.confused_with", cond.confused_with)):  # fmt: skip
        if wanted is not None:
            parts.append(in_clause(column, wanted, params))
    if cond.confused is not None:
        parts.append("e.confused_with IS NOT NULL" if cond.confused else "e.confused_with IS NULL")
    if cond.iou is not None:
        parts += range_clauses("e.iou", cond.iou, params)
    if cond.tide is not None:
        types = params.add(list(cond.tide))
        typed = "SELECT t.ann_id FROM tide_objects t WHERE t.dataset_id = e.dataset_id AND "
        typed += f"t.eval_key = e.eval_key AND t.error IN (SELECT unnest({types}::VARCHAR[]))"
        parts.append(f"e.ann_id IN ({typed})")
    where = " AND ".join(parts)
    return f"a.ann_id IN (SELECT e.ann_id FROM box_evaluations e WHERE {where})"  # noqa: S608 - fixed SQL, bound values


def eval_summary_clause(
    label: LabelCondition, dataset_id: int, add: Add, source_sql: SourceSql
) -> SummaryClause | None:
    """``label`` (a source, classes and an ``eval`` of key / model / status only) over the
    evaluation summaries: some box of the classes has the status <=> the (sample,
    evaluation, source, status) class list has one of the classes; else None."""
    cond = label.extra("eval")
    if not isinstance(cond, EvalCondition) or cond.narrowed:
        return None
    where = [source_sql(label.source)]
    if cond.key is not None:
        where.append(f"a.eval_key = {add(cond.key)}")
    else:
        # the dataset's own latest evaluations: keys name no dataset, so another
        # dataset's latest key may be a stale key here
        latest = (
            "SELECT v.eval_key FROM evaluations v "  # noqa: S608 - fixed SQL, values bound
            f"WHERE v.latest AND v.dataset_id = {add(dataset_id)}"
        )
        if cond.model is not None:
            latest += f" AND v.model = {add(cond.model)}"
        where.append(f"a.eval_key IN ({latest})")
    probe = None
    if label.one_source and cond.status is not None and len(cond.status) == 1:
        probe = _one_evaluation(dataset_id, cond)
    if cond.status is not None:
        where.append(f"list_contains({add(list(cond.status))}::VARCHAR[], a.status)")
    if label.classes is not None:
        where.append(has_any(list(label.classes), dataset_id, add))
    # several evaluations, sources or statuses may each give a sample a row
    return SummaryClause("eval_summaries", where, unique=False, probe=probe)


def _one_evaluation(dataset_id: int, cond: EvalCondition) -> Any:
    """A read telling whether the condition reads one evaluation of this dataset: then a
    sample of one source and one status has at most one row (no DISTINCT over 1M ids)."""
    if cond.key is not None:
        sql, args = "a.eval_key = ?", [cond.key]
    else:
        sql, args = "a.latest", []
        if cond.model is not None:
            sql, args = "a.latest AND a.model = ?", [cond.model]

    def probe(cur: duckdb.DuckDBPyConnection) -> bool:
        rows = cur.execute(
            f"SELECT COUNT(*) FROM evaluations a WHERE a.dataset_id = ? AND {sql}",  # noqa: S608 - fixed SQL, values bound
            [dataset_id, *args],
        ).fetchall()
        return int(rows[0][0]) <= 1

    return probe
