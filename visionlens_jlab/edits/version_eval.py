"""The evaluation side of a diff: one model's predictions evaluated against the labels as
they were at each of two versions, and the deltas, in total and per class.

Each side is read as :func:`~..evaluate.load.load_input` reads the current labels, at the
side's log position instead (:func:`~..catalog.tables.labels_at.objects_at`: the ground
truth *and* the model's predictions, so predictions changed by edits belong to the version
too), and evaluated by the one evaluator, :func:`~..evaluate.api.evaluate_arrays` (the
numbers of ``visionlens evaluate``; nothing is stored). Box evaluations only (``bbox``):
a version's masks are not rebuilt for the mask IoU.

A version named before the model was imported (or imported again) has no predictions of it
to rebuild (the import replaced them outside the log): such a diff is refused, as a restore
or an export of that version's predictions is.
"""

from __future__ import annotations

import math
from typing import Any

import duckdb
import numpy as np

from ..catalog import GROUND_TRUTH, Catalog, CatalogError
from ..catalog.tables.labels_at import replaced_sources
from ..evaluate.api import evaluate_arrays, release_freed_memory, validate_params
from ..evaluate.load import load_input
from ..evaluate.report import EvaluationReport

COUNTS = ("tp", "fp", "fn", "ignored")
"""The report's counts at the IoU threshold, beside its stats in a side's summary."""
CLASS_COUNTS = ("tp", "fp", "fn", "num_gt")
"""The per-class columns that are counts: 0 on a side where the class has no objects."""

Side = tuple[Any, int | None]
"""A version as the caller named it (a number or ``current``) and its log position (None:
the current labels)."""


def check_model(
    cur: duckdb.DuckDBPyConnection,
    dataset_id: int,
    model: Any,
    versions: list[Any],
    protocol: str,
    iou: Any,
) -> None:
    """Refuse (:class:`CatalogError`, HTTP 400) a diff's evaluation parameters: bad
    ``protocol`` or ``iou``, a ``model`` the dataset has no predictions of (naming those it
    has), or one imported after one of the numbered ``versions`` was named."""
    validate_params(protocol, iou)
    if protocol == "lvis":  # its federated sets are the current samples', not a version's
        raise CatalogError("a version diff evaluates with protocol coco or voc, not lvis")
    names = [
        r[0]
        for r in cur.execute(
            "SELECT name FROM models WHERE dataset_id = ? ORDER BY name", [dataset_id]
        ).fetchall()
    ]
    if not isinstance(model, str) or model not in names:
        has = f"its models: {', '.join(names)}" if names else "it has no predictions yet"
        raise CatalogError(f"no model {model!r} on this dataset to evaluate ({has})")
    for version in versions:
        if replaced_sources(cur, dataset_id, int(version), [model]):
            raise CatalogError(
                f"the predictions of {model} were imported after version {version} was named: "
                "that version's predictions of it are gone, so it cannot be evaluated; diff "
                "from a version named after the import"
            )


def same_labels(
    cur: duckdb.DuckDBPyConnection, dataset_id: int, model: str, low: int, high: int
) -> bool:
    """Whether no operation between the log positions ``low`` and ``high`` changed the
    ground truth or ``model``'s predictions (then one evaluation answers for both sides)."""
    ((changed,),) = cur.execute(
        "SELECT COUNT(*) FROM edit_ops WHERE dataset_id = ? AND seq > ? AND seq <= ? "
        "AND source IN (?, ?)",
        [dataset_id, low, high, GROUND_TRUTH, model],
    ).fetchall()
    return not changed


def evaluation_diff(
    catalog: Catalog,
    dataset: str,
    model: str,
    sides: tuple[Side, Side],
    protocol: str = "coco",
    iou: float = 0.5,
    same: bool = False,
) -> dict[str, Any]:
    """``model`` evaluated (``protocol``, ``iou``) on the labels of both ``sides``, and the
    deltas (later minus earlier side as named: ``to`` minus ``from``): ``{"model",
    "method", "iou", "from", "to", "delta", "by_class"}``. ``from``/``to`` hold the
    report's stats and counts, ``by_class`` each class's ``from``, ``to`` and ``delta``
    (the report's per-class columns); a number undefined on either side has a null delta.
    ``same``: both sides hold the same labels (:func:`same_labels`): evaluated once."""
    reports = []
    for _, position in sides[: 1 if same else 2]:
        inp = load_input(catalog, dataset, model, "bbox", position)
        report, _ = evaluate_arrays(inp, protocol, float(iou))
        del inp
        release_freed_memory(catalog)
        reports.append(report)
    first, last = reports[0], reports[-1]
    start, end = _summary(first), _summary(last)
    return {
        "model": model,
        "method": protocol,
        "iou": float(iou),
        "from": start,
        "to": end,
        "delta": _delta(start, end),
        "by_class": _by_class(first, last),
    }


def _summary(report: EvaluationReport) -> dict[str, Any]:
    """A side's headline numbers: the report's stats, then its counts."""
    stats = {name: _number(value) for name, value in report.stats.items()}
    return {**stats, **{k: int(report.counts.get(k, 0)) for k in COUNTS}}


def _by_class(first: EvaluationReport, last: EvaluationReport) -> dict[str, Any]:
    """Per class (every class evaluated on either side, the earlier side's order first):
    its row on each side and the deltas. A class without objects on a side counts 0 there
    and has no AP, precision or recall."""
    rows = [_rows(first), _rows(last)]
    columns = [c for c in first.per_class.columns if c != "class"]
    absent = {c: (0 if c in CLASS_COUNTS else None) for c in columns}
    out = {}
    for name in dict.fromkeys([*rows[0], *rows[1]]):
        start, end = (side.get(name, absent) for side in rows)
        out[name] = {"from": start, "to": end, "delta": _delta(start, end)}
    return out


def _rows(report: EvaluationReport) -> dict[str, dict[str, Any]]:
    """The report's per-class table by class name, JSON-safe."""
    return {
        str(row.pop("class")): {str(k): _number(v) for k, v in row.items()}
        for row in report.per_class.to_dict(orient="records")
    }


def _number(value: Any) -> Any:
    """A JSON-safe number: an int stays one, NaN and the protocol's -1 (undefined) are
    None."""
    if value is None:
        return None
    if isinstance(value, int | np.integer):  # the counts
        return int(value)
    value = float(value)
    return None if math.isnan(value) or value < 0 else value


def _delta(start: dict[str, Any], end: dict[str, Any]) -> dict[str, Any]:
    """``end`` minus ``start`` per key; None where either is undefined."""
    return {
        key: None if start.get(key) is None or end.get(key) is None else end[key] - start[key]
        for key in end
    }
