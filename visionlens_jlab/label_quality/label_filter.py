"""The ``label_quality`` label condition: boxes by their stored issue, score and flag.

``{"labels": {"label_quality": {"model": "m", "issue": ["swapped"], "score": {"max": 0.3},
"flagged": true}}}`` keeps the objects of the last run against model ``m`` (ground truth and
predictions alike) whose most likely issue, score and flag match; like every label
condition it combines with ``source``, ``classes`` and the rest of the filter, and selects
the samples that have such an object.
"""

from __future__ import annotations

from typing import Any

from ..catalog.query.filter_conditions import condition_sql
from ..catalog.query.filter_model import Condition
from ..catalog.query.filter_parser import parse_condition
from ..catalog.query.filters import FilterError, Params
from .scores import ISSUES

LabelQualityCondition = tuple[str, tuple[str, ...], Condition | None, bool | None]
"""Parsed: model, issues (empty: any), score condition, flagged."""
_KEYS = ("model", "issue", "score", "flagged")


def parse_label_quality(value: Any) -> LabelQualityCondition:
    """The condition checked once, when the filter is parsed (:class:`FilterError` if bad)."""
    if not isinstance(value, dict) or not isinstance(value.get("model"), str):
        raise FilterError(
            "labels.label_quality must be an object with a 'model', e.g. "
            "{'model': 'm', 'issue': ['swapped'], 'score': {'max': 0.3}}"
        )
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise FilterError(f"unknown labels.label_quality keys {unknown} (known: {list(_KEYS)})")
    issues = value.get("issue", [])
    issues = [issues] if isinstance(issues, str) else issues
    if not isinstance(issues, list) or not set(issues) <= set(ISSUES):
        raise FilterError(f"labels.label_quality.issue must be among {list(ISSUES)}")
    score = value.get("score")
    parsed = parse_condition(score, "label_quality.score") if score is not None else None
    flagged = value.get("flagged")
    if flagged is not None and not isinstance(flagged, bool):
        raise FilterError("labels.label_quality.flagged must be true or false")
    return value["model"], tuple(issues), parsed, flagged


def label_quality_sql(cond: LabelQualityCondition, params: Params) -> str:
    """SQL over the box alias ``a``: the box has a stored row matching ``cond``."""
    model, issues, score, flagged = cond
    where = [
        f"q.dataset_id = a.dataset_id AND q.ann_id = a.ann_id AND q.model = {params.add(model)}"
    ]
    if issues:
        where.append(f"list_contains({params.add(list(issues))}, q.issue)")
    if score is not None:
        where.append(condition_sql("q.score", score.ops, params))
    if flagged is not None:
        where.append(f"q.flagged = {params.add(flagged)}")
    return f"EXISTS (SELECT 1 FROM label_quality q WHERE {' AND '.join(where)})"  # noqa: S608 - fixed columns, bound values
